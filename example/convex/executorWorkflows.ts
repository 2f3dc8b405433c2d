// Executor mode (docs/executor-mode.md) for executor.test.ts: a 4-step workflow (a query, two
// parallel actions registered with `workflow.action`, a mutation writing one `effects` row)
// run by long-running executors instead of one scheduled function per step.
//
// Three managers, each with its own executor, because a manager has exactly one executor:
// - `workflow`: the plain setup (4 shards), also used for rate limits, cancel and restarts;
// - `faultyWorkflow`: its executor dies at chosen points (`faults`), to show nothing is lost
//   or recorded twice and that the watchdog restarts a dead shard;
// - `handoffWorkflow`: 2 shards and a 1 s `handoffAfterMs`, so executors hand off mid-run;
// - `retryingWorkflow`: 1 shard, retries actions by default (`retryActionsByDefault`);
// - `sequentialWorkflow`: 1 shard, an idle claim interval of a minute, for a workflow whose
//   steps run one after another (each must be claimed promptly after the previous one's replay);
// - `restlessWorkflow`: 1 shard, no workflows, a 1 s `handoffAfterMs` shorter than the
//   default 10 s `idleExitMs`, to check that idle executors still stop.
//
// Side effects are counted through tables: the mutation step inserts one `effects` row
// (key `exec:<tag>`) per run, and each action run bumps `attempts` (key `<tag>:<action>`).
import { v } from "convex/values";
import type { FunctionReference, GenericActionCtx, GenericDataModel } from "convex/server";
import { type WorkflowCtx, WorkflowManager, WorkflowRateLimitError } from "convex-workflow";
// Test-only fault injection: not part of the package's API, imported from the source.
import { type ExecutorTestHooks, withExecutorTestHooks } from "../../src/client/executor/testHooks.js";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";

// ---------------------------------------------------------------------------------------
// Test instrumentation (module state: the tests run in the same process as the functions).

/** Faults injected into `faultyExecutor`: how many more times to die at each point. */
export const faults = {
  claimKills: 0,
  flushKills: 0,
  claimKilled: 0,
  flushKilled: 0,
  mutationGroupFails: 0,
  mutationGroupFailed: 0,
  /** Every claim `faultyExecutor` makes (its beforeClaim calls). */
  claims: 0,
};
export function resetFaults(): void {
  Object.assign(faults, {
    claimKills: 0,
    flushKills: 0,
    claimKilled: 0,
    flushKilled: 0,
    mutationGroupFails: 0,
    mutationGroupFailed: 0,
    claims: 0,
  });
}

/**
 * While closed, `fetchA` of the plain manager waits here, so a test can act (cancel,
 * `startExecutors`) while actions are in flight.
 */
