// Stopping the work of a finished workflow: its steps still in flight are marked canceled
// and what runs behind them is stopped (workpool jobs, executor tasks, timers, event waits,
// nested workflows, which are canceled in turn). A tree of any size is stopped in bounded
// transactions: the one that finishes the workflow does what fits in `StopBudget`, and a
// scheduled `continueStop` per workflow does the rest, a budget at a time.
//
// Fencing: the workflow's generation was bumped (cancel) or its result set before any of
// this runs, so a late result or poll of a step not yet reached is ignored, and a stop
// continues only while the workflow stays in the generation it was finished in. A restart
// takes over what is left (`restartContinue`); a cleanup deletes it (deleting a step in
// flight stops its work first, `stopStepWork`).
import { getConvexSize, v } from "convex/values";
import { STOP_BUDGET_BYTES, STOP_BUDGET_RANGES } from "../shared.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { completeWorkflow } from "./completion.js";
import { closeEventsOfStep } from "./event.js";
import { getWorkpool } from "./pool.js";
import { deleteTaskOfStep } from "./taskQueue.js";
import { cancelTimer } from "./wait.js";

/**
 * What one transaction may still spend on stopping steps: index ranges (Convex allows 4096
 * per transaction, `db.get` included) and bytes of documents read (a patch reads its document
 * again).
 * Shared by everything one transaction stops, nested workflows included.
 */
export type StopBudget = {
  ranges: number;
  bytes: number;
  /** One workpool client per transaction. */
  workpool?: Awaited<ReturnType<typeof getWorkpool>>;
};
export const newStopBudget = (): StopBudget => ({ ranges: STOP_BUDGET_RANGES, bytes: STOP_BUDGET_BYTES });

/** In-flight steps read per page. */
const PAGE = 25;

/**
 * Index ranges stopping a step may read, at most, by kind (estimates with headroom):
 * a workpool cancel reads its globals, the work item and its pending cancelation and pings
 * the workpool's loop; canceling a nested workflow reads the settings, its counts and the
 * parent's step and workflow, besides what its own steps cost.
 */
const COST = { page: 1, workpool: 10, executor: 2, timer: 2, event: 4, workflow: 12 } as const;
const MOST_A_STEP_COSTS = COST.workpool + COST.timer;

function costOf(entry: Doc<"steps">): number {
  const step = entry.step;
  switch (step.kind) {
    case undefined:
    case "function":
      return (step.wait?.timerId ? COST.timer : 0) + (step.workId?.startsWith("executor:") ? COST.executor : COST.workpool);
    case "sleep":
      return COST.timer;
    case "event":
      return COST.event;
    case "workflow":
      return COST.workflow;
  }
}

/** Room for the most expensive step, and for the next page. */
export const hasRoom = (budget: StopBudget) => budget.ranges >= MOST_A_STEP_COSTS + COST.page && budget.bytes > 0;

/**
 * Stop the work behind one in-flight step of kind function or sleep (a workpool job, an
 * executor task, a condition wait's or a sleep's timer). Events and nested workflows are
 * handled by the caller: a cancel releases the event and cancels the child, a deletion
 * deletes both.
 */
export async function stopStepWork(ctx: MutationCtx, entry: Doc<"steps">, budget: StopBudget): Promise<void> {
  const step = entry.step;
  budget.ranges -= costOf(entry);
  switch (step.kind) {
    case undefined:
    case "function":
      if (step.wait?.timerId) await cancelTimer(ctx, step.wait.timerId);
      if (step.workId?.startsWith("executor:")) {
        await deleteTaskOfStep(ctx, entry._id);
      } else if (step.workId) {
        budget.workpool ??= await getWorkpool(ctx, undefined);
        await budget.workpool.cancel(ctx, step.workId);
      }
      break;
    case "sleep":
      if (step.workId) {
        const scheduledId = ctx.db.system.normalizeId("_scheduled_functions", step.workId);
        if (scheduledId) await cancelTimer(ctx, scheduledId);
      }
      break;
    case "event":
    case "workflow":
      break;
  }
}

/** True if a step of the workflow is in flight (for a finished workflow: a stop not done yet). */
export async function hasStepsInFlight(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<boolean> {
  const entry = await ctx.db
    .query("steps")
    .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))
    .first();
  return entry !== null;
}

/**
 * Mark the workflow's in-flight steps canceled and stop their work, within the budget. A
 * nested workflow still running is canceled with the same budget (what does not fit continues
 * in its own `continueStop`); one that already finished gives its step its own result.
 * Returns true when no step is left in flight.
 */
export async function stopInFlightSteps(ctx: MutationCtx, workflowId: Id<"workflows">, budget: StopBudget): Promise<boolean> {
  const now = Date.now();
  while (hasRoom(budget)) {
    budget.ranges -= COST.page;
    const page = await ctx.db
      .query("steps")
      .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))
      .take(PAGE);
    if (page.length === 0) return true;
    for (const entry of page) {
      if (!hasRoom(budget)) return false;
      budget.bytes -= 2 * getConvexSize(entry); // read by the page, and again by its patch
      const step = entry.step;
      let runResult: NonNullable<typeof step.runResult> = { kind: "canceled" };
      let child: Doc<"workflows"> | null = null;
      if (step.kind === "workflow" && step.workflowId) {
        budget.ranges -= COST.workflow;
        child = await ctx.db.get("workflows", step.workflowId);
        if (child) budget.bytes -= 2 * getConvexSize(child); // read, and again by its patch
        // It finished before the stop reached it (its report to this step was fenced off).
        if (child?.runResult) runResult = child.runResult;
      }
      await ctx.db.patch("steps", entry._id, { step: { ...step, inProgress: false, runResult, completedAt: now } });
      if (step.kind === "event") {
        budget.ranges -= COST.event;
        await closeEventsOfStep(ctx, entry);
      } else if (step.kind !== "workflow") {
        await stopStepWork(ctx, entry, budget);
      }
      if (child && !child.runResult) {
        await completeWorkflow(ctx, child, { kind: "canceled" }, { budget, reportToParent: false });
      }
    }
    if (page.length < PAGE) return true;
  }
  return false;
}

/** Continue stopping a finished workflow's in-flight steps later, in its own transaction. */
export async function scheduleStop(ctx: MutationCtx, workflow: Pick<Doc<"workflows">, "_id">, generationNumber: number) {
  await ctx.scheduler.runAfter(0, internal.cancel.continueStop, { workflowId: workflow._id, generationNumber });
}

/**
 * One more budget of a stop. A no-op once the workflow is gone (cleaned up), restarted or
 * canceled again (another generation: whoever changed it owns what is left) or done.
 */
export const continueStop = internalMutation({
  args: { workflowId: v.id("workflows"), generationNumber: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const workflow = await ctx.db.get("workflows", args.workflowId);
    if (!workflow || workflow.generationNumber !== args.generationNumber || !workflow.runResult) return null;
    const done = await stopInFlightSteps(ctx, workflow._id, newStopBudget());
    if (!done) await scheduleStop(ctx, workflow, args.generationNumber);
    return null;
  },
});
