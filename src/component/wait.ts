// Condition waits (`step.waitUntil`): one journal entry whose condition query the
// component re-checks — at once, then on an exponential back-off, and promptly when the
// app calls `notify` or sends the workflow an event — until it returns a value (anything
// but null, undefined or false) or its deadline passes.
import type { RunResult } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { v } from "convex/values";
import { MAX_STATUS_READ_BYTES } from "../shared/limits.js";
import { formatErrorWithStack, timeoutError } from "../shared/errors.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx } from "./_generated/server.js";
import { getWorkflowOrThrow } from "./model.js";
import { inFlightSteps } from "./readiness.js";
import { limitResultSize, recordStepResult } from "./results.js";
import type { ConditionWait, StepEntry } from "./schema.js";

const MAX_WAITS_NUDGED = 100;

type FunctionStep = Extract<Doc<"steps">["step"], { functionType: unknown }>;

/** A condition is met by any value but null, undefined or false. */
function isMet(value: unknown): boolean {
  return value !== null && value !== undefined && value !== false;
}

async function evaluate(ctx: MutationCtx, step: FunctionStep): Promise<RunResult | null> {
  try {
    const value = await ctx.runQuery(step.handle as FunctionHandle<"query">, step.args);
    return isMet(value) ? limitResultSize({ kind: "success", returnValue: value }) : null;
  } catch (error) {
    return { kind: "failed", error: formatErrorWithStack(error) };
  }
}

function describeWait(entry: Doc<"steps">): string {
  return `waitUntil "${entry.step.name}" (step ${entry.stepNumber} of workflow ${entry.workflowId})`;
}

/**
 * Start a freshly journaled wait: check once now; if not met, schedule the next check.
 * Returns the step as it should be stored (completed if the condition already holds).
 */
export async function startConditionWait(
  ctx: MutationCtx,
  entry: StepEntry,
  generationNumber: number,
  timeoutMs: number | undefined,
): Promise<Doc<"steps">["step"]> {
  const step = entry.step as FunctionStep;
  const wait = step.wait!;
  const now = Date.now();
  const deadline = timeoutMs === undefined ? undefined : now + timeoutMs;
  const result = await evaluate(ctx, step);
  if (result)
    return { ...step, wait: { ...wait, deadline, checks: 1 }, inProgress: false, runResult: result, completedAt: now };
  const next = await scheduleCheck(ctx, entry._id, generationNumber, { ...wait, deadline, checks: 1 }, now);
  return { ...step, wait: next };
}

async function scheduleCheck(
  ctx: MutationCtx,
  stepId: Id<"steps">,
  generationNumber: number,
  wait: ConditionWait,
  now: number,
  delayMs = wait.nextIntervalMs,
): Promise<ConditionWait> {
  const at = wait.deadline === undefined ? now + delayMs : Math.min(now + delayMs, wait.deadline);
  const timerId = await ctx.scheduler.runAt(at, internal.wait.check, { stepId, generationNumber });
  return { ...wait, timerId, nextIntervalMs: Math.min(wait.nextIntervalMs * 2, wait.maxPollIntervalMs) };
}

/** A scheduled (or nudged) check of one wait. */
export const check = internalMutation({
  args: { stepId: v.id("steps"), generationNumber: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const entry = await ctx.db.get("steps", args.stepId);
    if (!entry || !entry.step.inProgress || !("wait" in entry.step) || !entry.step.wait) return null;
    const workflow = await ctx.db.get("workflows", entry.workflowId);
    if (!workflow || workflow.runResult || workflow.generationNumber !== args.generationNumber) return null;
    const step = entry.step;
    const wait = { ...step.wait!, checks: step.wait!.checks + 1, timerId: undefined };
    const now = Date.now();
    let result = await evaluate(ctx, step);
    if (!result && wait.deadline !== undefined && now >= wait.deadline) {
      result = { kind: "failed", error: timeoutError(describeWait(entry), wait.deadline - step.queuedAt) };
    }
    if (result) {
      await ctx.db.patch("steps", entry._id, { step: { ...step, wait } });
      await recordStepResult(ctx, { stepId: entry._id, generationNumber: args.generationNumber, result });
      return null;
    }
    const next = await scheduleCheck(ctx, entry._id, args.generationNumber, wait, now);
    await ctx.db.patch("steps", entry._id, { step: { ...step, wait: next } });
    return null;
  },
});

/** Move every pending condition check of the workflow to now. */
export async function nudgeConditionWaits(ctx: MutationCtx, workflow: Doc<"workflows">): Promise<number> {
  if (workflow.runResult) return 0;
  // Bounded in documents and bytes (in-flight steps carry their arguments): past the budget,
  // the waits not reached are checked on their own back-off as usual.
  const inFlight = await inFlightSteps(ctx, workflow._id, {
    maxSteps: MAX_WAITS_NUDGED,
    maxBytes: MAX_STATUS_READ_BYTES,
  });
  let nudged = 0;
  for (const entry of inFlight) {
    const step = entry.step;
    if (!("wait" in step) || !step.wait?.timerId) continue;
    // Only a wait of the workflow's current run is nudged: one of a run before a restart, not
    // yet reached by the stop, keeps its own generation (its pending check carries it) and
    // must not record a result in the new run.
    const pending = await ctx.db.system.get("_scheduled_functions", step.wait.timerId);
    const scheduledArgs = pending?.args[0] as { generationNumber?: number } | undefined;
    if (scheduledArgs?.generationNumber !== workflow.generationNumber) continue;
    if (pending?.state.kind === "pending") await ctx.scheduler.cancel(step.wait.timerId);
    const timerId = await ctx.scheduler.runAfter(0, internal.wait.check, {
      stepId: entry._id,
      generationNumber: workflow.generationNumber,
    });
    await ctx.db.patch("steps", entry._id, { step: { ...step, wait: { ...step.wait, timerId } } });
    nudged++;
  }
  return nudged;
}

/** Cancel a pending timer if it has not run yet. */
export async function cancelTimer(ctx: MutationCtx, timerId: Id<"_scheduled_functions">): Promise<void> {
  const scheduled = await ctx.db.system.get("_scheduled_functions", timerId);
  if (scheduled && scheduled.state.kind === "pending") await ctx.scheduler.cancel(timerId);
}

/** Re-check the workflow's `waitUntil` conditions now (call after changing what they read). */
export const notify = mutation({
  args: { workflowId: v.string() },
  returns: v.number(),
  handler: async (ctx, args) => {
    const workflow = await getWorkflowOrThrow(ctx, args.workflowId);
    return await nudgeConditionWaits(ctx, workflow);
  },
});
