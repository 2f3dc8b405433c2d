// Flow control, the pure parts: which queue a workflow waits in, whether a sliding rate window
// has room, when a debounce window closes. No database access here (unit-tested in gates.test.ts).

/** What gates a workflow's begins, as stored on it (`workflows.flow`). */
export type FlowGates = {
  priority?: number;
  concurrency?: { limit: number; key: string };
  rateLimit?: { count: number; periodMs: number; key: string };
};

/**
 * The (name, key) queue and slot row a workflow waits in and runs under: its concurrency key
 * when it has a concurrency limit, else its rate-limit key; null when nothing gates it.
 */
export function gateKeyOf(gates: FlowGates | undefined): string | null {
  if (gates?.concurrency) return `c:${gates.concurrency.key}`;
  if (gates?.rateLimit) return `r:${gates.rateLimit.key}`;
  return null;
}

/** The queue index orders ascending: the highest priority first (then FIFO by `_creationTime`). */
export function rankOf(priority: number | undefined): number {
  return -(priority ?? 0);
}

/**
 * A sliding window of begin times (oldest first): the times still inside it at `now`, whether
 * one more begin fits (fewer than `count` inside), and if not, when the oldest leaves it.
 */
export function rateWindow(
  begins: readonly number[],
  now: number,
  count: number,
  periodMs: number,
): { inWindow: number[]; room: boolean; freeAt: number | null } {
  const inWindow = begins.filter((at) => at > now - periodMs);
  if (inWindow.length < count) return { inWindow, room: true, freeAt: null };
  // The begin that must leave for one more to fit: the count-th newest.
  const leaving = inWindow[inWindow.length - count];
  return { inWindow, room: false, freeAt: leaving + periodMs };
}

/** When a debounced workflow begins: `delayMs` after the last start, no later than `maxDelayMs` after the first. */
export function debounceBeginAt(firstAt: number, now: number, delayMs: number, maxDelayMs?: number): number {
  const afterLast = now + delayMs;
  return maxDelayMs === undefined ? afterLast : Math.min(afterLast, firstAt + maxDelayMs);
}
