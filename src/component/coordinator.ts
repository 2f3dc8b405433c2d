// Executor mode's replays: instead of one scheduled poll per workflow per batch, the
// workflows whose batches completed in one flush are polled together, a bounded number per
// transaction. Each poll is its own sub-transaction (see runPoll), so one workflow failing
// never rolls back another's progress.
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { runPoll } from "./replay.js";
import { isBatchDone } from "./results.js";

/** Workflows polled per coordinator transaction. */
export const REPLAYS_PER_TRANSACTION = 10;

/** Durably schedule polls for these workflows, in bounded groups. */
export async function scheduleReplays(ctx: MutationCtx, workflowIds: Id<"workflows">[]): Promise<void> {
  const unique = [...new Set(workflowIds)];
  for (let i = 0; i < unique.length; i += REPLAYS_PER_TRANSACTION) {
    await ctx.scheduler.runAfter(0, internal.coordinator.replayBatch, {
      workflowIds: unique.slice(i, i + REPLAYS_PER_TRANSACTION),
    });
  }
}

/** Poll each workflow that is running with no step in flight; skip the rest. */
export async function replayReady(ctx: MutationCtx, workflowIds: Id<"workflows">[]): Promise<number> {
  let polled = 0;
  for (const workflowId of workflowIds) {
    const workflow = await ctx.db.get("workflows", workflowId);
    if (!workflow || workflow.runResult || !(await isBatchDone(ctx, workflowId))) continue;
    await runPoll(ctx, workflow);
    polled++;
  }
  return polled;
}

export const replayBatch = internalMutation({
  args: { workflowIds: v.array(v.id("workflows")) },
  returns: v.number(),
  handler: async (ctx, args) => {
    const now = args.workflowIds.slice(0, REPLAYS_PER_TRANSACTION);
    const later = args.workflowIds.slice(REPLAYS_PER_TRANSACTION);
    if (later.length > 0) await scheduleReplays(ctx, later);
    return await replayReady(ctx, now);
  },
});
