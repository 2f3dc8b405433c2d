// What the live timeline page draws: each workflow with the life of each of its steps
// (queued → running → finished), read in bounded pages.
import type { WorkId } from "@convex-dev/workpool";
import { paginator } from "convex-helpers/server/pagination";
import { paginationOptsValidator } from "convex/server";
import { getConvexSize, v } from "convex/values";
import {
  DEFAULT_TIMELINE_STEPS_PER_WORKFLOW as DEFAULT_STEPS_PER_WORKFLOW,
  MAX_PAGE_READ_BYTES,
  MAX_TIMELINE_STEPS_PER_WORKFLOW as MAX_STEPS_PER_WORKFLOW,
  MAX_TIMELINE_WORKFLOWS_PER_PAGE as MAX_WORKFLOWS_PER_PAGE,
} from "../shared/limits.js";
import { vPaginationResult, vWorkflowId, type WorkflowId } from "../shared/types.js";
import { components } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import { checkPaginationOpts, withCursorCheck } from "./paging.js";
import schema from "./schema.js";
import { statusOf } from "./stats.js";
import { backendOf } from "./stepWork.js";

/** Keeps one page within a query's limit on documents read. */
const MAX_STEP_READS_PER_PAGE = 10_000;

const vOutcome = v.union(
  v.literal("running"),
  v.literal("success"),
  v.literal("failed"),
  v.literal("canceled"),
  /** Flow control: a workflow waiting to begin (steps never have it). */
  v.literal("queued"),
);

/** A paused workflow is drawn running: its steps in flight still run and finish. */
function timelineStatus(workflow: Doc<"workflows">): typeof vOutcome.type {
  const status = statusOf(workflow);
  return status === "paused" ? "running" : status;
}

export const vTimelineWorkflow = v.object({
  workflowId: vWorkflowId,
  name: v.string(),
  createdAt: v.number(),
  finishedAt: v.union(v.number(), v.null()),
  status: vOutcome,
  steps: v.array(
    v.object({
      name: v.string(),
      stepNumber: v.number(),
      kind: v.string(),
      /** Journaled: from here the step waits for its turn. */
      queuedAt: v.number(),
      /** Began running, where known (executor mode); null in standard mode. */
      startedAt: v.union(v.number(), v.null()),
      finishedAt: v.union(v.number(), v.null()),
      outcome: vOutcome,
      /**
       * How many times the step's function has run (a run in progress included): recorded by
       * executor mode; in standard mode known only while the step is in the workpool; else null.
       */
      attempts: v.union(v.number(), v.null()),
      /** The definition's `version` that journaled the step (docs/versioning.md). */
      version: v.optional(v.number()),
    }),
  ),
  /**
   * Steps were left out: more than `maxStepsPerWorkflow`, or the page's byte budget ran out
   * (then there may be none left).
   */
  stepsTruncated: v.boolean(),
  /** The workflow's `version` and run (docs/versioning.md): absent = 0 and 1. */
  version: v.optional(v.number()),
  runNumber: v.optional(v.number()),
});

