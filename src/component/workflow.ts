// Workflow lifecycle: create, observe, cancel, complete, restart, clean up.
import { vResultValidator, type WorkId } from "@convex-dev/workpool";
import { paginator } from "convex-helpers/server/pagination";
import { paginationOptsValidator } from "convex/server";
import { getConvexSize, v } from "convex/values";
import { MAX_STATUS_READ_BYTES, MAX_STATUS_STEPS } from "../shared/limits.js";
import {
  type EventId,
  type PublicWorkflow,
  vPaginationResult,
  vPublicWorkflow,
  vWorkflowStep,
  type WorkflowId,
  type WorkflowStep,
} from "../shared/types.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx, query, type QueryCtx } from "./_generated/server.js";
import { continueReset, deleteStepsFrom, deleteWorkflowData } from "./cleanup.js";
import { stopBudgetOf, stopInFlightSteps } from "./cancel.js";
import { completeWorkflow } from "./completion.js";
import { getLogger } from "./config.js";
import { describeStatus, getWorkflowOrThrow, parseWorkflowId } from "./model.js";
import { boundedPaginationOpts, withCursorCheck } from "./paging.js";
import { recordTransition, statusOf } from "./stats.js";
import { refreshStatus } from "./status.js";
import { runReplay, scheduleReplay } from "./replay.js";
import { hasStepsInFlight, inFlightSteps } from "./readiness.js";
import { recordStepResult } from "./results.js";
import { createWorkflow, vCreateArgs } from "./start.js";
import { type ListArgs, pageOfWorkflows } from "./listing.js";
import { operatorFields } from "./operate.js";
import { pauseWorkflow, resumeWorkflow } from "./pause.js";
import { checkRestartArgs, firstFailedStep, RESTART_FROM_FAILED } from "./restartArgs.js";
import { vListFilter } from "../shared/protocol.js";
import schema, { journalDocument, workflowDocument } from "./schema.js";
import { admitRestart, regate } from "./flowControl/lifecycle.js";

export const create = mutation({
  args: vCreateArgs,
  returns: v.id("workflows"),
  handler: createWorkflow,
});

export const getStatus = query({
  args: { workflowId: v.string() },
  returns: v.object({ workflow: workflowDocument, inProgress: v.array(journalDocument) }),
  handler: async (ctx, args) => {
    const workflow = await getWorkflowOrThrow(ctx, args.workflowId);
    // Bounded in documents and bytes (steps carry their arguments): `running` may be cut short.
    const inProgress = workflow.runResult
      ? []
      : await inFlightSteps(ctx, workflow._id, { maxSteps: MAX_STATUS_STEPS, maxBytes: MAX_STATUS_READ_BYTES });
    return { workflow, inProgress };
  },
});

function publicWorkflow(workflow: Doc<"workflows">): PublicWorkflow {
  return {
    workflowId: workflow._id as unknown as WorkflowId,
    name: workflow.name,
    args: workflow.args,
    context: workflow.onComplete?.context,
    runResult: workflow.runResult,
    ...(workflow.version !== undefined && { version: workflow.version }),
    ...(workflow.runNumber !== undefined && { runNumber: workflow.runNumber }),
    ...operatorFields(workflow),
  };
}

export function publicStep(entry: Doc<"steps">): WorkflowStep {
  const { step } = entry;
  const common = {
    workflowId: entry.workflowId as unknown as WorkflowId,
    name: step.name,
    stepId: entry._id,
    stepNumber: entry.stepNumber,
    args: step.args,
    runResult: step.runResult,
    startedAt: step.queuedAt,
    completedAt: step.completedAt,
    version: step.version ?? 0,
  };
  switch (step.kind) {
    case undefined:
    case "function":
      return { ...common, kind: "function", workId: step.workId };
    case "workflow":
      return { ...common, kind: "workflow", nestedWorkflowId: step.workflowId as unknown as WorkflowId };
    case "event":
      return { ...common, kind: "event", eventId: step.eventId as unknown as EventId };
    case "sleep":
      // 0.4.8 runs sleeps through the workpool and reports that job; ours is a scheduled wake-up.
      return { ...common, kind: "sleep", workId: step.timerId as unknown as WorkId };
  }
}

const vOrder = v.union(v.literal("asc"), v.literal("desc"));

/** A page of workflows the filter selects (listing.ts), as `list` and `listByName` return it. */
async function pageOfPublicWorkflows(ctx: QueryCtx, args: ListArgs) {
  const result = await pageOfWorkflows(ctx, args);
  return { ...result, page: result.page.map(publicWorkflow) };
}

