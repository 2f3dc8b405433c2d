// cancelMany / restartMany (SPEC 4.3): act on every workflow a `list` filter selects, in
// bounded batches (BULK_BATCH_SIZE workflows, about BULK_BATCH_READ_BYTES read per
// transaction) that continue themselves in scheduled functions. The first batch runs in the
// caller's transaction: done there, the caller gets `{ count }`; otherwise a `bulkJobs` row
// tracks the rest and the caller gets `{ jobId }` for `bulkProgress`.
//
// Safe while workflows start and finish: each batch is one page of `list` (an index range,
// in creation order) and reads each workflow as it is now. A workflow that no longer fits
// (it finished before its cancel, or was restarted already) is skipped, not an error; one that
// enters the range behind the cursor is not revisited, one created later is reached.
import { type Infer, v } from "convex/values";
import { BULK_BATCH_READ_BYTES, BULK_BATCH_SIZE } from "../shared/limits.js";
import { type ListFilter, vListFilter } from "../shared/protocol.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx, query } from "./_generated/server.js";
import { completeWorkflow } from "./completion.js";
import { pageOfWorkflows } from "./listing.js";
import { RESTART_FROM_FAILED } from "./restartArgs.js";
import { restartWorkflow } from "./workflow.js";

const vKind = v.union(v.literal("cancel"), v.literal("restart"));
type Kind = Infer<typeof vKind>;
/** `restartMany`'s option: where each workflow re-runs from (default 0, the start). */
const vRestartFrom = v.optional(v.union(v.number(), v.literal(RESTART_FROM_FAILED)));
const vBulkResult = v.union(v.object({ count: v.number() }), v.object({ jobId: v.id("bulkJobs") }));

type Batch = { cursor: string | null; count: number; skipped: number; isDone: boolean };

/** One batch: a page of the filter from `cursor`, each workflow acted on if it still fits. */
async function runBatch(
  ctx: MutationCtx,
  kind: Kind,
  filter: ListFilter,
  cursor: string | null,
  from: number | "failed" | undefined,
): Promise<Batch> {
  const page = await pageOfWorkflows(ctx, {
    ...filter,
    order: "asc",
    paginationOpts: { cursor, numItems: BULK_BATCH_SIZE, maximumBytesRead: BULK_BATCH_READ_BYTES },
  });
  let count = 0;
  let skipped = 0;
  for (const workflow of page.page) {
    if (await actOn(ctx, kind, workflow, from)) count++;
    else skipped++;
  }
  return { cursor: page.continueCursor, count, skipped, isDone: page.isDone };
}

async function actOn(
  ctx: MutationCtx,
  kind: Kind,
  listed: Doc<"workflows">,
  from: number | "failed" | undefined,
): Promise<boolean> {
  // Read again: an earlier workflow of this batch may have changed it (a parent's cancel).
  const workflow = await ctx.db.get("workflows", listed._id);
  if (!workflow) return false;
  if (kind === "cancel") {
    if (workflow.runResult) return false;
    await completeWorkflow(ctx, workflow, { kind: "canceled" });
    return true;
  }
  if (!workflow.runResult) return false;
  if (from === RESTART_FROM_FAILED) {
    // Finding the failed step reads the journal up to it (up to the 8 MiB journal): one
    // transaction each, not fifty in this one. Counted as restarted; one without a failed step
    // is then left as it is.
    await ctx.scheduler.runAfter(0, internal.bulk.restartFromFailed, {
      workflowId: workflow._id,
      generationNumber: workflow.generationNumber,
    });
    return true;
  }
  try {
    // Scheduled replays: a batch must not run dozens of handlers in one transaction.
    await restartWorkflow(ctx, workflow, { from: from ?? 0, startAsync: true });
    return true;
  } catch (error) {
    // from "failed" on a workflow without a failed step: left as it is.
    if (error instanceof Error && error.message.startsWith("No failed step")) return false;
    throw error;
  }
}