export const timelinePage = query({
  args: {
    paginationOpts: paginationOptsValidator,
    name: v.optional(v.string()),
    order: v.optional(v.union(v.literal("asc"), v.literal("desc"))),
    maxStepsPerWorkflow: v.optional(v.number()),
  },
  returns: vPaginationResult(vTimelineWorkflow),
  handler: async (ctx, args) => {
    checkPaginationOpts(args.paginationOpts);
    const stepsAsked = args.maxStepsPerWorkflow ?? DEFAULT_STEPS_PER_WORKFLOW;
    if (!Number.isInteger(stepsAsked) || stepsAsked < 1 || stepsAsked > MAX_STEPS_PER_WORKFLOW) {
      throw new Error(
        `maxStepsPerWorkflow must be a whole number from 1 to ${MAX_STEPS_PER_WORKFLOW}; got ${stepsAsked}.`,
      );
    }
    const numItems = Math.min(args.paginationOpts.numItems, MAX_WORKFLOWS_PER_PAGE);
    const maxSteps = Math.max(1, Math.min(stepsAsked, Math.floor(MAX_STEP_READS_PER_PAGE / numItems)));
    const budget = Math.min(args.paginationOpts.maximumBytesRead ?? MAX_PAGE_READ_BYTES, MAX_PAGE_READ_BYTES);
    const base = paginator(ctx.db, schema).query("workflows");
    const ordered = (args.name === undefined ? base : base.withIndex("name", (q) => q.eq("name", args.name))).order(
      args.order ?? "asc",
    );
    const page = [];
    /** Steps still in the workpool whose attempts only the workpool knows (see `addLiveAttempts`). */
    const live: LiveStep[] = [];
    let cursor = args.paginationOpts.cursor;
    let isDone = false;
    /** Bytes of the documents read for the workflows in `page`. */
    let bytes = 0;
    // One workflow at a time, so that the page can end after any of them: when the bytes read
    // reach the budget. The first workflow is always kept (its steps cut short if need be), so
    // every page makes progress.
    while (page.length < numItems && bytes < budget) {
      const from = cursor;
      const next = await withCursorCheck(from, () => ordered.paginate({ cursor: from, numItems: 1 }));
      const workflow = next.page[0];
      if (!workflow) {
        cursor = next.continueCursor;
        isDone = true;
        break;
      }
      let used = getConvexSize(workflow);
      // A later workflow that does not fit whole waits for the next page, where it comes first.
      if (bytes + used >= budget && page.length > 0) break;
      const entries = [];
      let stepsTruncated = false;
      let overBudget = false;
      for await (const entry of ctx.db.query("steps").withIndex("workflow", (q) => q.eq("workflowId", workflow._id))) {
        used += getConvexSize(entry);
        if (entries.length === maxSteps) {
          // Read only to know that there are more.
          stepsTruncated = true;
          break;
        }
        entries.push(entry);
        if (bytes + used >= budget) {
          // Later steps are left out (there may be none).
          overBudget = stepsTruncated = true;
          break;
        }
      }
      if (overBudget && page.length > 0) break;
      bytes += used;
      cursor = next.continueCursor;
      page.push({
        workflowId: workflow._id as unknown as WorkflowId,
        name: workflow.name ?? "",
        createdAt: workflow._creationTime,
        finishedAt: workflow.finishedAt ?? null,
        status: timelineStatus(workflow),
        steps: entries.slice(0, maxSteps).map((entry) => {
          const { step, stepNumber } = entry;
          const item = {
            name: step.name,
            stepNumber,
            kind: step.kind ?? "function",
            queuedAt: step.queuedAt,
            startedAt: step.startedAt ?? null,
            finishedAt: step.completedAt ?? null,
            outcome: step.inProgress ? ("running" as const) : (step.runResult?.kind ?? "success"),
            attempts: step.attempts ?? null,
            version: step.version ?? 0,
          };
          if (step.inProgress && backendOf(entry) === "workpool" && "workId" in step && step.workId) {
            live.push({ item, workId: step.workId });
          }
          return item;
        }),
        stepsTruncated,
        version: workflow.version ?? 0,
        runNumber: workflow.runNumber ?? 1,
      });
      if (next.isDone) {
        isDone = true;
        break;
      }
    }
    await addLiveAttempts(ctx, live);
    return { page, isDone, continueCursor: cursor ?? "" };
  },
});

/** Workpool items a page asks about at most (about 3 reads each). */
const MAX_LIVE_ATTEMPT_LOOKUPS = 100;

type LiveStep = { item: { attempts: number | null }; workId: WorkId };

/**
 * Standard mode: the workpool counts a step's attempts while the step is in it, and forgets
 * them when it reports the result, so a running step's count is read from there: runs so far,
 * the one in progress included. Executor mode's tasks record their own.
 */
async function addLiveAttempts(ctx: QueryCtx, live: LiveStep[]): Promise<void> {
  const asked = live.slice(0, MAX_LIVE_ATTEMPT_LOOKUPS);
  if (asked.length === 0) return;
  const statuses = await ctx.runQuery(components.workpool.lib.statusBatch, { ids: asked.map((s) => s.workId) });
  statuses.forEach((status, i) => {
    if (status.state === "running") asked[i].item.attempts = status.previousAttempts + 1;
    else if (status.state === "pending" && status.previousAttempts > 0)
      asked[i].item.attempts = status.previousAttempts;
  });
}