export const gate = { closed: false, entered: 0, waiters: [] as Array<() => void> };
export function closeGate(): void {
  Object.assign(gate, { closed: true, entered: 0 });
}
export function openGate(): void {
  gate.closed = false;
  for (const resume of gate.waiters.splice(0)) resume();
}
async function passGate(): Promise<void> {
  gate.entered++;
  if (gate.closed) await new Promise<void>((resume) => gate.waiters.push(resume));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// Shared steps: the query and the mutation (any manager may route them to its executor).

export const lookup = internalQuery({
  args: { n: v.number() },
  returns: v.number(),
  handler: (_ctx, { n }) => n * 10,
});

/** The workflow's side effect: one `effects` row per run. */
export const record = internalMutation({
  args: { tag: v.string(), workflowId: v.string(), value: v.number() },
  returns: v.null(),
  handler: async (ctx, { tag, workflowId, value }) => {
    await ctx.db.insert("effects", { key: `exec:${tag}`, workflowId, value });
    return null;
  },
});

const vFetchArgs = { tag: v.string(), n: v.number() };
type FetchRef = FunctionReference<"action", "internal", { tag: string; n: number }, number>;

async function countAction(
  ctx: Pick<GenericActionCtx<GenericDataModel>, "runMutation">,
  tag: string,
  action: string,
): Promise<number> {
  return await ctx.runMutation(internal.attempts.countAttempt, { key: `${tag}:${action}` });
}

/** The 4-step body: query, two actions in parallel, mutation. Returns the recorded value. */
async function fourSteps(
  step: WorkflowCtx,
  { tag, n }: { tag: string; n: number },
  a: FetchRef,
  b: FetchRef,
): Promise<number> {
  const base = await step.runQuery(internal.executorWorkflows.lookup, { n });
  const [x, y] = await Promise.all([step.runAction(a, { tag, n: base }), step.runAction(b, { tag, n: base })]);
  await step.runMutation(internal.executorWorkflows.record, { tag, workflowId: step.workflowId, value: x + y });
  return x + y;
}

// ---------------------------------------------------------------------------------------
// The plain executor-mode manager.

export const workflow = new WorkflowManager(components.workflow, {
  executorShards: 4,
  workpoolOptions: { logLevel: "WARN" },
});

export const fetchA = workflow.action("fetchA", {
  args: vFetchArgs,
  returns: v.number(),
  handler: async (ctx, { tag, n }): Promise<number> => {
    await countAction(ctx, tag, "A");
    await passGate();
    return n + 1;
  },
});

export const fetchB = workflow.action("fetchB", {
  args: vFetchArgs,
  returns: v.number(),
  handler: async (ctx, { tag, n }): Promise<number> => {
    await countAction(ctx, tag, "B");
    return n + 2;
  },
});

/** Throws `WorkflowRateLimitError` on its first `times` runs (per tag), then succeeds. */
export const rateLimited = workflow.action("rateLimited", {
  args: { tag: v.string(), n: v.number(), times: v.number() },
  returns: v.number(),
  handler: async (ctx, { tag, n, times }): Promise<number> => {
    const run = await countAction(ctx, tag, "R");
    if (run <= times) throw new WorkflowRateLimitError(`rate limited (run ${run} of ${tag})`);
    return n + 3;
  },
});

export const fourStep = workflow.define({
  args: vFetchArgs,
  returns: v.number(),
  handler: (step, args): Promise<number> =>
    fourSteps(step, args, internal.executorWorkflows.fetchA, internal.executorWorkflows.fetchB),
});

/** Like `fourStep`, with the second action rate limited `times` times. */
export const rateLimitedFlow = workflow.define({
  args: { tag: v.string(), n: v.number(), times: v.number() },
  returns: v.number(),
  handler: async (step, { tag, n, times }): Promise<number> => {
    const base = await step.runQuery(internal.executorWorkflows.lookup, { n });
    const [x, y] = await Promise.all([
      step.runAction(internal.executorWorkflows.fetchA, { tag, n: base }),
      step.runAction(internal.executorWorkflows.rateLimited, { tag, n: base, times }),
    ]);
    await step.runMutation(internal.executorWorkflows.record, { tag, workflowId: step.workflowId, value: x + y });
    return x + y;
  },
});

/**
 * One batch mixing an executor task with a sleep and an event: the workflow must go on only
 * once all three are done, whichever finishes last.
 */
export const mixedBatch = workflow.define({
  args: vFetchArgs,
  returns: v.number(),
  handler: async (step, { tag, n }): Promise<number> => {
    const [x, , bonus] = await Promise.all([
      step.runAction(internal.executorWorkflows.fetchB, { tag, n }),
      step.sleep(2_000),
      step.awaitEvent({ name: "bonus", validator: v.number() }),
    ]);
    await step.runMutation(internal.executorWorkflows.record, { tag, workflowId: step.workflowId, value: x + bonus });
    return x + bonus;
  },
});

/**
 * After its query, starts fetchA without awaiting it and fails in the same replay: the workflow
 * finishes while a step it just started is in flight, so that step must be canceled.
 */
export const givesUpEarly = workflow.define({
  args: vFetchArgs,
  returns: v.number(),
  handler: async (step, { tag, n }): Promise<number> => {
    const base = await step.runQuery(internal.executorWorkflows.lookup, { n });
    step.runAction(internal.executorWorkflows.fetchA, { tag, n: base }).catch(() => undefined);
    throw new Error(`gave up on ${tag}`);
  },
});

export const executor = workflow.executor();
workflow.setExecutorRef(internal.executorWorkflows.executor);

// ---------------------------------------------------------------------------------------
// An executor that dies where the test says (`faults`).

export const faultyWorkflow = new WorkflowManager(components.workflow, {
  executorShards: 4,
  workpoolOptions: { logLevel: "WARN" },
});

export const faultyFetchA = faultyWorkflow.action("faultyFetchA", {
  args: vFetchArgs,
  returns: v.number(),
  handler: async (ctx, { tag, n }): Promise<number> => {
    await countAction(ctx, tag, "A");
    return n + 1;
  },
});

export const faultyFetchB = faultyWorkflow.action("faultyFetchB", {
  args: vFetchArgs,
  returns: v.number(),
  handler: async (ctx, { tag, n }): Promise<number> => {
    await countAction(ctx, tag, "B");
    return n + 2;
  },
});

export const faultyFourStep = faultyWorkflow.define({
  args: vFetchArgs,
  returns: v.number(),
  handler: (step, args): Promise<number> =>
    fourSteps(step, args, internal.executorWorkflows.faultyFetchA, internal.executorWorkflows.faultyFetchB),
});

const faultHooks: ExecutorTestHooks = {
  beforeClaim: () => {
    faults.claims++;
    if (faults.claimKills > 0) {
      faults.claimKills--;
      faults.claimKilled++;
      throw new Error("faultyExecutor: killed before claiming");
    }
  },
  beforeFlush: (count) => {
    if (faults.flushKills > 0) {
      faults.flushKills--;
      faults.flushKilled++;
      throw new Error(`faultyExecutor: killed before flushing ${count} results`);
    }
  },
  beforeMutationGroup: (count) => {
    if (faults.mutationGroupFails > 0) {
      faults.mutationGroupFails--;
      faults.mutationGroupFailed++;
      throw new Error(`faultyExecutor: the transaction of ${count} mutation steps failed`);
    }
  },
};

/** A slow in-process action: waits `ms` (on the test's fake clock). */
export const faultySlow = faultyWorkflow.action("faultySlow", {
  args: { ms: v.number() },
  returns: v.number(),
  handler: async (_ctx, { ms }): Promise<number> => {
    await sleep(ms);
    return ms;
  },
});

export const slowStep = faultyWorkflow.define({
  args: { ms: v.number() },
  returns: v.number(),
  handler: async (step, { ms }): Promise<number> => await step.runAction(internal.executorWorkflows.faultySlow, { ms }),
});

export const faultyExecutor = withExecutorTestHooks(faultHooks, () => faultyWorkflow.executor());
faultyWorkflow.setExecutorRef(internal.executorWorkflows.faultyExecutor);

// ---------------------------------------------------------------------------------------
// Executors that hand their shard to a successor after 1 s, with slow (400 ms) actions.

export const handoffWorkflow = new WorkflowManager(components.workflow, {
  executorShards: 2,
  workpoolOptions: { logLevel: "WARN" },
});

export const slowFetchA = handoffWorkflow.action("slowFetchA", {
  args: vFetchArgs,
  returns: v.number(),
  handler: async (ctx, { tag, n }): Promise<number> => {
    await countAction(ctx, tag, "A");
    await sleep(400);
    return n + 1;
  },
});

export const slowFetchB = handoffWorkflow.action("slowFetchB", {
  args: vFetchArgs,
  returns: v.number(),
  handler: async (ctx, { tag, n }): Promise<number> => {
    await countAction(ctx, tag, "B");
    await sleep(400);
    return n + 2;
  },
});

export const handoffFourStep = handoffWorkflow.define({
  args: vFetchArgs,
  returns: v.number(),
  handler: (step, args): Promise<number> =>
    fourSteps(step, args, internal.executorWorkflows.slowFetchA, internal.executorWorkflows.slowFetchB),
});

// Idle successors exit after 0.5 s, before their own 1 s handoff (see the restless executor).
export const handoffExecutor = handoffWorkflow.executor({
  handoffAfterMs: 1_000,
  idleExitMs: 500,
  idleClaimIntervalMs: 100,
  concurrency: 2,
});
handoffWorkflow.setExecutorRef(internal.executorWorkflows.handoffExecutor);

// ---------------------------------------------------------------------------------------
// Action retries: per step (`retry`), or for the whole manager (`retryActionsByDefault`).

export const retryingWorkflow = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: {
    logLevel: "WARN",
    retryActionsByDefault: true,
    defaultRetryBehavior: { maxAttempts: 3, initialBackoffMs: 100, base: 2 },
  },
});

