// What the live timeline page draws: each workflow with the life of each of its steps
// (queued → running → finished), read in bounded pages.
import { paginator } from "convex-helpers/server/pagination";
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { vPaginationResult, vWorkflowId, type WorkflowId } from "../types.js";
import { query } from "./_generated/server.js";
import schema from "./schema.js";
import { statusOf } from "./stats.js";

const MAX_WORKFLOWS_PER_PAGE = 100;
const MAX_STEPS_PER_WORKFLOW = 500;
/** Keeps one page within a query's read limits. */
const MAX_STEP_READS_PER_PAGE = 10_000;

const vOutcome = v.union(v.literal("running"), v.literal("success"), v.literal("failed"), v.literal("canceled"));

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
    }),
  ),
  /** More steps exist than were returned (see maxStepsPerWorkflow). */
  stepsTruncated: v.boolean(),
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
    const numItems = Math.max(1, Math.min(args.paginationOpts.numItems, MAX_WORKFLOWS_PER_PAGE));
    const maxSteps = Math.max(
      1,
      Math.min(args.maxStepsPerWorkflow ?? 100, MAX_STEPS_PER_WORKFLOW, Math.floor(MAX_STEP_READS_PER_PAGE / numItems)),
    );
    const base = paginator(ctx.db, schema).query("workflows");
    const ordered = (args.name === undefined ? base : base.withIndex("name", (q) => q.eq("name", args.name))).order(
      args.order ?? "asc",
    );
    const result = await ordered.paginate({ ...args.paginationOpts, numItems });
    const page = [];
    for (const workflow of result.page) {
      const entries = await ctx.db
        .query("steps")
        .withIndex("workflow", (q) => q.eq("workflowId", workflow._id))
        .take(maxSteps + 1);
      page.push({
        workflowId: workflow._id as unknown as WorkflowId,
        name: workflow.name ?? "",
        createdAt: workflow._creationTime,
        finishedAt: workflow.finishedAt ?? null,
        status: statusOf(workflow),
        steps: entries.slice(0, maxSteps).map(({ step, stepNumber }) => ({
          name: step.name,
          stepNumber,
          kind: step.kind ?? "function",
          queuedAt: step.startedAt,
          startedAt: step.runStartedAt ?? null,
          finishedAt: step.completedAt ?? null,
          outcome: step.inProgress ? ("running" as const) : (step.runResult?.kind ?? "success"),
        })),
        stepsTruncated: entries.length > maxSteps,
      });
    }
    return { ...result, page };
  },
});
