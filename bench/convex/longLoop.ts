// The long-loop bench (bench/longLoop.bench.test.ts, docs/versioning.md): a loop of
// `iterations` action steps, one after another, either in one run (its journal grows by one
// entry per iteration and every replay reads all of it) or continuing as new every `every`
// iterations (no journal holds more than `every` entries).
import { WorkflowManager } from "convex-workflow";
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import { internalMutation, internalQuery } from "./_generated/server";

const manager = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "WARN" as const } });

const loopArgs = { iteration: v.number(), iterations: v.number(), every: v.number(), total: v.number() };

export const loop = manager.define({
  args: loopArgs,
  handler: async (step, args): Promise<number> => {
    let total = args.total;
    for (let i = args.iteration; i < args.iterations; i++) {
      if (args.every > 0 && i > args.iteration && (i - args.iteration) % args.every === 0) {
        await step.continueAsNew({ ...args, iteration: i, total });
      }
      total += (await step.runAction(internal.workload.callApi, { x: i })) as number;
    }
    return total;
  },
});

export const start = internalMutation({
  args: { iterations: v.number(), every: v.number() },
  returns: v.string(),
  handler: async (ctx, { iterations, every }) =>
    await manager.start(ctx, internal.longLoop.loop, { iteration: 0, iterations, every, total: 0 }),
});

export const status = internalQuery({
  args: { id: v.string() },
  returns: v.object({ type: v.string(), result: v.optional(v.any()) }),
  handler: async (ctx, { id }) => {
    const s = await manager.status(ctx, id as never);
    return { type: s.type, result: s.type === "completed" ? s.result : undefined };
  },
});