/** Fails its first `failures` runs (per tag) with an ordinary error, then succeeds. */
export const flaky = retryingWorkflow.action("flaky", {
  args: { tag: v.string(), failures: v.number() },
  returns: v.number(),
  handler: async (ctx, { tag, failures }): Promise<number> => {
    const run = await countAction(ctx, tag, "F");
    if (run <= failures) throw new Error(`flaky: run ${run} of ${tag} failed`);
    return run;
  },
});

/** Runs `flaky` with an explicit per-step retry policy, or with the manager's default. */
export const flakyFlow = retryingWorkflow.define({
  args: { tag: v.string(), failures: v.number(), explicitRetry: v.boolean() },
  returns: v.number(),
  handler: async (step, { tag, failures, explicitRetry }): Promise<number> => {
    const run = await step.runAction(
      internal.executorWorkflows.flaky,
      { tag, failures },
      explicitRetry ? { retry: { maxAttempts: 3, initialBackoffMs: 100, base: 2 } } : {},
    );
    await step.runMutation(internal.executorWorkflows.record, { tag, workflowId: step.workflowId, value: run });
    return run;
  },
});

export const retryingExecutor = retryingWorkflow.executor();
retryingWorkflow.setExecutorRef(internal.executorWorkflows.retryingExecutor);

