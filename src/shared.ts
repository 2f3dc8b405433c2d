// Limits and helpers shared by the client (which replays handlers) and the component
// (which stores the journal). Both sides must agree on these numbers.

/** The journal of one workflow may hold at most this many bytes (8 MiB). */
export const MAX_JOURNAL_SIZE = 8 << 20;

/** A step's return value (or an event's value) may be at most this many bytes (800 KiB). */
export const MAX_RETURN_VALUE_SIZE = 800 << 10;

/** Turn anything thrown into the string stored as a failed result. */
export function formatErrorWithStack(error: unknown): string {
  if (error instanceof Error) {
    return error.toString() + (error.stack ? "\n" + error.stack : "");
  }
  return String(error);
}

export function journalSizeError(size: number, workflowId: string): string {
  return (
    `Workflow ${workflowId} journal size limit exceeded (${size} bytes > ${MAX_JOURNAL_SIZE} bytes). ` +
    "Split the work into several workflows, pass smaller step arguments or return values, or use fewer steps."
  );
}

/** Step arguments may be at most this many bytes, so a journal entry fits in a document. */
export const MAX_STEP_ARGS_SIZE = 800 << 10;

/** Every deadline error starts with this; `isTimeoutError` looks for it. */
export const TIMEOUT_ERROR_PREFIX = "WorkflowTimeout: ";

export function timeoutError(what: string, timeoutMs: number): string {
  return `${TIMEOUT_ERROR_PREFIX}${what} timed out after ${timeoutMs} ms`;
}
