// Executor-mode workflows with large step arguments, for executorBounds.test.ts: the task
// queue's reads (claim, recording results, diagnose) and status reads stay within a
// transaction's limits however large the tasks are.
import { v } from "convex/values";
import { WorkflowManager, type WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";

export const boundsExec = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { logLevel: "ERROR" },
});

/** `size` bytes of text, tagged with `i` so that no two are alike. */
const blob = (size: number, i: number) => `${i}:`.padEnd(size, "x");

export const measure = boundsExec.action("measure", {
  args: { blob: v.string() },
  returns: v.number(),
  handler: async (_ctx, { blob }) => blob.length,
});

export const isReady = internalQuery({
  args: {},
  returns: v.boolean(),
  handler: async () => true,
});

/** `steps` parallel actions, each given `size` bytes of arguments (so a task of that size). */
export const fanOut = boundsExec.define({
  args: { steps: v.number(), size: v.number(), wait: v.optional(v.boolean()) },
  returns: v.number(),
  handler: async (step, { steps, size, wait }): Promise<number> => {
    const runs = Array.from({ length: steps }, (_, i) =>
      step.runAction(internal.executorBoundsWorkflows.measure, { blob: blob(size, i) }),
    );
    const [lengths] = await Promise.all([
      Promise.all(runs),
      wait ? step.waitUntil(internal.executorBoundsWorkflows.isReady, {}) : Promise.resolve(true),
    ]);
    return lengths.reduce((a, b) => a + b, 0);
  },
});

/** The unrelated workflow of the blast-radius checks. */
export const small = boundsExec.define({
  args: { n: v.number() },
  returns: v.number(),
  handler: async (step, { n }): Promise<number> =>
    (await step.runAction(internal.executorBoundsWorkflows.measure, { blob: "x" })) + n,
});

/** How many running steps `status()` lists for each workflow, all in one query. */
export const runningOf = internalQuery({
  args: { ids: v.array(v.string()) },
  returns: v.array(v.number()),
  handler: async (ctx, { ids }) => {
    const out: number[] = [];
    for (const id of ids) {
      const status = await boundsExec.status(ctx, id as WorkflowId);
      out.push(status.type === "inProgress" ? status.running.length : -1);
    }
    return out;
  },
});

/** `notify` for each workflow, all in one transaction. */
export const notifyAll = internalMutation({
  args: { ids: v.array(v.string()) },
  returns: v.null(),
  handler: async (ctx, { ids }) => {
    for (const id of ids) await boundsExec.notify(ctx, id as WorkflowId);
    return null;
  },
});

export const executor = boundsExec.executor();
boundsExec.setExecutorRef(internal.executorBoundsWorkflows.executor);
