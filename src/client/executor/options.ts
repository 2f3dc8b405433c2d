// Executor options: the public `ExecutorOptions`, their defaults, and resolving what a caller
// gave into the values the executor runs with. Bounds are checked by `checkExecutorOptions`
// (src/shared/validateOptions.ts); docs/executor-mode.md#tuning explains each knob.
import { checkExecutorOptions } from "../../shared/validateOptions.js";

export type ExecutorOptions = {
  /** Tasks one executor runs at once. Default 50. */
  concurrency?: number;
  /** Results recorded per flush at most. Default 100. */
  flushMaxCount?: number;
  /** Bytes of results per flush at most (a single larger result goes alone). Default 1 MiB. */
  flushMaxBytes?: number;
  /** Longest a finished result waits in the buffer. Default 100 ms. */
  flushIntervalMs?: number;
  /**
   * Delay between claims while there is work (doubling while claims come back empty, up to
   * `idleClaimIntervalMs`), and for six claims (at least 300 ms) after a flush that let
   * workflows go on (their next steps come to this shard). Default 50 ms, at least 10.
   */
  claimIntervalMs?: number;
  /** Delay between claims while idle, and the longest one while busy. Default 1000 ms. */
  idleClaimIntervalMs?: number;
  /** Exit after this long with nothing to do (the component starts a new one when work arrives). Default 10 s. */
  idleExitMs?: number;
  /** Hand the shard to a successor after running this long (actions may run 10 minutes). Default 8 min. */
  handoffAfterMs?: number;
  /** First back-off after a `WorkflowRateLimitError`; doubles per repeat up to `rateLimitMaxBackoffMs`. Default 1 s. */
  rateLimitBackoffMs?: number;
  /** Longest back-off after repeated `WorkflowRateLimitError`s. Default 60 s (or `rateLimitBackoffMs`, if larger). */
  rateLimitMaxBackoffMs?: number;
};

/** Every option, with its value filled in. */
export type ResolvedExecutorOptions = Required<ExecutorOptions>;

export const EXECUTOR_DEFAULTS: ResolvedExecutorOptions = {
  concurrency: 50,
  flushMaxCount: 100,
  flushMaxBytes: 1 << 20,
  flushIntervalMs: 100,
  claimIntervalMs: 50,
  idleClaimIntervalMs: 1_000,
  idleExitMs: 10_000,
  handoffAfterMs: 8 * 60_000,
  rateLimitBackoffMs: 1_000,
  rateLimitMaxBackoffMs: 60_000,
};

/**
 * Checks the options (throwing, naming the option and its range, as `where` says) and fills in
 * the defaults. An option given as `undefined` takes its default. A `rateLimitBackoffMs` above
 * the default maximum raises the maximum with it, unless `rateLimitMaxBackoffMs` is given.
 */
export function resolveExecutorOptions(where: string, options: ExecutorOptions | undefined): ResolvedExecutorOptions {
  checkExecutorOptions(where, options, "");
  const resolved = { ...EXECUTOR_DEFAULTS };
  for (const key of Object.keys(EXECUTOR_DEFAULTS) as Array<keyof ResolvedExecutorOptions>) {
    const value = options?.[key];
    if (value !== undefined) resolved[key] = value;
  }
  if (options?.rateLimitMaxBackoffMs === undefined) {
    resolved.rateLimitMaxBackoffMs = Math.max(EXECUTOR_DEFAULTS.rateLimitMaxBackoffMs, resolved.rateLimitBackoffMs);
  }
  return resolved;
}
