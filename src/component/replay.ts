// Replays: one run of the app's workflow mutation, which replays the handler against the
// journal and starts the next batch of steps (or finishes the workflow). Executor mode replays
// many workflows in one call instead (executor/coordinator.ts).
import type { FunctionHandle } from "convex/server";
import { v } from "convex/values";
import { formatErrorWithStack } from "../shared/errors.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { completeWorkflow } from "./completion.js";
import { getLogger } from "./config.js";
import { logThrown } from "../shared/logging.js";

type ReplayArgs = { workflowId: string; generationNumber: number };
/** What starting a replay needs to know of a workflow. */
type Replayable = Pick<Doc<"workflows">, "_id" | "name" | "generationNumber" | "workflowHandle">;

/** Schedule a replay of the workflow in its current generation (now, or at `runAt`). */
export async function scheduleReplay(ctx: MutationCtx, workflow: Replayable, runAt?: number): Promise<void> {
  const args = { workflowId: workflow._id, generationNumber: workflow.generationNumber };
  if (runAt !== undefined && runAt > Date.now()) {
    await ctx.scheduler.runAt(runAt, internal.replay.run, args);
  } else {
    await ctx.scheduler.runAfter(0, internal.replay.run, args);
  }
}

/**
 * Run one replay in this transaction. The app's mutation runs as a sub-transaction: if it
 * throws (a bug outside the handler, a determinism failure we could not catch, an invalid
 * return shape) its writes are rolled back and the workflow fails with that error here,
 * so a workflow never sits unfinished because its replay keeps failing.
 */
export async function runReplay(ctx: MutationCtx, workflow: Replayable): Promise<void> {
  const args: ReplayArgs = { workflowId: workflow._id, generationNumber: workflow.generationNumber };
  try {
    await ctx.runMutation(workflow.workflowHandle as FunctionHandle<"mutation", ReplayArgs>, args);
  } catch (error) {
    const message = formatErrorWithStack(error);
    logThrown(await getLogger(ctx), "error", `Workflow ${workflow._id} (${workflow.name}) failed in its replay`, error);
    const current = await ctx.db.get("workflows", workflow._id);
    if (current && !current.runResult && current.generationNumber === workflow.generationNumber) {
      await completeWorkflow(ctx, current, { kind: "failed", error: message });
    }
  }
}

/** The scheduled replay. Stale (wrong generation) or finished workflows are a no-op. */
export const run = internalMutation({
  args: { workflowId: v.id("workflows"), generationNumber: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const workflow = await ctx.db.get("workflows", args.workflowId);
    if (!workflow || workflow.runResult || workflow.generationNumber !== args.generationNumber) {
      return null;
    }
    await runReplay(ctx, workflow);
    return null;
  },
});