export const list = query({
  args: { order: vOrder, paginationOpts: paginationOptsValidator, ...vListFilter.fields },
  returns: vPaginationResult(vPublicWorkflow),
  handler: async (ctx, args) => await pageOfPublicWorkflows(ctx, args),
});

export const listByName = query({
  args: { name: v.string(), order: vOrder, paginationOpts: paginationOptsValidator },
  returns: vPaginationResult(vPublicWorkflow),
  handler: async (ctx, args) => await pageOfPublicWorkflows(ctx, args),
});

export const listSteps = query({
  args: { workflowId: v.string(), order: vOrder, paginationOpts: paginationOptsValidator },
  returns: vPaginationResult(vWorkflowStep),
  handler: async (ctx, args) => {
    const workflowId = parseWorkflowId(ctx, args.workflowId);
    const result = await withCursorCheck(args.paginationOpts.cursor, () =>
      paginator(ctx.db, schema)
        .query("steps")
        .withIndex("workflow", (q) => q.eq("workflowId", workflowId))
        .order(args.order)
        .paginate(boundedPaginationOpts(args.paginationOpts)),
    );
    return { ...result, page: result.page.map(publicStep) };
  },
});

export const cancel = mutation({
  args: { workflowId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const workflow = await getWorkflowOrThrow(ctx, args.workflowId);
    if (workflow.runResult) {
      throw new Error(`Workflow not running: ${workflow._id} already ${describeStatus(workflow)}`);
    }
    await completeWorkflow(ctx, workflow, { kind: "canceled" });
    return null;
  },
});

/** Pause a running workflow (pause.ts): in-flight steps finish, nothing new starts. */
export const pause = mutation({
  args: { workflowId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await pauseWorkflow(ctx, await getWorkflowOrThrow(ctx, args.workflowId));
    return null;
  },
});

/** Resume a paused workflow where it stopped (pause.ts). */
export const resume = mutation({
  args: { workflowId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await resumeWorkflow(ctx, await getWorkflowOrThrow(ctx, args.workflowId));
    return null;
  },
});

/** Called by a replay when the handler has returned or thrown. */
export const complete = mutation({
  args: { workflowId: v.id("workflows"), generationNumber: v.number(), runResult: vResultValidator },
  returns: v.null(),
  handler: async (ctx, args) => {
    const workflow = await ctx.db.get("workflows", args.workflowId);
    if (!workflow) throw new Error(`Workflow not found: ${args.workflowId}`);
    if (workflow.generationNumber !== args.generationNumber) {
      throw new Error(
        `Invalid generation number: ${args.generationNumber} for workflow ${workflow.name} (${workflow._id}), which is at ${workflow.generationNumber}`,
      );
    }
    await completeWorkflow(ctx, workflow, args.runResult);
    return null;
  },
});

export const restart = mutation({
  args: {
    workflowId: v.string(),
    from: v.optional(v.union(v.number(), v.string())),
    startAsync: v.optional(v.boolean()),
    /** New arguments (SPEC 4.3), checked by the workflow's own mutation first (restartArgs.ts). */
    args: v.optional(v.any()),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    await restartWorkflow(ctx, await getWorkflowOrThrow(ctx, args.workflowId), args);
    return null;
  },
});

/** Restart a finished workflow (the body of `restart`, also used by `restartMany`). */
export async function restartWorkflow(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  args: { from?: number | string; startAsync?: boolean; args?: unknown },
): Promise<null> {
  if (!workflow.runResult) {
    throw new Error(`Workflow is still running: ${workflow._id}. Only a finished workflow can be restarted.`);
  }
  const fromStep =
    args.from === RESTART_FROM_FAILED
      ? await firstFailedStep(ctx, workflow)
      : await resolveRestartPoint(ctx, workflow, args.from);
  const newFlow = args.args !== undefined ? await checkRestartArgs(ctx, workflow, args.args) : undefined;
  const flow = args.args !== undefined && workflow.flow ? regate(workflow, newFlow) : workflow.flow;
  // A reset a cancel interrupted (`resetting`) left the old journal's tail: delete it too.
  const leftover = workflow.resetting?.from;
  const deleteFrom =
    leftover === undefined ? fromStep : fromStep === undefined ? leftover : Math.min(fromStep, leftover);
  const generationNumber = workflow.generationNumber + 1;
  await ctx.db.patch("workflows", workflow._id, {
    ...(args.args !== undefined ? { args: args.args } : {}),
    generationNumber,
    runResult: undefined,
    finishedAt: undefined,
    paused: undefined,
    resetting: undefined,
    flow,
  });
  await recordTransition(ctx, workflow, statusOf(workflow), "running");
  await refreshStatus(ctx, workflow._id);
  const console = await getLogger(ctx);
  console.event("retry", { workflowId: workflow._id, name: workflow.name, from: args.from });
  const restarted = {
    ...workflow,
    ...(args.args !== undefined ? { args: args.args } : {}),
    generationNumber,
    runResult: undefined,
    finishedAt: undefined,
    paused: undefined,
    resetting: undefined,
    flow,
  };
  if (await hasStepsInFlight(ctx, workflow._id)) {
    // The stop that finished it (a cancel of a big tree) is still under way: this restart
    // takes it over (the stop is fenced by the generation), then deletes, then replays.
    await continueReset(ctx, workflow._id, { generationNumber, from: deleteFrom, stopFirst: true });
    return null;
  }
  const next = deleteFrom === undefined ? null : await deleteStepsFrom(ctx, workflow._id, deleteFrom);
  if (next !== null) {
    // Too many steps to delete in one transaction: finish deleting, then replay.
    await continueReset(ctx, workflow._id, { generationNumber, from: next });
  } else if (!(await admitRestart(ctx, restarted))) {
    // Flow control: queued; its replay is scheduled when it begins.
  } else if (args.startAsync) {
    await scheduleReplay(ctx, restarted);
  } else {
    await runReplay(ctx, restarted);
  }
  return null;
}

