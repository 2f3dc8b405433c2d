// Test-only fault injection for the executor. Not exported from the package: the example app's
// test workflows import it from the source. docs/executor-mode.md#tuning.

/** Called at the named points of the executor's loop. */
export type ExecutorTestHooks = {
  /** Before each claim: a throw kills the executor there. */
  beforeClaim?: () => void | Promise<void>;
  /** Before each flush of `count` results: a throw kills the executor there. */
  beforeFlush?: (count: number) => void | Promise<void>;
  /** Before running a group of `count` mutation steps: a throw fails that group's transaction. */
  beforeMutationGroup?: (count: number) => void | Promise<void>;
};

let pending: ExecutorTestHooks | undefined;

/**
 * Builds an executor that calls `hooks`: `make` must create exactly one, with the manager's
 * ordinary `workflow.executor(options)` (so options are merged and checked as in production).
 *
 *   export const faulty = withExecutorTestHooks(hooks, () => workflow.executor({ concurrency: 5 }));
 */
export function withExecutorTestHooks<T>(hooks: ExecutorTestHooks, make: () => T): T {
  if (pending) throw new Error("withExecutorTestHooks: calls may not nest");
  pending = hooks;
  try {
    const made = make();
    if (pending) throw new Error("withExecutorTestHooks: `make` must call `workflow.executor()`");
    return made;
  } finally {
    pending = undefined;
  }
}

/** For `makeExecutor`: the hooks of the enclosing `withExecutorTestHooks`, if any (taken once). */
export function takeTestHooks(): ExecutorTestHooks | undefined {
  const hooks = pending;
  pending = undefined;
  return hooks;
}
