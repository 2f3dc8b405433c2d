// Deleting journal data in bounded transactions. Anything that could exceed one
// transaction's limits continues itself in a scheduled function.
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { deleteTaskOfStep } from "./taskQueue.js";
import { cancelTimer } from "./wait.js";

/** Documents deleted per transaction before the rest is handed to a continuation. */
export const DELETE_BUDGET = 1000;
const PAGE = 200;

/**
 * Delete the steps numbered `from` and above (with their events; nested workflows are
 * cleaned up in their own transactions). Returns the first step number not yet deleted,
 * or null when done.
 */
export async function deleteStepsFrom(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  from: number,
  budget = DELETE_BUDGET,
): Promise<number | null> {
  let deleted = 0;
  while (deleted < budget) {
    const page = await ctx.db
      .query("steps")
      .withIndex("workflow", (q) => q.eq("workflowId", workflowId).gte("stepNumber", from))
      .take(Math.min(PAGE, budget - deleted));
    for (const entry of page) await deleteStep(ctx, entry);
    deleted += page.length;
    if (page.length === 0) return null;
    from = page[page.length - 1].stepNumber + 1;
  }
  return from;
}

async function deleteStep(ctx: MutationCtx, entry: Doc<"steps">): Promise<void> {
  await ctx.db.delete("steps", entry._id);
  const step = entry.step;
  const timerId = step.kind === "event" ? step.timerId : "wait" in step ? step.wait?.timerId : undefined;
  if (timerId) await cancelTimer(ctx, timerId);
  if (step.kind !== "event" && "workId" in step && step.workId?.startsWith("executor:")) await deleteTaskOfStep(ctx, entry._id);
  if (step.kind === "event" && step.eventId) {
    const event = await ctx.db.get("events", step.eventId);
    if (event) await ctx.db.delete("events", event._id);
  } else if (step.kind === "workflow" && step.workflowId) {
    await ctx.scheduler.runAfter(0, internal.cleanup.deleteWorkflow, { workflowId: step.workflowId });
  }
}

/** Delete the events of a workflow that no step points at (buffered sends, created ids). */
async function deleteEvents(ctx: MutationCtx, workflowId: Id<"workflows">, budget: number): Promise<boolean> {
  const events = await ctx.db
    .query("events")
    .withIndex("workflowId_state", (q) => q.eq("workflowId", workflowId))
    .take(budget);
  for (const event of events) await ctx.db.delete("events", event._id);
  return events.length < budget;
}

/** Delete a workflow and everything it owns, continuing in scheduled functions as needed. */
export async function deleteWorkflowData(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<void> {
  const workflow = await ctx.db.get("workflows", workflowId);
  if (workflow) await ctx.db.delete("workflows", workflowId);
  const next = await deleteStepsFrom(ctx, workflowId, 0);
  const eventsDone = next === null && (await deleteEvents(ctx, workflowId, PAGE));
  if (!eventsDone) {
    await ctx.scheduler.runAfter(0, internal.cleanup.deleteWorkflow, { workflowId });
  }
}

/** Continuation of cleanup; also how nested workflows are deleted with their parent. */
export const deleteWorkflow = internalMutation({
  args: { workflowId: v.id("workflows") },
  returns: v.null(),
  handler: async (ctx, args) => {
    await deleteWorkflowData(ctx, args.workflowId);
    return null;
  },
});