/** The step number to restart from, checked against the journal. */
async function resolveRestartPoint(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  from: number | string | undefined,
): Promise<number | undefined> {
  if (from === undefined) return undefined;
  if (typeof from === "number") {
    // As in @convex-dev/workflow 0.4.8: only negatives are rejected; a fraction deletes the
    // steps numbered from the next whole number on (the journal index is `gte` from).
    if (from < 0) throw new Error(`Step number cannot be negative: ${from}`);
    return from;
  }
  // The last step with that name: walk the journal backwards, charging what it reads to the
  // transaction's budget (the deletion that follows gets what is left, or continues later).
  const budget = await stopBudgetOf(ctx);
  for await (const entry of ctx.db
    .query("steps")
    .withIndex("workflow", (q) => q.eq("workflowId", workflow._id))
    .order("desc")) {
    budget.bytes -= getConvexSize(entry);
    if (entry.step.name === from) return entry.stepNumber;
  }
  throw new Error(`Step "${from}" not found in workflow ${workflow._id}`);
}

export const restartContinue = internalMutation({
  args: {
    workflowId: v.id("workflows"),
    generationNumber: v.number(),
    /** Where to delete from; unset: delete nothing. */
    from: v.optional(v.number()),
    /** Stop the steps its finish left in flight first (cancel.ts), as many transactions as that takes. */
    stopFirst: v.optional(v.boolean()),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const workflow = await ctx.db.get("workflows", args.workflowId);
    if (!workflow) return null;
    // This reset's own (`resetting`): it deletes to the end even if a cancel came in between.
    const owns = workflow.resetting?.generationNumber === args.generationNumber;
    const current = workflow.generationNumber === args.generationNumber && !workflow.runResult;
    if (!owns && !current) return null;
    if (args.stopFirst && current) {
      if (!(await stopInFlightSteps(ctx, workflow._id))) {
        await ctx.scheduler.runAfter(0, internal.workflow.restartContinue, args);
        return null;
      }
    }
    const next = args.from === undefined ? null : await deleteStepsFrom(ctx, workflow._id, args.from);
    if (next !== null) {
      await ctx.scheduler.runAfter(0, internal.workflow.restartContinue, { ...args, from: next, stopFirst: false });
      return null;
    }
    if (owns) await ctx.db.patch("workflows", workflow._id, { resetting: undefined });
    const reset = { ...workflow, resetting: undefined };
    if (current && (await admitRestart(ctx, reset))) await scheduleReplay(ctx, reset);
    return null;
  },
});

export const cleanup = mutation({
  args: { workflowId: v.string(), force: v.optional(v.boolean()) },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    const workflowId: Id<"workflows"> = parseWorkflowId(ctx, args.workflowId);
    const workflow = await ctx.db.get("workflows", workflowId);
    if (!workflow) return false;
    if (!workflow.runResult && !args.force) {
      const console = await getLogger(ctx);
      console.debug(`Not cleaning up workflow ${workflowId}: it is still running.`);
      return false;
    }
    if (!workflow.runResult && workflow.parent) {
      // Forced while running: the parent's step would wait forever for a child that no
      // longer exists, so it ends as if the child had been canceled.
      const { stepId, generationNumber } = workflow.parent;
      await recordStepResult(ctx, { stepId, generationNumber, result: { kind: "canceled" } });
    }
    await deleteWorkflowData(ctx, workflowId);
    return true;
  },
});
