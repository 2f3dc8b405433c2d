// Retries in the executor: action retry back-off with jitter, rate-limit pauses per function
// name, the retry policy for a group of mutation steps whose transaction failed, and the tasks
// waiting here for their retry. No I/O: the loop passes in the clock.
// docs/executor-mode.md#retries-and-rate-limits.
import { MAX_EXECUTOR_INTERVAL_MS } from "../../shared/limits.js";
import type { RetryPolicy } from "../../shared/validateOptions.js";

/** Throw from a step handler to say "the service is rate limiting us: back off and retry". */
export class WorkflowRateLimitError extends Error {
  constructor(
    message = "Rate limited",
    /** How long to wait before calling this function again, if the service said. */
    public readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "WorkflowRateLimitError";
  }
}

/**
 * An action that failed its run number `attempts` (1 for the first): the wait before running it
 * again, `initialBackoffMs × base^(attempts-1)` with jitter (×0.5 to ×1.5), or null when it has
 * had its `maxAttempts`. `random` is in [0, 1).
 */
export function actionRetryDelay(retry: RetryPolicy, attempts: number, random: number = Math.random()): number | null {
  if (attempts >= retry.maxAttempts) return null;
  return retry.initialBackoffMs * retry.base ** (attempts - 1) * (0.5 + random);
}

export type RateLimitOptions = { rateLimitBackoffMs: number; rateLimitMaxBackoffMs: number };

/**
 * The pause after a `WorkflowRateLimitError`, the function's strike number `strikes + 1`: what
 * the service said (`retryAfterMs`, at most MAX_EXECUTOR_INTERVAL_MS: a held task must come back
 * within an executor's life), else `rateLimitBackoffMs` doubled per earlier strike, up to
 * `rateLimitMaxBackoffMs`. A `retryAfterMs` that is not a finite number ≥ 0 (it comes from
 * whatever the step threw) counts as not given.
 */
export function rateLimitBackoff(strikes: number, retryAfterMs: number | undefined, o: RateLimitOptions): number {
  if (typeof retryAfterMs === "number" && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, MAX_EXECUTOR_INTERVAL_MS);
  }
  return Math.min(o.rateLimitBackoffMs * 2 ** strikes, o.rateLimitMaxBackoffMs);
}

/** Rate-limit pauses, per function name (all its tasks on this executor wait). */
export class RateLimits {
  private readonly paused = new Map<string, { until: number; strikes: number }>();

  constructor(private readonly o: RateLimitOptions) {}

  /** Until when `name` is paused, or null when it is not. */
  pausedUntil(name: string, now: number): number | null {
    const pause = this.paused.get(name);
    return pause && pause.until > now ? pause.until : null;
  }

  /** `name` was rate limited: pause it. Returns when the pause ends. */
  strike(name: string, retryAfterMs: number | undefined, now: number): number {
    const strikes = this.paused.get(name)?.strikes ?? 0;
    const until = now + rateLimitBackoff(strikes, retryAfterMs, this.o);
    this.paused.set(name, { until, strikes: strikes + 1 });
    return until;
  }

  /** `name` succeeded: its pause and strikes are cleared. */
  succeeded(name: string): void {
    this.paused.delete(name);
  }
}

/**
 * A mutation step whose transaction (its own run plus the recording of its result) fails this
 * many times on its own is recorded as failed, so its workflow sees the error instead of
 * waiting forever. Retries wait 1 s, then 2 s.
 */
export const MUTATION_ATTEMPTS = 3;
export const MUTATION_RETRY_MS = 1_000;

/**
 * A group of `groupSize` mutation steps failed as a transaction (none of it committed); for
 * one step of it that had failed alone `failedAlone` times before: its new count (only a failure
 * alone counts: in a batch, another step may be the cause), and the wait before running it again
 * alone, or null when it has had its attempts and is to be recorded as failed.
 */
export function mutationGroupFailure(
  failedAlone: number,
  groupSize: number,
): { attempts: number; retryInMs: number | null } {
  const attempts = failedAlone + (groupSize === 1 ? 1 : 0);
  if (attempts >= MUTATION_ATTEMPTS) return { attempts, retryInMs: null };
  return { attempts, retryInMs: MUTATION_RETRY_MS * 2 ** Math.max(0, attempts - 1) };
}

/**
 * Tasks held by this executor for a later run (a retry, a rate-limit pause), and the failed
 * runs each task has had here. Keyed by the task's step id.
 */
export class Retries<T> {
  private readonly waiting = new Map<string, { task: T; at: number }>();
  private readonly failures = new Map<string, number>();

  /** Failed runs (or, for mutations, failed transactions alone) the task has had on this executor. */
  attempts(id: string): number {
    return this.failures.get(id) ?? 0;
  }

  setAttempts(id: string, attempts: number): void {
    this.failures.set(id, attempts);
  }

  /** The task is done here (recorded, or its result is in the buffer): forget its count. */
  forget(id: string): void {
    this.failures.delete(id);
  }

  /** Hold `task` until `at`. */
  wait(id: string, task: T, at: number): void {
    this.waiting.set(id, { task, at });
  }

  get size(): number {
    return this.waiting.size;
  }

  ids(): string[] {
    return [...this.waiting.keys()];
  }

  /** The earliest time a held task may run again, or null when none is held. */
  earliest(): number | null {
    let at: number | null = null;
    for (const entry of this.waiting.values()) at = at === null ? entry.at : Math.min(at, entry.at);
    return at;
  }

  /** The held tasks due by `now`, in the order they were held. They stay held until `release`d. */
  due(now: number): Array<{ id: string; task: T }> {
    const out: Array<{ id: string; task: T }> = [];
    for (const [id, { task, at }] of this.waiting) if (!(at > now)) out.push({ id, task });
    return out;
  }

  release(id: string): void {
    this.waiting.delete(id);
  }

  /** Superseded: the current executor claims the held tasks. */
  dropWaiting(): void {
    this.waiting.clear();
  }
}
