// Deleting journal data in bounded transactions. Anything that could exceed one
// transaction's limits continues itself in a scheduled function.
import { getConvexSize, v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { hasRoom as hasStopRoom, type StopBudget, stopBudgetOf } from "./cancel.js";
import { recordTransition, statusOf } from "./stats.js";
import { releaseFlow } from "./flowControl/lifecycle.js";
import { stopStepWork } from "./stepWork.js";
import { cancelTimer } from "./wait.js";
import { findWebhookByToken } from "./webhooks.js";
import { deleteTags } from "./tags.js";

/** Index ranges deleting a step may read: its event and its timer. */
const DELETE_COST = 2;
/** Index ranges deleting a workflow's row may read: the row, its flow-control place, the counts' flag. */
const WORKFLOW_DELETE_COST = 3;
/** Nested workflows deleted per scheduled job, so one transaction schedules few jobs. */
const CHILDREN_PER_JOB = 50;

/**
 * What this transaction may still read and delete (the transaction's `StopBudget`, shared
 * with stopping the work of steps still in flight); nested workflows found on the way are
 * collected. Checked before each document is read; every document read is charged.
 */
type Budget = { stop: StopBudget; children: Id<"workflows">[] };
const newBudget = async (ctx: MutationCtx): Promise<Budget> => ({ stop: await stopBudgetOf(ctx), children: [] });
const hasRoom = (budget: Budget) => hasStopRoom(budget.stop);

/**
 * Why steps are deleted: a `restart` keeps the workflow (what outlives the steps is reset for
 * the new run), a `cleanup` deletes everything it owns.
 */
type Deletion = "restart" | "cleanup";

/**
 * Delete the steps numbered `from` and above (with their events, tasks and timers), within
 * the budget. Returns the first step number not yet deleted, or null when done.
 */
async function deleteSteps(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  from: number,
  budget: Budget,
  deletion: Deletion,
) {
  if (!hasRoom(budget)) return from;
  budget.stop.ranges -= 1;
  for await (const entry of ctx.db
    .query("steps")
    .withIndex("workflow", (q) => q.eq("workflowId", workflowId).gte("stepNumber", from))) {
    budget.stop.bytes -= 2 * getConvexSize(entry); // read, and again by its delete
    budget.stop.writes -= 1;
    await deleteStep(ctx, entry, budget, deletion);
    from = entry.stepNumber + 1;
    // Checked before the next step is read: what is left continues in another transaction.
    if (!hasRoom(budget)) return from;
  }
  return null;
}

/**
 * Delete one step with its event and timers; work still running behind it is stopped
 * (stepWork.ts). A task leaves its queue with the entry.
 */
async function deleteStep(ctx: MutationCtx, entry: Doc<"steps">, budget: Budget, deletion: Deletion): Promise<void> {
  await ctx.db.delete("steps", entry._id);
  const step = entry.step;
  budget.stop.ranges -= DELETE_COST;
  switch (step.kind) {
    case "event": {
      if (step.timerId) await cancelTimer(ctx, step.timerId);
      const event = step.eventId ? await ctx.db.get("events", step.eventId) : null;
      if (!event) break;
      budget.stop.bytes -= getConvexSize(event);
      // A value sent after this step stopped waiting (canceled) was never consumed by it:
      // it stays buffered for the next await of its name. Cleanup deletes it with the rest.
      if (event.state.kind === "sent") break;
      budget.stop.bytes -= getConvexSize(event);
      budget.stop.writes -= 1;
      if (step.args.eventId !== undefined && deletion === "restart") {
        // Awaited by id: the event was made before this step (createEvent, createWebhook) and
        // outlives it. The re-run await waits for it afresh.
        await ctx.db.patch("events", event._id, { state: { kind: "created" } });
      } else {
        await ctx.db.delete("events", event._id);
      }
      break;
    }
    case "workflow":
      if (step.workflowId) budget.children.push(step.workflowId);
      break;
    case undefined:
    case "function":
      await stopStepWork(ctx, entry, budget.stop);
      // A cleanup leaves webhook rows as they are: the workflow is gone, so they answer 410.
      if (deletion === "restart") await closeWebhookMadeBy(ctx, entry, budget);
      break;
    case "sleep":
      await stopStepWork(ctx, entry, budget.stop);
      break;
  }
}

/**
 * A deleted `createWebhook` step closes its webhook (webhooks.ts): the new run makes its own.
 * That step is the one whose result holds the webhook's token (only its creator ever had it).
 */
async function closeWebhookMadeBy(ctx: MutationCtx, entry: Doc<"steps">, budget: Budget): Promise<void> {
  const result = entry.step.runResult;
  const made =
    result?.kind === "success" ? (result.returnValue as { token?: unknown; eventId?: unknown } | null) : null;
  if (typeof made?.token !== "string" || typeof made.eventId !== "string") return;
  const webhook = await findWebhookByToken(ctx, made.token);
  budget.stop.ranges -= 1;
  if (!webhook || webhook.workflowId !== entry.workflowId || webhook.closedAt !== undefined) return;
  budget.stop.bytes -= 2 * getConvexSize(webhook);
  budget.stop.writes -= 1;
  await ctx.db.patch("webhooks", webhook._id, { closedAt: Date.now() });
}

/** Hand the nested workflows found so far to scheduled jobs, a group at a time. */
async function scheduleChildren(ctx: MutationCtx, budget: Budget, deletion?: WorkflowDeletion): Promise<void> {
  for (let i = 0; i < budget.children.length; i += CHILDREN_PER_JOB) {
    await ctx.scheduler.runAfter(0, internal.cleanup.deleteWorkflows, {
      workflowIds: budget.children.slice(i, i + CHILDREN_PER_JOB),
      ...(deletion === "retention" && { deletion }),
    });
  }
  budget.children = [];
}

/**
 * Delete steps from `from` on, as many as one transaction should; nested workflows of
 * deleted steps are deleted by scheduled jobs. Returns where to continue, or null.
 */
export async function deleteStepsFrom(ctx: MutationCtx, workflowId: Id<"workflows">, from: number) {
  const budget = await newBudget(ctx);
  const next = await deleteSteps(ctx, workflowId, from, budget, "restart");
  await scheduleChildren(ctx, budget);
  return next;
}

/**
 * Delete the events of a workflow that no step points at (buffered sends, created ids, webhooks');
 * true when none is left. A webhook's own row stays (its token's hash and ids, no payload), so a
 * late call is told 410 (gone) rather than 404 (never existed).
 */
async function deleteEvents(ctx: MutationCtx, workflowId: Id<"workflows">, budget: Budget): Promise<boolean> {
  if (!hasRoom(budget)) return false;
  budget.stop.ranges -= 1;
  // A sent event may hold a value of up to MAX_RETURN_VALUE_SIZE: each one is charged before the next is read.
  for await (const event of ctx.db
    .query("events")
    .withIndex("workflowId_state", (q) => q.eq("workflowId", workflowId))) {
    budget.stop.bytes -= 2 * getConvexSize(event);
    budget.stop.writes -= 1;
    await ctx.db.delete("events", event._id);
    if (!hasRoom(budget)) return false;
  }
  return true;
}

/**
 * How a workflow is deleted: `cleanup` keeps its webhook rows (a late call answers 410, gone);
 * `retention` deletes them too (then 404), for the workflow and every nested one.
 */
export type WorkflowDeletion = "cleanup" | "retention";
export const vWorkflowDeletion = v.union(v.literal("cleanup"), v.literal("retention"));

/** Tables whose rows belong to one workflow through their `by_workflow` index. */
type OwnedTable = "webhooks" | "onCompleteFailures";

/** Delete a workflow's rows of `table` within the budget; true when none is left. */
async function deleteOwned(
  ctx: MutationCtx,
  table: OwnedTable,
  workflowId: Id<"workflows">,
  budget: Budget,
): Promise<boolean> {
  if (!hasRoom(budget)) return false;
  budget.stop.ranges -= 1;
  // An onComplete failure holds the workflow's result (up to a document's size): each row is
  // charged before the next is read.
  const rows = ctx.db.query(table).withIndex("by_workflow", (q) => q.eq("workflowId", workflowId));
  for await (const row of rows) {
    budget.stop.bytes -= 2 * getConvexSize(row);
    budget.stop.writes -= 1;
    await ctx.db.delete(table, row._id);
    if (!hasRoom(budget)) return false;
  }
  return true;
}

/** Delete one workflow and what it owns within the budget; true when nothing is left. */
async function deleteWorkflowWithin(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  budget: Budget,
  deletion: WorkflowDeletion,
): Promise<boolean> {
  budget.stop.ranges -= WORKFLOW_DELETE_COST;
  const workflow = await ctx.db.get("workflows", workflowId);
  if (workflow) {
    budget.stop.bytes -= 2 * getConvexSize(workflow);
    budget.stop.writes -= 1;
    await releaseFlow(ctx, workflow, { deleting: true }); // flow control: a queued or running one frees its place
    await ctx.db.delete("workflows", workflowId);
    await recordTransition(ctx, workflow, statusOf(workflow), null);
    budget.stop.writes -= 1; // its count change (countFolding.ts)
    if (workflow.tags?.length) budget.stop.writes -= await deleteTags(ctx, workflowId);
  }
  if ((await deleteSteps(ctx, workflowId, 0, budget, "cleanup")) !== null) return false;
  if (!(await deleteEvents(ctx, workflowId, budget))) return false;
  if (!(await deleteOwned(ctx, "onCompleteFailures", workflowId, budget))) return false;
  return deletion === "cleanup" || (await deleteOwned(ctx, "webhooks", workflowId, budget));
}

/**
 * The rest of a restart's or a continue-as-new's reset, in scheduled `restartContinue`s: stop
 * what the old run left in flight (`stopFirst`), delete the journal from `from`, then admit and
 * replay the new run. The workflow is marked `resetting` until then (see the schema).
 */
export async function continueReset(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  reset: { generationNumber: number; from: number | undefined; stopFirst?: boolean },
): Promise<void> {
  const { generationNumber, from, stopFirst } = reset;
  await ctx.db.patch("workflows", workflowId, {
    resetting: { generationNumber, ...(from !== undefined && { from }) },
  });
  await ctx.scheduler.runAfter(0, internal.workflow.restartContinue, {
    workflowId,
    generationNumber,
    from,
    ...(stopFirst && { stopFirst }),
  });
}

/** Delete a workflow and everything it owns, continuing in scheduled functions as needed. */
export async function deleteWorkflowData(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  deletion: WorkflowDeletion = "cleanup",
): Promise<void> {
  await deleteWorkflowList(ctx, [workflowId], deletion);
}

/**
 * Delete `workflowIds` in order while the budget has room. `done`: how many are wholly
 * deleted; `begun`: also counting the next one if its deletion began (its row is gone, what it
 * owns is not yet).
 */
async function deleteInOrder(
  ctx: MutationCtx,
  workflowIds: Id<"workflows">[],
  budget: Budget,
  deletion: WorkflowDeletion,
): Promise<{ done: number; begun: number }> {
  let done = 0;
  while (done < workflowIds.length && hasRoom(budget)) {
    // Not finished within the budget: it has no room left for the next one either.
    if (!(await deleteWorkflowWithin(ctx, workflowIds[done], budget, deletion))) return { done, begun: done + 1 };
    done++;
  }
  return { done, begun: done };
}

/** Continue deleting `workflowIds` in a scheduled job. */
async function continueDeleting(ctx: MutationCtx, workflowIds: Id<"workflows">[], deletion: WorkflowDeletion) {
  if (workflowIds.length === 0) return;
  await ctx.scheduler.runAfter(0, internal.cleanup.deleteWorkflows, {
    workflowIds,
    ...(deletion === "retention" && { deletion }),
  });
}

async function deleteWorkflowList(
  ctx: MutationCtx,
  workflowIds: Id<"workflows">[],
  deletion: WorkflowDeletion,
): Promise<void> {
  const budget = await newBudget(ctx);
  const { done } = await deleteInOrder(ctx, workflowIds, budget, deletion);
  await scheduleChildren(ctx, budget, deletion);
  await continueDeleting(ctx, workflowIds.slice(done), deletion);
}

/**
 * Retention's deletion of a sweep's batch: as many of `workflowIds` (in order) as this
 * transaction has room for. One begun but not finished continues in a scheduled job; those
 * not begun are left as they are (their rows still exist, so the next sweep finds them
 * again, and no two jobs ever delete the same workflow). Returns how many were begun.
 */
export async function deleteWhileRoom(
  ctx: MutationCtx,
  workflowIds: Id<"workflows">[],
  deletion: WorkflowDeletion,
): Promise<number> {
  const budget = await newBudget(ctx);
  const { done, begun } = await deleteInOrder(ctx, workflowIds, budget, deletion);
  await scheduleChildren(ctx, budget, deletion);
  await continueDeleting(ctx, workflowIds.slice(done, begun), deletion);
  return begun;
}

/** Continuation of cleanup; also how nested workflows are deleted with their parent. */
export const deleteWorkflows = internalMutation({
  args: { workflowIds: v.array(v.id("workflows")), deletion: v.optional(vWorkflowDeletion) },
  returns: v.null(),
  handler: async (ctx, args) => {
    await deleteWorkflowList(ctx, args.workflowIds, args.deletion ?? "cleanup");
    return null;
  },
});
