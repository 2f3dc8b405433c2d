// Workflows for seams.test.ts: the places where two features meet (restart or continue-as-new
// still deleting a big journal, retention and bulk restarts over big documents).
import { v } from "convex/values";
import { WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalQuery } from "./_generated/server.js";

export const review = new WorkflowManager(components.workflow, {
  workpoolOptions: { logLevel: "ERROR" },
  retention: { completed: 1000 },
});

/** Returns immediately; its args are as big as asked. */
export const quick = review.define({
  args: { blob: v.string() },
  handler: async (): Promise<null> => null,
});

export const big = internalQuery({
  args: { i: v.number(), size: v.number() },
  returns: v.string(),
  handler: async (_ctx, { i, size }) => `${i}:` + "x".repeat(size),
});

export const plain = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "ERROR" } });

/** `n` inline query steps with big results, then done. */
export const bigSteps = plain.define({
  args: { n: v.number(), size: v.number() },
  handler: async (step, { n, size }): Promise<number> => {
    for (let i = 0; i < n; i++) await step.runQuery(internal.seamsWorkflows.big, { i, size }, { inline: true });
    return n;
  },
});

export const boom = internalQuery({
  args: {},
  returns: v.null(),
  handler: async () => {
    throw new Error("boom");
  },
});

/** `n` big inline steps, then one that fails (caught: the workflow fails with it). */
export const bigThenFail = plain.define({
  args: { n: v.number(), size: v.number() },
  handler: async (step, { n, size }): Promise<number> => {
    for (let i = 0; i < n; i++) await step.runQuery(internal.seamsWorkflows.big, { i, size }, { inline: true });
    await step.runQuery(internal.seamsWorkflows.boom, {}, { inline: true });
    return n;
  },
});

/** Run 1: `n` big steps, then continue as new; run 2: one small step. */
export const bigLoop = plain.define({
  args: { run: v.number(), n: v.number(), size: v.number() },
  handler: async (step, { run, n, size }): Promise<number> => {
    if (run === 1) {
      for (let i = 0; i < n; i++) await step.runQuery(internal.seamsWorkflows.big, { i, size }, { inline: true });
      await step.continueAsNew({ run: 2, n, size });
    }
    await step.runQuery(internal.seamsWorkflows.big, { i: -1, size: 1 }, { inline: true });
    return run;
  },
});
