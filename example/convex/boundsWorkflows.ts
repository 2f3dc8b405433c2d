// Workflows with large data, for bounds.test.ts: reads of pages (list, listSteps, the
// timeline) and executor mode's replay groups stay within a transaction's read limits
// however large the documents are.
import { v } from "convex/values";
import { WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";

export const bounds = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "ERROR" } });

/** `size` bytes of text (one character each), tagged with `i` so that no two are alike. */
const blob = (size: number, i: number) => `${i}:`.padEnd(size, "x");

export const bigValue = internalQuery({
  args: { size: v.number(), i: v.number() },
  returns: v.string(),
  handler: (_ctx, { size, i }) => blob(size, i),
});

/** Finishes at once; its arguments carry `blob`. */
export const bigArgs = bounds.define({
  args: { blob: v.string() },
  returns: v.number(),
  handler: async (_step, { blob }): Promise<number> => blob.length,
});

/** `steps` inline query steps, each returning `size` bytes: a journal of steps × size. */
export const bigResults = bounds.define({
  args: { steps: v.number(), size: v.number() },
  returns: v.number(),
  handler: async (step, { steps, size }): Promise<number> => {
    const results: string[] = await Promise.all(
      Array.from({ length: steps }, (_, i) =>
        step.runQuery(internal.boundsWorkflows.bigValue, { size, i }, { inline: true }),
      ),
    );
    return results.length;
  },
});

/** The unrelated workflow of the blast-radius checks. */
export const small = bounds.define({
  args: { n: v.number() },
  returns: v.number(),
  handler: async (step, { n }): Promise<number> =>
    await step.runQuery(internal.boundsWorkflows.bigValue, { size: 4, i: n }).then(() => n),
});

// ---------------------------------------------------------------------------------------
// Executor mode: one shard, so that the last steps of many workflows finish in one batch and
// their replays come to the coordinator together.

export const bigExecutor = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { logLevel: "ERROR" },
});

export const bigAction = bigExecutor.action("bigAction", {
  args: { size: v.number(), i: v.number() },
  returns: v.string(),
  handler: async (_ctx, { size, i }) => blob(size, i),
});

/** Holds every `rendezvous` call until `of` calls are waiting, then lets them all go at once. */
const waiting: Array<() => void> = [];
export const rendezvous = bigExecutor.action("rendezvous", {
  args: { of: v.number() },
  returns: v.null(),
  handler: async (_ctx, { of }) => {
    await new Promise<void>((resume) => {
      waiting.push(resume);
      if (waiting.length >= of) for (const go of waiting.splice(0)) go();
    });
    return null;
  },
});

export const finish = internalMutation({
  args: { tag: v.string() },
  returns: v.null(),
  handler: async (ctx, { tag }) => {
    await ctx.db.insert("effects", { key: `bounds:${tag}` });
    return null;
  },
});

/**
 * `parts` actions of `size` bytes each (a journal of about parts × size); then a `rendezvous`
 * with the other `of` workflows, so that all of them finish that step in the same flush and
 * come to the coordinator's replay group together; then a small mutation.
 */
export const bigJournal = bigExecutor.define({
  args: { tag: v.string(), parts: v.number(), size: v.number(), of: v.number() },
  returns: v.number(),
  handler: async (step, { tag, parts, size, of }): Promise<number> => {
    let total = 0;
    for (let i = 0; i < parts; i++) {
      total += (await step.runAction(internal.boundsWorkflows.bigAction, { size, i })).length;
    }
    await step.runAction(internal.boundsWorkflows.rendezvous, { of });
    await step.runMutation(internal.boundsWorkflows.finish, { tag });
    return total;
  },
});

export const executor = bigExecutor.executor();
bigExecutor.setExecutorRef(internal.boundsWorkflows.executor);
