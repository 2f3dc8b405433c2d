// Stopping the work of a finished workflow: its steps still in flight are marked canceled
// and what runs behind them is stopped (workpool jobs, executor tasks, timers, event waits,
// nested workflows, which are canceled in turn; how each backend stops is in stepWork.ts). A tree of any size is stopped in bounded
// transactions: the one that finishes the workflow does what fits in `StopBudget`, and a
// scheduled `continueStop` per workflow does the rest, a budget at a time.
//
// Fencing: the workflow's generation was bumped (cancel) or its result set before any of
// this runs, so a late result of a step not yet reached, or a late replay, is ignored, and a stop
// continues only while the workflow stays in the generation it was finished in. A restart
// takes over what is left (`restartContinue`); a cleanup deletes it (deleting a step in
// flight stops its work first, `stopStepWork` in stepWork.ts).
import { getConvexSize, v } from "convex/values";
import { STOP_BUDGET_BYTES, STOP_BUDGET_RANGES, STOP_BUDGET_WRITES, STOP_RESERVE } from "../shared/limits.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { completeWorkflow } from "./completion.js";
import { closeEventsOfStep } from "./event.js";
import type { getWorkpool } from "./pool.js";
import { MOST_A_STEP_COSTS, stopCostOf, stopStepWork } from "./stepWork.js";

/**
 * What one transaction may still spend on stopping and deleting steps: index ranges (Convex
 * allows 4096 per transaction, `db.get` included), bytes of documents read (a patch or delete
 * reads its document again) and documents written.
 * One per transaction (`stopBudgetOf`), shared by every stop and delete in it, nested
 * workflows included; what does not fit continues in a scheduled continuation.
 */
export type StopBudget = {
  ranges: number;
  bytes: number;
  writes: number;
  /** One workpool client per transaction. */
  workpool?: Awaited<ReturnType<typeof getWorkpool>>;
};

const budgetOfTransaction = new WeakMap<object, Promise<StopBudget>>();

/**
 * The budget of this transaction, created on first use: the `STOP_BUDGET_*` constants, or
 * less when the transaction has already spent its headroom (an app mutation that canceled
 * other trees before calling this one, or read a lot itself).
 */
export async function stopBudgetOf(ctx: MutationCtx): Promise<StopBudget> {
  let budget = budgetOfTransaction.get(ctx.db);
  if (!budget) {
    budget = newStopBudget(ctx);
    budgetOfTransaction.set(ctx.db, budget);
  }
  return await budget;
}

async function newStopBudget(ctx: MutationCtx): Promise<StopBudget> {
  const budget = { ranges: STOP_BUDGET_RANGES, bytes: STOP_BUDGET_BYTES, writes: STOP_BUDGET_WRITES };
  let metrics;
  try {
    metrics = await ctx.meta.getTransactionMetrics();
  } catch {
    return budget; // A backend without transaction metrics: the constants alone.
  }
  return {
    ranges: Math.min(budget.ranges, metrics.databaseQueries.remaining - STOP_RESERVE.ranges),
    bytes: Math.min(budget.bytes, metrics.bytesRead.remaining - STOP_RESERVE.bytes),
    writes: Math.min(budget.writes, metrics.documentsWritten.remaining - STOP_RESERVE.writes),
  };
}

/** In-flight steps read per page. */
const PAGE = 25;
/** Index ranges reading the next page of in-flight steps may take. */
const PAGE_COST = 1;

/** Room for the most expensive step, and for the next page. */
export const hasRoom = (budget: StopBudget) =>
  budget.ranges >= MOST_A_STEP_COSTS + PAGE_COST && budget.bytes > 0 && budget.writes > 0;

/**
 * Mark the workflow's in-flight steps canceled and stop their work, within the transaction's
 * budget: checked before each step is read, every document read charged. A nested workflow
 * still running is canceled with the same budget (what does not fit continues in its own
 * `continueStop`); one that already finished gives its step its own result.
 * Returns true when no step is left in flight.
 */
export async function stopInFlightSteps(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<boolean> {
  const budget = await stopBudgetOf(ctx);
  const now = Date.now();
  if (!hasRoom(budget)) return false;
  budget.ranges -= PAGE_COST;
  let read = 0;
  for await (const entry of ctx.db
    .query("steps")
    .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))) {
    // Index ranges are read a page at a time.
    if (++read % PAGE === 0) budget.ranges -= PAGE_COST;
    budget.bytes -= 2 * getConvexSize(entry); // read, and again by its patch
    budget.writes -= 1;
    const step = entry.step;
    let runResult: NonNullable<typeof step.runResult> = { kind: "canceled" };
    let child: Doc<"workflows"> | null = null;
    if (step.kind === "workflow" && step.workflowId) {
      budget.ranges -= stopCostOf(entry);
      child = await ctx.db.get("workflows", step.workflowId);
      if (child) budget.bytes -= getConvexSize(child); // its patch is charged by completeWorkflow
      // It finished before the stop reached it (its report to this step was fenced off).
      if (child?.runResult) runResult = child.runResult;
    }
    // A task leaves its queue with this write.
    await ctx.db.patch("steps", entry._id, {
      step: { ...step, inProgress: false, runResult, completedAt: now },
      task: undefined,
    });
    if (step.kind === "event") {
      budget.ranges -= stopCostOf(entry);
      budget.bytes -= await closeEventsOfStep(ctx, entry);
    } else if (step.kind !== "workflow") {
      await stopStepWork(ctx, entry, budget);
    }
    if (child && !child.runResult) {
      await completeWorkflow(ctx, child, { kind: "canceled" }, { reportToParent: false });
    }
    // Checked before the next step is read: what is left continues in another transaction.
    if (!hasRoom(budget)) return false;
  }
  return true;
}

/**
 * True when the workflow is a nested one whose parent will never take its result: the parent
 * is gone, finished (canceled: the stop has not reached this child yet) or in another run.
 * Such a child starts no new work; `journalSteps` cancels it instead.
 */
export async function isOrphaned(ctx: MutationCtx, workflow: Doc<"workflows">): Promise<boolean> {
  if (!workflow.parent || workflow.runResult) return false;
  const parent = await ctx.db.get("workflows", workflow.parent.workflowId);
  return !parent || parent.runResult !== undefined || parent.generationNumber !== workflow.parent.generationNumber;
}

/** Continue stopping a finished workflow's in-flight steps later, in its own transaction. */
export async function scheduleStop(
  ctx: MutationCtx,
  workflow: Pick<Doc<"workflows">, "_id">,
  generationNumber: number,
) {
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
    (await stopBudgetOf(ctx)).bytes -= getConvexSize(workflow);
    const done = await stopInFlightSteps(ctx, workflow._id);
    if (!done) await scheduleStop(ctx, workflow, args.generationNumber);
    return null;
  },
});
