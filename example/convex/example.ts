// The app's WorkflowManager and the smallest possible workflow.
//
// Every workflow module in this app (transcription.ts, orders.ts, batch.ts) defines its
// workflows with the `workflow` manager exported here; runs.ts is the public, authenticated
// API that starts, cancels and reads them. Everything else is internal.
import { v } from "convex/values";
import { vResultValidator, vWorkflowId, WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";

export const workflow = new WorkflowManager(components.workflow, {
  // WARN keeps the logs to what needs attention; use "DEBUG" while developing a workflow.
  workpoolOptions: { maxParallelism: 10, logLevel: "WARN" },
});

export const greet = internalQuery({
  args: { name: v.string() },
  returns: v.string(),
  handler: (_ctx, { name }) => `Hello, ${name}`,
});

export const shout = internalAction({
  args: { text: v.string() },
  returns: v.string(),
  handler: (_ctx, { text }) => text.toUpperCase() + "!",
});

export const record = internalMutation({
  args: { key: v.string(), value: v.any() },
  returns: v.null(),
  handler: async (ctx, { key, value }) => {
    await ctx.db.insert("effects", { key, value });
    return null;
  },
});

/** A query, two actions in parallel, then a mutation. */
export const greeting = workflow.define({
  args: { name: v.string() },
  returns: v.string(),
  handler: async (step, { name }): Promise<string> => {
    const hello = await step.runQuery(internal.example.greet, { name });
    const [a, b] = await Promise.all([
      step.runAction(internal.example.shout, { text: hello }),
      step.runAction(internal.example.shout, { text: "again" }),
    ]);
    await step.runMutation(internal.example.record, { key: name, value: a + b });
    return a;
  },
});

/** A minimal onComplete handler: it records what it was given (see runs.ts for a fuller one). */
export const onDone = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("completions", args);
    return null;
  },
});
