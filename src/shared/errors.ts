// Error strings both sides produce: how a thrown value is stored, and the messages for limits
// a caller crosses. 0.4.8's wording where 0.4.8 has one.
import { MAX_ERROR_LENGTH, MAX_JOURNAL_SIZE, MAX_PAGE_ITEMS } from "./limits.js";

/**
 * Turn anything thrown into the string stored as a failed result. It starts with
 * `error.toString()` (e.g. "Error: boom"), as in 0.4.8, followed by the stack; V8's stack
 * already starts with that line, so the message is stored once, not twice. Capped at
 * `MAX_ERROR_LENGTH` (see `limitErrorLength`).
 */
export function formatErrorWithStack(error: unknown): string {
  if (error instanceof Error) {
    const head = error.toString();
    const stack = typeof error.stack === "string" ? error.stack : "";
    const text = !stack ? head : stack.startsWith(head) ? stack : `${head}\n${stack}`;
    return limitErrorLength(text);
  }
  return limitErrorLength(String(error));
}

/**
 * An error string of at most `MAX_ERROR_LENGTH` characters: a longer one keeps its head (the
 * message) and its tail, with a marker saying how much was cut.
 */
export function limitErrorLength(error: string): string {
  if (error.length <= MAX_ERROR_LENGTH) return error;
  const marker = `\n... [${error.length - MAX_ERROR_LENGTH} characters cut: errors are stored up to ${MAX_ERROR_LENGTH} characters] ...\n`;
  const keep = MAX_ERROR_LENGTH - marker.length;
  const head = Math.ceil(keep * 0.75);
  return error.slice(0, head) + marker + error.slice(error.length - (keep - head));
}

export function journalSizeError(size: number, workflowId: string): string {
  return (
    `Workflow ${workflowId} journal size limit exceeded (${size} bytes > ${MAX_JOURNAL_SIZE} bytes). ` +
    "Split the work into several workflows, pass smaller step arguments or return values, or use fewer steps."
  );
}

/** Every deadline error starts with this; `isTimeoutError` looks for it. */
export const TIMEOUT_ERROR_PREFIX = "WorkflowTimeout: ";

export function timeoutError(what: string, timeoutMs: number): string {
  return `${TIMEOUT_ERROR_PREFIX}${what} timed out after ${timeoutMs} ms`;
}

/** The error for a page size outside 1…`MAX_PAGE_ITEMS`, or undefined when it is fine. */
export function pageSizeError(numItems: unknown): string | undefined {
  if (typeof numItems === "number" && Number.isInteger(numItems) && numItems >= 1 && numItems <= MAX_PAGE_ITEMS) {
    return undefined;
  }
  return `paginationOpts.numItems must be a whole number from 1 to ${MAX_PAGE_ITEMS}; got ${String(numItems)}.`;
}
