// The executor's buffer of finished results: when to flush, how many go in one flush (by count
// and bytes), what the component `consumed`, and the flush size halved after a failed flush and
// doubled back after each one that succeeds. No I/O: the loop passes in the clock.
// docs/executor-mode.md#from-a-result-to-the-next-step.
import type { RunResult } from "@convex-dev/workpool";
import { getConvexSize, type Value } from "convex/values";

export type BufferedResult = {
  stepId: string;
  result: RunResult;
  /** When the executor began the step's last run. */
  startedAt: number;
  /** Runs the executor made of the step. */
  attempts?: number;
  bytes: number;
};

export type FlushOptions = { flushMaxCount: number; flushMaxBytes: number; flushIntervalMs: number };

/**
 * How many of `sent` results a flush handled, from the component's `consumed`: all when it does
 * not say; a count out of range is taken as one (so the buffer always moves on).
 */
export function consumedCount(sent: number, consumed: number | undefined): number {
  if (consumed === undefined) return sent;
  return Number.isInteger(consumed) && consumed >= 1 ? Math.min(consumed, sent) : 1;
}

/** The results at the head of `results` that go in one flush: at most `maxCount`, `maxBytes` (at least one). */
export function flushSize(results: ReadonlyArray<{ bytes: number }>, maxCount: number, maxBytes: number): number {
  let bytes = 0;
  let count = 0;
  while (count < results.length && count < maxCount) {
    if (count > 0 && bytes + results[count].bytes > maxBytes) break;
    bytes += results[count].bytes;
    count++;
  }
  return count;
}

export class ResultBuffer {
  private results: BufferedResult[] = [];
  private bytes = 0;
  /** When the oldest result still waiting came in (or the last flush, if later). */
  private since = 0;
  /** Results per flush at most, besides `flushMaxCount`: halved after a failed flush. */
  private limit = Number.POSITIVE_INFINITY;

  constructor(private readonly o: FlushOptions) {}

  get size(): number {
    return this.results.length;
  }

  stepIds(): string[] {
    return this.results.map((r) => r.stepId);
  }

  push(now: number, result: Omit<BufferedResult, "bytes">): void {
    if (this.results.length === 0) this.since = now;
    const bytes = getConvexSize(result.result as unknown as Value);
    this.results.push({ ...result, bytes });
    this.bytes += bytes;
  }

  /** When the buffer must be flushed at the latest, or null when it is empty. */
  flushDueAt(): number | null {
    return this.results.length > 0 ? this.since + this.o.flushIntervalMs : null;
  }

  /**
   * Whether to flush now: a full buffer (by count or bytes), a result that waited
   * `flushIntervalMs`, or `draining` (the executor is leaving and nothing else will come).
   */
  shouldFlush(now: number, draining: boolean): boolean {
    if (this.results.length === 0) return false;
    if (this.results.length >= this.o.flushMaxCount) return true;
    if (this.bytes >= this.o.flushMaxBytes) return true;
    if (now - this.since >= this.o.flushIntervalMs) return true;
    return draining;
  }

  /** The results the next flush sends (they stay buffered until `flushed`). */
  next(): BufferedResult[] {
    const count = flushSize(this.results, Math.min(this.o.flushMaxCount, this.limit), this.o.flushMaxBytes);
    return this.results.slice(0, count);
  }

  /**
   * A flush of `sent` results succeeded, and the component handled `consumed` of them: those
   * leave the buffer, the rest go in the next flush. The flush size doubles back.
   */
  flushed(now: number, sent: number, consumed: number | undefined): void {
    const done = this.results.splice(0, consumedCount(sent, consumed));
    for (const r of done) this.bytes -= r.bytes;
    this.limit = Math.min(this.o.flushMaxCount, this.limit * 2);
    this.since = now;
  }

  /**
   * A flush of `sent` results failed (nothing was recorded): they stay, and the next flush sends
   * half as many, down to one (a flush too big for one transaction would otherwise fail
   * forever). Returns the new size.
   */
  flushFailed(now: number, sent: number): number {
    this.limit = Math.max(1, Math.floor(sent / 2));
    this.since = now;
    return this.limit;
  }
}
