// When a workflow may be replayed: it is running and none of its steps is in flight. This is
// the one place that decides it, for both modes: a standard-mode result schedules a replay
// (results.ts), an executor flush hands ready workflows to the coordinator, the coordinator
// checks again before replaying, and a replay's journal load refuses a workflow that is not.
import { getConvexSize } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";

/** Whether any step of the workflow is in progress: one index read, at most one document. */
export async function hasStepsInFlight(ctx: QueryCtx, workflowId: Id<"workflows">): Promise<boolean> {
  const entry = await ctx.db
    .query("steps")
    .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))
    .first();
  return entry !== null;
}

/**
 * A workflow is ready to replay when it is running, not paused (pause.ts) and nothing of it
 * is in flight.
 */
export async function isReady(ctx: QueryCtx, workflow: Doc<"workflows">): Promise<boolean> {
  // Flow control: a queued workflow has not begun; its begin schedules its first replay.
  return (
    workflow.runResult === undefined &&
    !workflow.queued &&
    !workflow.paused &&
    !workflow.resetting &&
    !(await hasStepsInFlight(ctx, workflow._id))
  );
}

/** Of these running workflows (each once), those ready to replay. */
export async function readyToReplay(ctx: QueryCtx, workflows: Iterable<Doc<"workflows">>): Promise<Doc<"workflows">[]> {
  const ready: Doc<"workflows">[] = [];
  const seen = new Set<string>();
  for (const workflow of workflows) {
    if (seen.has(workflow._id)) continue;
    seen.add(workflow._id);
    if (await isReady(ctx, workflow)) ready.push(workflow);
  }
  return ready;
}

/** The workflow, if it exists and is ready to replay. */
export async function readyWorkflow(ctx: QueryCtx, workflowId: Id<"workflows">): Promise<Doc<"workflows"> | null> {
  const workflow = await ctx.db.get("workflows", workflowId);
  return workflow && (await isReady(ctx, workflow)) ? workflow : null;
}

/**
 * The workflow's steps in flight, up to `maxSteps` and about `maxBytes` (they carry their
 * arguments): a bounded read for status and nudges, which may be cut short.
 */
export async function inFlightSteps(
  ctx: QueryCtx,
  workflowId: Id<"workflows">,
  { maxSteps, maxBytes }: { maxSteps: number; maxBytes: number },
): Promise<Doc<"steps">[]> {
  const steps: Doc<"steps">[] = [];
  let bytes = 0;
  for await (const entry of ctx.db
    .query("steps")
    .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))) {
    steps.push(entry);
    bytes += getConvexSize(entry);
    if (steps.length >= maxSteps || bytes >= maxBytes) break;
  }
  return steps;
}
