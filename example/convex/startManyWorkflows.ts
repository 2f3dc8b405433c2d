// startMany (docs/executor-mode.md, "Starting many at once") for startMany.test.ts: the same
// 2-step workflow (a query, then a mutation writing one `effects` row) in both modes.
// - `standard`: a plain manager (steps through the workpool);
// - `executorMode`: 2 shards, steps run by its executor.
import { v } from "convex/values";
import { vWorkflowId, WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";

export const double = internalQuery({
  args: { n: v.number() },
  returns: v.number(),
  handler: (_ctx, { n }) => n * 2,
});

/** The workflow's side effect: one `effects` row per run, keyed `many:<tag>`. */
export const record = internalMutation({
  args: { tag: v.string(), workflowId: v.string(), value: v.number() },
  returns: v.null(),
  handler: async (ctx, { tag, workflowId, value }) => {
    await ctx.db.insert("effects", { key: `many:${tag}`, workflowId, value });
    return null;
  },
});

/** onComplete: one `effects` row per finished workflow, keyed `done:<context>`. */
export const onDone = internalMutation({
  args: { workflowId: vWorkflowId, result: v.any(), context: v.string() },
  returns: v.null(),
  handler: async (ctx, { workflowId, result, context }) => {
    await ctx.db.insert("effects", { key: `done:${context}`, workflowId, value: result });
    return null;
  },
});

const args = { tag: v.string(), n: v.number(), padding: v.optional(v.string()) };

export const standard = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "WARN" } });

export const standardTwoStep = standard.define({
  args,
  returns: v.number(),
  handler: async (step, { tag, n }): Promise<number> => {
    const value: number = await step.runQuery(internal.startManyWorkflows.double, { n });
    await step.runMutation(internal.startManyWorkflows.record, { tag, workflowId: step.workflowId, value });
    return value;
  },
});

export const executorMode = new WorkflowManager(components.workflow, {
  executorShards: 2,
  workpoolOptions: { logLevel: "WARN" },
});

export const executorTwoStep = executorMode.define({
  args,
  returns: v.number(),
  handler: async (step, { tag, n }): Promise<number> => {
    const value: number = await step.runQuery(internal.startManyWorkflows.double, { n });
    await step.runMutation(internal.startManyWorkflows.record, { tag, workflowId: step.workflowId, value });
    return value;
  },
});

export const executor = executorMode.executor();
executorMode.setExecutorRef(internal.startManyWorkflows.executor);
