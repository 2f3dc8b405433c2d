// Workflows for the operating tests (operate*.test.ts): tags and filters, pause and resume,
// restart with new args or from the failed step, bulk actions, retention. Mutation steps write
// rows to `effects` so the tests can count how often each step really ran.
import { v } from "convex/values";
import { WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";

export const operate = new WorkflowManager(components.workflow, {
  workpoolOptions: { maxParallelism: 10, logLevel: "ERROR" },
});

async function countEffects(ctx: MutationCtx, key: string): Promise<number> {
  return (
    await ctx.db
      .query("effects")
      .withIndex("key", (q) => q.eq("key", key))
      .collect()
  ).length;
}

/** One side effect: an `effects` row; returns how many rows with that key exist now. */
export const effect = internalMutation({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (ctx, { key }) => {
    await ctx.db.insert("effects", { key });
    return await countEffects(ctx, key);
  },
});

/** Throws unless the test has opened the gate (an `effects` row `<key>:open`); records each try. */
export const gate = internalMutation({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (ctx, { key }) => {
    if ((await countEffects(ctx, `${key}:open`)) === 0) throw new Error(`gate ${key} is closed`);
    return "opened";
  },
});

/** No steps: finishes in the transaction that starts it, returning `n`. */
export const quick = operate.define({
  args: { n: v.number() },
  returns: v.number(),
  handler: async (_step, { n }): Promise<number> => n,
});

/** Fails at once (no steps). */
export const fails = operate.define({
  args: { n: v.number() },
  handler: async (_step, { n }): Promise<void> => {
    throw new Error(`fails ${n}`);
  },
});

/** Waits for an event named "go", then records `<key>:after`. */
export const waiter = operate.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    await step.awaitEvent({ name: "go" });
    await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:after` });
    return "went";
  },
});

/** Three steps, one after another: a (a minute later), b, c; each records `<key>:<step>`. */
export const threeSteps = operate.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:a` }, { runAfter: 60_000 });
    await step.sleep(60_000);
    await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:b` });
    await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:c` });
    return "done";
  },
});

/** a, then the gate (fails while closed), then c. */
export const gated = operate.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:a` });
    await step.runMutation(internal.operateWorkflows.gate, { key }, { name: "gate" });
    await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:c` });
    return "through";
  },
});

/** Doubles `x` (an integer) after one step; its validator checks restart args too. */
export const double = operate.define({
  args: { x: v.number(), label: v.optional(v.string()) },
  returns: v.number(),
  handler: async (step, { x }): Promise<number> => {
    await step.runMutation(internal.operateWorkflows.effect, { key: `double:${x}` });
    return 2 * x;
  },
});

/** A parent whose child (a `waiter`) it waits for. */
export const parent = operate.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> =>
    await step.runWorkflow(internal.operateWorkflows.waiter, { key: `${key}:child` }),
});

// ---------------------------------------------------------------------------------------
// Executor mode: pause and resume must hold there too (the flush and the coordinator ask
// the same readiness check).

export const operateExecutor = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { logLevel: "ERROR" },
});

/** Two mutation steps, run by the executor: `<key>:1`, then `<key>:2`. */
export const twoTasks = operateExecutor.define({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (step, { key }): Promise<number> => {
    await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:1` });
    return await step.runMutation(internal.operateWorkflows.effect, { key: `${key}:2` });
  },
});

export const executor = operateExecutor.executor();
operateExecutor.setExecutorRef(internal.operateWorkflows.executor);
