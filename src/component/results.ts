// Recording the outcome of a step: the one path every kind of step result goes through
// (workpool callbacks, sleep wake-ups, nested workflows finishing, events arriving).
import type { RunResult } from "@convex-dev/workpool";
import { convexToJson, getConvexSize, type Value } from "convex/values";
import { MAX_RETURN_VALUE_SIZE } from "../shared/limits.js";
import { limitErrorLength } from "../shared/errors.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { scheduleReplay } from "./replay.js";

const PREVIEW_CHARS = 8 << 10;

/**
 * A success whose value is too large becomes a failure the handler can catch; a failure's
 * error is cut to `MAX_ERROR_LENGTH` characters (head and tail kept).
 */
export function limitResultSize(result: RunResult): RunResult {
  if (result.kind === "failed") {
    const error = limitErrorLength(result.error);
    return error === result.error ? result : { kind: "failed", error };
  }
  if (result.kind !== "success") return result;
  const size = getConvexSize((result.returnValue ?? null) as Value);
  if (size <= MAX_RETURN_VALUE_SIZE) return result;
  const json = JSON.stringify(convexToJson((result.returnValue ?? null) as Value));
  const preview =
    json.length <= 2 * PREVIEW_CHARS ? json : `${json.slice(0, PREVIEW_CHARS)}...${json.slice(-PREVIEW_CHARS)}`;
  return {
    kind: "failed",
    error: `Step return value too large (${size} bytes). Maximum is ${MAX_RETURN_VALUE_SIZE} bytes. Preview: ${preview}`,
  };
}

export type RecordOutcome = "recorded" | "stale" | "notInProgress" | "missing";

/**
 * Record a step's result if the step is still waiting for it in the expected generation,
 * then, when it was the last step of its batch, schedule the workflow's next poll.
 * Late or duplicate results are ignored (and say why), never applied twice.
 */
export async function recordStepResult(
  ctx: MutationCtx,
  args: {
    stepId: Id<"steps">;
    generationNumber: number;
    result: RunResult;
    completedAt?: number;
    /** When the step's work began running, where the caller knows it. */
    startedAt?: number;
    /** How many times the step's function ran, where the caller knows it (executor mode). */
    attempts?: number;
    /**
     * Executor mode records many results per transaction: instead of checking the batch
     * after each one, it is told which running workflow got a result, and checks each
     * workflow once after the last (see `readyToReplay`), then replays them together.
     */
    onRecorded?: (workflow: Doc<"workflows">) => void;
  },
): Promise<RecordOutcome> {
  const entry = await ctx.db.get("steps", args.stepId);
  const console = await getLogger(ctx);
  if (!entry) {
    console.debug(`Step ${args.stepId} is gone (cleaned up or restarted); ignoring its result.`);
    return "missing";
  }
  const workflow = await ctx.db.get("workflows", entry.workflowId);
  if (!workflow || workflow.generationNumber !== args.generationNumber) {
    console.debug(`Stale result for step ${args.stepId} (generation ${args.generationNumber}); ignoring.`);
    return "stale";
  }
  if (!entry.step.inProgress) {
    console.debug(`Step ${args.stepId} already has a result; ignoring a second one.`);
    return "notInProgress";
  }
  const runResult = limitResultSize(args.result);
  const completedAt = args.completedAt ?? Date.now();
  await ctx.db.patch("steps", entry._id, {
    step: {
      ...entry.step,
      inProgress: false,
      runResult,
      completedAt,
      startedAt: args.startedAt ?? entry.step.startedAt,
      ...(args.attempts !== undefined ? { attempts: args.attempts } : {}),
    },
  });
  console.event("stepCompleted", {
    workflowId: workflow._id,
    workflowName: workflow.name,
    stepName: entry.step.name,
    stepNumber: entry.stepNumber,
    status: runResult.kind,
    durationMs: completedAt - entry.step.queuedAt,
  });
  if (workflow.runResult !== undefined) return "recorded";
  if (args.onRecorded) args.onRecorded(workflow);
  else if (await isBatchDone(ctx, workflow._id)) await scheduleReplay(ctx, workflow);
  return "recorded";
}

/** Of the workflows that just got results, those with nothing left in flight. */
export async function readyToReplay(ctx: QueryCtx, workflowIds: Iterable<Id<"workflows">>): Promise<Id<"workflows">[]> {
  const ready: Id<"workflows">[] = [];
  for (const workflowId of new Set(workflowIds)) if (await isBatchDone(ctx, workflowId)) ready.push(workflowId);
  return ready;
}

/** True once no step of the workflow is in flight: time for its next poll. */
export async function isBatchDone(ctx: QueryCtx, workflowId: Id<"workflows">): Promise<boolean> {
  return !(await hasStepsInFlight(ctx, workflowId));
}

/** Whether any step of the workflow is still in progress: the one index read that answers it. */
export async function hasStepsInFlight(ctx: QueryCtx, workflowId: Id<"workflows">): Promise<boolean> {
  const entry = await ctx.db
    .query("steps")
    .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))
    .first();
  return entry !== null;
}
