// Workflows for cancel.test.ts's big trees: cancel of a tree too big for one transaction
// (many nested workflows, each with many steps in flight) cascades in bounded batches.
// - `awaiter`: waits for `awaits` events at once (one batch, each await with a deadline, so
//   each has a timer to cancel);
// - `fanOut`: runs `children` awaiters in parallel;
// - `chain`: a chain `depth` deep, each level waiting on `awaits` events beside its child;
// - `delayed`: `steps` mutation steps scheduled a day out (in flight in the workpool, or as
//   executor tasks), each writing an `effects` row if it ever runs;
// - `bigFanOut`: `children` workflows whose delayed steps carry large arguments.
// The same definitions exist for executor mode (`exec*`).
import { v } from "convex/values";
import { type WorkflowCtx, WorkflowManager } from "convex-workflow";
import type { FunctionReference } from "convex/server";
import { components, internal } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";

const DAY = 24 * 60 * 60 * 1000;

export const cancelFlows = new WorkflowManager(components.workflow, {
  workpoolOptions: { maxParallelism: 200, logLevel: "ERROR" },
});
export const cancelExecFlows = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { maxParallelism: 200, logLevel: "ERROR" },
});

/** A step that must never run once its workflow is canceled. */
export const lateEffect = internalMutation({
  args: { key: v.string(), pad: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { key }) => {
    await ctx.db.insert("effects", { key });
    return null;
  },
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
type Self = FunctionReference<"mutation", "internal">;

const awaitAll = (step: WorkflowCtx, awaits: number) =>
  Promise.all(range(awaits).map((i) => step.awaitEvent({ name: `e${i}`, timeout: DAY })));

const bodies = {
  awaiter: async (step: WorkflowCtx, { awaits }: { awaits: number }): Promise<null> => {
    await awaitAll(step, awaits);
    return null;
  },
  fanOut: async (
    step: WorkflowCtx,
    { children, awaits }: { children: number; awaits: number },
    awaiter: Self,
  ): Promise<null> => {
    await Promise.all(range(children).map(() => step.runWorkflow(awaiter, { awaits })));
    return null;
  },
  chain: async (step: WorkflowCtx, { depth, awaits }: { depth: number; awaits: number }, self: Self): Promise<null> => {
    await Promise.all([
      depth > 0 ? step.runWorkflow(self, { depth: depth - 1, awaits }) : null,
      awaitAll(step, awaits),
    ]);
    return null;
  },
  delayed: async (step: WorkflowCtx, { tag, steps }: { tag: string; steps: number }): Promise<null> => {
    await Promise.all(
      range(steps).map((i) =>
        step.runMutation(internal.cancelWorkflows.lateEffect, { key: `${tag}:${i}` }, { runAfter: DAY }),
      ),
    );
    return null;
  },
};

export const awaiter = cancelFlows.define({ args: { awaits: v.number() }, handler: bodies.awaiter });
export const fanOut = cancelFlows.define({
  args: { children: v.number(), awaits: v.number() },
  handler: (step, args): Promise<null> => bodies.fanOut(step, args, internal.cancelWorkflows.awaiter),
});
export const chain = cancelFlows.define({
  args: { depth: v.number(), awaits: v.number() },
  handler: (step, args): Promise<null> => bodies.chain(step, args, internal.cancelWorkflows.chain),
});
export const delayed = cancelFlows.define({ args: { tag: v.string(), steps: v.number() }, handler: bodies.delayed });

/** `children` workflows, each with `steps` delayed steps whose arguments carry `pad`. */
export const bigDelayed = cancelFlows.define({
  args: { steps: v.number(), pad: v.string() },
  handler: async (step, { steps, pad }): Promise<null> => {
    await Promise.all(
      range(steps).map((i) =>
        step.runMutation(internal.cancelWorkflows.lateEffect, { key: `late:${i}`, pad }, { runAfter: DAY }),
      ),
    );
    return null;
  },
});
export const bigFanOut = cancelFlows.define({
  args: { children: v.number(), steps: v.number(), pad: v.string() },
  handler: async (step, { children, steps, pad }): Promise<null> => {
    await Promise.all(range(children).map(() => step.runWorkflow(internal.cancelWorkflows.bigDelayed, { steps, pad })));
    return null;
  },
});

/** Executor mode: a chain whose every level also has `steps` delayed mutation tasks queued. */
export const execChain = cancelExecFlows.define({
  args: { tag: v.string(), depth: v.number(), steps: v.number() },
  handler: async (step, { tag, depth, steps }): Promise<null> => {
    await Promise.all([
      depth > 0
        ? step.runWorkflow(internal.cancelWorkflows.execChain, { tag: `${tag}/${depth}`, depth: depth - 1, steps })
        : null,
      bodies.delayed(step, { tag, steps }),
    ]);
    return null;
  },
});
export const cancelExecutor = cancelExecFlows.executor();
cancelExecFlows.setExecutorRef(internal.cancelWorkflows.cancelExecutor);

// --- Budgets and fencing across transactions (cancel.test.ts "budgets and fencing") ---

/** Cancel several workflows in ONE transaction (an app mutation doing bulk cancels). */
export const cancelMany = internalMutation({
  args: { workflowIds: v.array(v.string()) },
  returns: v.null(),
  handler: async (ctx, { workflowIds }) => {
    for (const workflowId of workflowIds) await cancelFlows.cancel(ctx, workflowId as never);
    return null;
  },
});

/** A large step result: `kib` KiB of text. */
export const bigResult = internalMutation({
  args: { kib: v.number(), i: v.number() },
  returns: v.string(),
  handler: async (_ctx, { kib, i }) => String(i % 10).repeat(kib << 10),
});

/** `count` parallel steps of `kib` KiB each: with 20 × 790 KiB the journal is too large and the run fails. */
export const bigResults = cancelFlows.define({
  args: { count: v.number(), kib: v.number() },
  handler: async (step, { count, kib }): Promise<number> => {
    const results = await Promise.all(
      range(count).map((i) => step.runMutation(internal.cancelWorkflows.bigResult, { kib, i })),
    );
    return results.length;
  },
});

/** Waits for "go", then writes an effects row `key`: a child that starts new work late. */
export const goThenEffect = cancelFlows.define({
  args: { key: v.string() },
  handler: async (step, { key }): Promise<null> => {
    await step.awaitEvent({ name: "go" });
    await step.runMutation(internal.cancelWorkflows.lateEffect, { key });
    return null;
  },
});

/** `children` awaiters (the cascade's bulk) started before one `goThenEffect` child. */
export const orphanParent = cancelFlows.define({
  args: { children: v.number(), awaits: v.number(), key: v.string() },
  handler: async (step, { children, awaits, key }): Promise<null> => {
    await Promise.all([
      ...range(children).map(() => step.runWorkflow(internal.cancelWorkflows.awaiter, { awaits })),
      step.runWorkflow(internal.cancelWorkflows.goThenEffect, { key }),
    ]);
    return null;
  },
});
