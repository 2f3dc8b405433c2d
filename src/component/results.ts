// Recording the outcome of a step: the one path every kind of step result goes through
// (workpool callbacks, sleep wake-ups, nested workflows finishing, events arriving, executor
// flushes).
import type { RunResult } from "@convex-dev/workpool";
import { convexToJson, getConvexSize, type Value } from "convex/values";
import { MAX_RETURN_VALUE_SIZE } from "../shared/limits.js";
import { limitErrorLength } from "../shared/errors.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { StepEntry } from "./schema.js";
import type { MutationCtx } from "./_generated/server.js";
import { isReady } from "./readiness.js";
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

/** A step's outcome, for the run (generation) of its workflow that started it. */
export type Outcome = {
  generationNumber: number;
  result: RunResult;
  completedAt?: number;
  /** When the step's work began running, where the caller knows it. */
  startedAt?: number;
  /** How many times the step's function ran, where the caller knows it (executor mode). */
  attempts?: number;
};

export type StepResult = Outcome & { stepId: Id<"steps"> };

/**
 * Record a step's result if the step is still waiting for it in the expected generation. Late
 * or duplicate results are ignored (and say why), never applied twice. The same write takes the
 * step off the task queue (executor mode). `entry` is the step's journal entry as read in this
 * transaction (null: it is gone). Returns the outcome, and the step's workflow when the result
 * was recorded and the workflow is still running: the caller decides when to replay it (see
 * readiness.ts).
 */
export async function recordResult(
  ctx: MutationCtx,
  entry: StepEntry | null,
  args: Outcome,
): Promise<{ outcome: RecordOutcome; workflow: Doc<"workflows"> | null }> {
  if (!entry) return { outcome: "missing", workflow: null };
  const console = await getLogger(ctx);
  const workflow = await ctx.db.get("workflows", entry.workflowId);
  if (!workflow || workflow.generationNumber !== args.generationNumber) {
    console.debug(`Stale result for step ${entry._id} (generation ${args.generationNumber}); ignoring.`);
    return { outcome: "stale", workflow: null };
  }
  if (!entry.step.inProgress) {
    console.debug(`Step ${entry._id} already has a result; ignoring a second one.`);
    return { outcome: "notInProgress", workflow: null };
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
    task: undefined,
  });
  console.event("stepCompleted", {
    workflowId: workflow._id,
    workflowName: workflow.name,
    stepName: entry.step.name,
    stepNumber: entry.stepNumber,
    status: runResult.kind,
    durationMs: completedAt - entry.step.queuedAt,
  });
  return { outcome: "recorded", workflow: workflow.runResult === undefined ? workflow : null };
}

/**
 * Record a step's result (see `recordResult`) and, once nothing of its workflow is in flight,
 * schedule the workflow's next replay.
 */
export async function recordStepResult(ctx: MutationCtx, { stepId, ...args }: StepResult): Promise<RecordOutcome> {
  const entry = await ctx.db.get("steps", stepId);
  if (!entry) (await getLogger(ctx)).debug(`Step ${stepId} is gone (cleaned up or restarted); ignoring its result.`);
  const { outcome, workflow } = await recordResult(ctx, entry, args);
  if (workflow && (await isReady(ctx, workflow))) await scheduleReplay(ctx, workflow);
  return outcome;
}