// ---------------------------------------------------------------------------------------
// Executors whose handoff (1 s) comes before their idle exit (default 10 s).

export const restlessWorkflow = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { logLevel: "WARN" },
});
export const restlessExecutor = restlessWorkflow.executor({ handoffAfterMs: 1_000 });
restlessWorkflow.setExecutorRef(internal.executorWorkflows.restlessExecutor);

// ---------------------------------------------------------------------------------------
// Sequential steps with an executor that claims only once a minute when idle: a step must
// still be claimed right after the previous one's replay.

export const sequentialWorkflow = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { logLevel: "WARN" },
});

export const addTwo = sequentialWorkflow.action("addTwo", {
  args: { n: v.number() },
  returns: v.number(),
  handler: async (_ctx, { n }): Promise<number> => n + 2,
});

/** `steps` actions one after another: each waits for the previous one's replay. */
export const sequentialFlow = sequentialWorkflow.define({
  args: { steps: v.number() },
  returns: v.number(),
  handler: async (step, { steps }): Promise<number> => {
    let total = 0;
    for (let i = 0; i < steps; i++) total += await step.runAction(internal.executorWorkflows.addTwo, { n: i });
    return total;
  },
});

export const sequentialExecutor = sequentialWorkflow.executor({ idleClaimIntervalMs: 60_000 });
sequentialWorkflow.setExecutorRef(internal.executorWorkflows.sequentialExecutor);