async function startJob(
  ctx: MutationCtx,
  kind: Kind,
  filter: ListFilter,
  from: number | "failed" | undefined,
): Promise<{ count: number } | { jobId: Id<"bulkJobs"> }> {
  const batch = await runBatch(ctx, kind, filter, null, from);
  if (batch.isDone) return { count: batch.count };
  const jobId = await ctx.db.insert("bulkJobs", {
    kind,
    filter,
    ...(from !== undefined ? { from } : {}),
    cursor: batch.cursor,
    count: batch.count,
    skipped: batch.skipped,
    batches: 1,
    startedAt: Date.now(),
  });
  await ctx.scheduler.runAfter(0, internal.bulk.continueJob, { jobId });
  return { jobId };
}

/** Cancel every running workflow the filter selects (their nested workflows with them). */
export const cancelMany = mutation({
  args: { filter: vListFilter },
  returns: vBulkResult,
  handler: async (ctx, { filter }) => await startJob(ctx, "cancel", filter, undefined),
});

/** Restart every finished workflow the filter selects, from step `from` (default 0) or its first failed step. */
export const restartMany = mutation({
  args: { filter: vListFilter, from: vRestartFrom },
  returns: vBulkResult,
  handler: async (ctx, { filter, from }) => {
    if (typeof from === "number" && !(Number.isInteger(from) && from >= 0)) {
      throw new Error(`restartMany: from must be a step number (a whole number from 0) or "failed"; got ${from}`);
    }
    return await startJob(ctx, "restart", filter, from);
  },
});

/** `restartMany({ from: "failed" })`, one workflow: restart it from its first failed step, if it has one. */
export const restartFromFailed = internalMutation({
  args: { workflowId: v.id("workflows"), generationNumber: v.number() },
  returns: v.null(),
  handler: async (ctx, { workflowId, generationNumber }) => {
    const workflow = await ctx.db.get("workflows", workflowId);
    // Restarted, canceled or cleaned up since the batch: left as it is.
    if (!workflow || !workflow.runResult || workflow.generationNumber !== generationNumber) return null;
    try {
      await restartWorkflow(ctx, workflow, { from: RESTART_FROM_FAILED, startAsync: true });
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("No failed step")) return null;
      throw error;
    }
    return null;
  },
});

/** The next batch of a job; schedules the one after until the filter is exhausted. */
export const continueJob = internalMutation({
  args: { jobId: v.id("bulkJobs") },
  returns: v.null(),
  handler: async (ctx, { jobId }) => {
    const job = await ctx.db.get("bulkJobs", jobId);
    if (!job || job.finishedAt !== undefined) return null;
    const batch = await runBatch(ctx, job.kind, job.filter, job.cursor, job.from);
    await ctx.db.patch("bulkJobs", jobId, {
      cursor: batch.cursor,
      count: job.count + batch.count,
      skipped: job.skipped + batch.skipped,
      batches: job.batches + 1,
      ...(batch.isDone ? { finishedAt: Date.now() } : {}),
    });
    if (!batch.isDone) await ctx.scheduler.runAfter(0, internal.bulk.continueJob, { jobId });
    return null;
  },
});

/** A bulk job's progress: how many workflows it acted on and skipped so far, and whether it is done. */
export const bulkProgress = query({
  args: { jobId: v.string() },
  returns: v.object({
    kind: vKind,
    filter: vListFilter,
    count: v.number(),
    skipped: v.number(),
    batches: v.number(),
    done: v.boolean(),
    startedAt: v.number(),
    finishedAt: v.optional(v.number()),
  }),
  handler: async (ctx, args) => {
    const jobId = ctx.db.normalizeId("bulkJobs", args.jobId);
    const job = jobId && (await ctx.db.get("bulkJobs", jobId));
    if (!job) throw new Error(`Bulk job not found: ${args.jobId}`);
    return {
      kind: job.kind,
      filter: job.filter,
      count: job.count,
      skipped: job.skipped,
      batches: job.batches,
      done: job.finishedAt !== undefined,
      startedAt: job.startedAt,
      ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    };
  },
});
