// Workflows and functions for the lifecycle tests (cancel.test.ts, restart.test.ts,
// cleanup.test.ts, list.test.ts and the timeline's browser test): cancel, restart, cleanup
// and listing, through the public API. Mutation steps write rows to `effects` so the tests
// can count how often each step really ran.
import { v } from "convex/values";
import { vResultValidator, vWorkflowId, WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalAction, internalMutation, internalQuery, type MutationCtx } from "./_generated/server.js";

const DAY = 24 * 60 * 60 * 1000;

export const lifecycle = new WorkflowManager(components.workflow, {
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

/** One side effect: inserts an `effects` row and returns how many rows with that key exist now. */
export const recordEffect = internalMutation({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (ctx, { key }) => {
    await ctx.db.insert("effects", { key });
    return await countEffects(ctx, key);
  },
});

/** A cheap side effect for big journals: one row, no read back. */
export const bigStep = internalMutation({
  args: { key: v.string(), i: v.number() },
  returns: v.number(),
  handler: async (ctx, { key, i }) => {
    await ctx.db.insert("effects", { key, value: i });
    return i;
  },
});

/** An action with a side effect (through a mutation); returns the run count of its key. */
export const effectAction = internalAction({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (ctx, { key }): Promise<number> => {
    return await ctx.runMutation(internal.lifecycleWorkflows.recordEffect, { key });
  },
});

/**
 * An action that cancels a workflow while it is itself running as a step, then finishes
 * normally: records `<key>:action` and returns a value that must be ignored.
 */
export const cancelWhileRunning = internalAction({
  args: { workflowId: vWorkflowId, key: v.string() },
  returns: v.string(),
  handler: async (ctx, { workflowId, key }): Promise<string> => {
    await lifecycle.cancel(ctx, workflowId);
    await ctx.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:action` });
    return "action result";
  },
});

/** Throws unless the test has opened the gate (an `effects` row `<key>:open`). */
export const gate = internalMutation({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (ctx, { key }) => {
    if ((await countEffects(ctx, `${key}:open`)) === 0) throw new Error(`gate ${key} is closed`);
    return null;
  },
});

export const onComplete = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("completions", args);
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Cancel

/** Step 0 runs a minute later; step 1 after it. */
export const delayed = lifecycle.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:delayed` }, { runAfter: 60_000 });
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:after` });
    return "finished";
  },
});

/**
 * One batch: an action that cancels this workflow while it runs, and a mutation due in a
 * day (pending in the workpool when the cancel happens; a day because under convex-test the
 * workpool's loop may first run minutes of fake time after the enqueue). Then one more step.
 */
export const cancelFromAction = lifecycle.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    await Promise.all([
      step.runAction(internal.lifecycleWorkflows.cancelWhileRunning, { workflowId: step.workflowId, key }),
      step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:delayed` }, { runAfter: DAY }),
    ]);
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:after` });
    return "finished";
  },
});

/** Waits for an event named "go" that tests may never send. */
export const waiter = lifecycle.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:before` });
    await step.awaitEvent({ name: "go" });
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:after` });
    return "went";
  },
});

/** parent → child → grandchild (a `waiter`). Each level records an effect after its child. */
export const treeChild = lifecycle.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    const result = await step.runWorkflow(internal.lifecycleWorkflows.waiter, { key: `${key}:grandchild` });
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:child:after` });
    return result;
  },
});

export const treeParent = lifecycle.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    const result = await step.runWorkflow(internal.lifecycleWorkflows.treeChild, { key });
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:parent:after` });
    return result;
  },
});

// ---------------------------------------------------------------------------------------
// Restart

/**
 * Five steps: 0 "alpha", 1 "beta", 2 "beta", 3 the action (default name
 * "lifecycleWorkflows:effectAction"), 4 "gamma". Returns each step's run count.
 */
export const restartable = lifecycle.define({
  args: { key: v.string() },
  returns: v.array(v.number()),
  handler: async (step, { key }): Promise<number[]> => {
    const record = internal.lifecycleWorkflows.recordEffect;
    const s0 = await step.runMutation(record, { key: `${key}:s0` }, { name: "alpha" });
    const s1 = await step.runMutation(record, { key: `${key}:s1` }, { name: "beta" });
    const s2 = await step.runMutation(record, { key: `${key}:s2` }, { name: "beta" });
    const s3 = await step.runAction(internal.lifecycleWorkflows.effectAction, { key: `${key}:s3` });
    const s4 = await step.runMutation(record, { key: `${key}:s4` }, { name: "gamma" });
    return [s0, s1, s2, s3, s4];
  },
});

/** Fails at its "gate" step until the test opens the gate. */
export const gated = lifecycle.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:before` });
    await step.runMutation(internal.lifecycleWorkflows.gate, { key }, { name: "gate" });
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:after` });
    return "passed";
  },
});

export const leaf = lifecycle.define({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (step, { key }): Promise<number> => {
    return await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:leaf` });
  },
});

