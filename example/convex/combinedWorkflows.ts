// Features used together (combined.test.ts): flow control with continue-as-new, versions, tags,
// startMany and restart with new args. Each workflow records its begins and ends with `mark`,
// so the tests can check how many ran at once.
import { v } from "convex/values";
import { WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";

export const combined = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "ERROR" } });

/** A begin or an end of `key`: an `effects` row whose value holds how many of the key were running before. */
export const mark = internalMutation({
  args: { key: v.string(), what: v.union(v.literal("begin"), v.literal("end")), n: v.number() },
  returns: v.null(),
  handler: async (ctx, { key, what, n }) => {
    const count = async (w: string) =>
      (
        await ctx.db
          .query("effects")
          .withIndex("key", (q) => q.eq("key", `combined:${key}:${w}`))
          .collect()
      ).length;
    const runningBefore = what === "begin" ? (await count("begin")) - (await count("end")) : 0;
    await ctx.db.insert("effects", { key: `combined:${key}:${what}`, value: { n, runningBefore } });
    return null;
  },
});

/**
 * One at a time per `key`, version 2, continuing as new until `run` reaches `runs`: the slot is
 * held across runs (a continue is not an end), so a second workflow of the key waits for the
 * last run of the first.
 */
export const loop = combined.define({
  args: { key: v.string(), n: v.number(), run: v.number(), runs: v.number() },
  version: 2,
  concurrency: { limit: 1, key: (args) => args.key },
  handler: async (step, args): Promise<number> => {
    if (args.run === 1) {
      await step.runMutation(
        internal.combinedWorkflows.mark,
        { key: args.key, what: "begin", n: args.n },
        { inline: true },
      );
    }
    await step.sleep(500);
    if (args.run < args.runs) await step.continueAsNew({ ...args, run: args.run + 1 });
    await step.runMutation(
      internal.combinedWorkflows.mark,
      { key: args.key, what: "end", n: args.n },
      { inline: true },
    );
    return args.n;
  },
});
