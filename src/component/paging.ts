// Pages of user data (list, listByName, listSteps, timelinePage), bounded in items and in
// bytes: a page ends early, with a cursor, once the documents it read reach
// MAX_PAGE_READ_BYTES, and always holds at least one item, so following the cursors always
// reaches the end. Page sizes and cursors are checked here, with errors that name them.
import type { PaginationOptions } from "convex/server";
import { MAX_PAGE_READ_BYTES } from "../shared/limits.js";
import { pageSizeError } from "../shared/errors.js";

/** Throws a clear error for a page size outside 1…MAX_PAGE_ITEMS, or a bad byte budget. */
export function checkPaginationOpts(opts: PaginationOptions): void {
  const error = pageSizeError(opts.numItems);
  if (error) throw new Error(error);
  const bytes = opts.maximumBytesRead;
  if (bytes !== undefined && !(Number.isFinite(bytes) && bytes >= 1)) {
    throw new Error(`paginationOpts.maximumBytesRead must be a positive number of bytes; got ${String(bytes)}.`);
  }
}

/** The caller's options, checked, with the byte budget capped at MAX_PAGE_READ_BYTES. */
export function boundedPaginationOpts(opts: PaginationOptions): PaginationOptions & { maximumBytesRead: number } {
  checkPaginationOpts(opts);
  return { ...opts, maximumBytesRead: Math.min(opts.maximumBytesRead ?? MAX_PAGE_READ_BYTES, MAX_PAGE_READ_BYTES) };
}

/** Run a paginated read; a cursor that is not one we handed out gets a clear error. */
export async function withCursorCheck<T>(cursor: string | null, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (cursor !== null && error instanceof SyntaxError) {
      throw new Error(
        `Invalid pagination cursor: ${JSON.stringify(cursor)}. Pass null for the first page, then each page's continueCursor.`,
      );
    }
    throw error;
  }
}