/** Step 0 a nested `leaf` workflow, step 1 a mutation. */
export const withChild = lifecycle.define({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (step, { key }): Promise<number> => {
    const leafRuns = await step.runWorkflow(internal.lifecycleWorkflows.leaf, { key });
    await step.runMutation(internal.lifecycleWorkflows.recordEffect, { key: `${key}:parent` });
    return leafRuns;
  },
});

// ---------------------------------------------------------------------------------------
// Cleanup

/** Awaits "go", then runs a nested `leaf` workflow: a journal with an event and a child. */
export const eventThenChild = lifecycle.define({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (step, { key }): Promise<number> => {
    await step.awaitEvent({ name: "go" });
    return await step.runWorkflow(internal.lifecycleWorkflows.leaf, { key });
  },
});

/** `steps` inline mutation steps, ten per batch: a big journal built in one transaction. */
export const bigJournal = lifecycle.define({
  args: { key: v.string(), steps: v.number() },
  returns: v.number(),
  handler: async (step, { key, steps }): Promise<number> => {
    let sum = 0;
    for (let i = 0; i < steps; i += 10) {
      const batch = [];
      for (let j = i; j < Math.min(i + 10, steps); j++) {
        batch.push(step.runMutation(internal.lifecycleWorkflows.bigStep, { key, i: j }, { inline: true }));
      }
      for (const n of await Promise.all(batch)) sum += n;
    }
    return sum;
  },
});

// ---------------------------------------------------------------------------------------
// Listing

/** No steps: finishes in the transaction that starts it. */
export const listA = lifecycle.define({
  args: { n: v.number() },
  returns: v.number(),
  handler: (_step, { n }): Promise<number> => Promise.resolve(n),
});

export const listB = lifecycle.define({
  args: { n: v.number() },
  returns: v.number(),
  handler: (_step, { n }): Promise<number> => Promise.resolve(n),
});

export const echo = internalQuery({
  args: { i: v.number() },
  returns: v.number(),
  handler: (_ctx, { i }) => i,
});

/** `steps` inline query steps, ten per batch. */
export const manySteps = lifecycle.define({
  args: { steps: v.number() },
  returns: v.number(),
  handler: async (step, { steps }): Promise<number> => {
    for (let i = 0; i < steps; i += 10) {
      const batch = [];
      for (let j = i; j < Math.min(i + 10, steps); j++) {
        batch.push(step.runQuery(internal.lifecycleWorkflows.echo, { i: j }, { inline: true }));
      }
      await Promise.all(batch);
    }
    return steps;
  },
});

// ---------------------------------------------------------------------------------------
// Cleanup of many nested workflows

/** A manager with batches 100 steps wide, for `fanOut`. */
export const wide = new WorkflowManager(components.workflow, {
  workpoolOptions: { maxParallelism: 100, logLevel: "ERROR" },
});

/** Runs `children` nested `listA` workflows, 100 at a time; returns the sum of their results. */
export const fanOut = wide.define({
  args: { children: v.number() },
  returns: v.number(),
  handler: async (step, { children }): Promise<number> => {
    let sum = 0;
    for (let i = 0; i < children; i += 100) {
      const batch: Promise<number>[] = [];
      for (let n = i; n < Math.min(i + 100, children); n++) {
        batch.push(step.runWorkflow(internal.lifecycleWorkflows.listA, { n }));
      }
      for (const n of await Promise.all(batch)) sum += n;
    }
    return sum;
  },
});
