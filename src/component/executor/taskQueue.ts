// Executor mode's task queue. A function step of an executor-mode workflow is a task on a
// shard (hash(workflowId) % shards): its journal entry carries `task` from the write that
// journals it until the write that records its result (or stops it), and the `steps.task`
// index is the shard's queue. One long-running executor action per shard claims tasks (a
// query: claiming writes nothing), runs them, and records their results in flushes. So an
// executor dying at any point loses nothing and records nothing twice, and mutation tasks,
// run inside the transaction that records them, have their effects exactly once.
//
// Only stepWork.ts starts tasks (`enqueueTask`); a stop or a deletion of the step removes its
// task with it. Who may claim a shard's tasks (epochs, instances, handoffs) lives in shards.ts.
import type { RetryBehavior, RunResult } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { getConvexSize, v } from "convex/values";
import {
  MAX_CLAIM_READ_BYTES,
  MAX_CLAIM_SKIP_BYTES,
  MAX_EXECUTOR_CONCURRENCY,
  MAX_MUTATION_TASKS,
  MAX_FLUSH_BYTES,
  MAX_RETRY_ATTEMPTS,
} from "../../shared/limits.js";
import { formatErrorWithStack } from "../../shared/errors.js";
import { vClaimedTask, vFence, vTaskResult, type vTaskRoute } from "../../shared/protocol.js";
import { checkWholeNumber } from "../../shared/validateOptions.js";
import type { Doc } from "../_generated/dataModel.js";
import { mutation, type MutationCtx, query } from "../_generated/server.js";
import { DEFAULT_RETRY_BEHAVIOR } from "../config.js";
import { readyToReplay } from "../readiness.js";
import { recordResult } from "../results.js";
import type { Step, StepEntry, Task } from "../schema.js";
import { scheduleReplays } from "./coordinator.js";
import { ensureExecutor, heartbeatIfCurrent, isCurrent, shardOf, shardRow, validateShards } from "./shards.js";

const MAX_CLAIM = MAX_EXECUTOR_CONCURRENCY;

type TaskRoute = typeof vTaskRoute.type;

/**
 * Journal a function step as a task on its shard's queue (one write: the entry with its
 * `task`) and make sure an executor will run it. Returns the entry as written.
 */
export async function enqueueTask(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  stepNumber: number,
  step: Step,
  route: TaskRoute,
  opts: {
    retry?: boolean | RetryBehavior;
    runAt?: number;
    /** The definition's defaults: `retryActionsByDefault` and `defaultRetryBehavior`. */
    workpoolOptions?: { retryActionsByDefault?: boolean; defaultRetryBehavior?: RetryBehavior };
  },
): Promise<StepEntry> {
  if (step.kind !== undefined && step.kind !== "function") {
    throw new Error(`Step ${stepNumber} of workflow ${workflow._id} is a ${step.kind}, not a function step`);
  }
  validateShards(route.shards);
  const shard = shardOf(workflow._id, route.shards);
  const task: Task = { shard, readyAt: opts.runAt ?? Date.now(), generationNumber: workflow.generationNumber };
  if (step.functionType === "action") {
    if (route.actionName !== undefined) task.actionName = route.actionName;
    // Queries and mutations are not retried at the application level (mutations retry on
    // conflicts by themselves); actions as the workpool would: the step's own `retry`, else the
    // definition's `retryActionsByDefault` with its `defaultRetryBehavior`.
    const retry = actionRetry(opts.retry, opts.workpoolOptions);
    if (retry !== undefined) task.retry = retry;
  }
  const fields = { workflowId: workflow._id, stepNumber, step, task };
  const _id = await ctx.db.insert("steps", fields);
  await ensureExecutor(ctx, shard, route);
  return { _id, ...fields };
}

function actionRetry(
  retry: boolean | RetryBehavior | undefined,
  defaults: { retryActionsByDefault?: boolean; defaultRetryBehavior?: RetryBehavior } | undefined,
): RetryBehavior | undefined {
  const policy = defaults?.defaultRetryBehavior ?? DEFAULT_RETRY_BEHAVIOR;
  if (retry === true) return policy;
  if (retry === false) return undefined;
  return retry ?? (defaults?.retryActionsByDefault ? policy : undefined);
}

/** A journal entry that is on a task queue. */
type TaskEntry = Doc<"steps"> & { task: Task };
const hasTask = (entry: Doc<"steps"> | null): entry is TaskEntry => entry?.task !== undefined;

/** Tasks ready to run on a shard, for its current executor. A query: claiming writes nothing. */
export const claimTasks = query({
  args: { ...vFence, limit: v.number(), exclude: v.array(v.id("steps")) },
  returns: v.object({ stale: v.boolean(), tasks: v.array(vClaimedTask), nextReadyAt: v.union(v.number(), v.null()) }),
  handler: async (ctx, args) => {
    const row = await shardRow(ctx, args.shard);
    if (!isCurrent(row, args)) return { stale: true, tasks: [], nextReadyAt: null };
    const now = Date.now();
    const excluded = new Set<string>(args.exclude);
    for (const handoff of await ctx.db
      .query("executorHandoff")
      .withIndex("by_shard", (q) => q.eq("shard", args.shard))
      .take(16)) {
      if (handoff.until > now && handoff.fromInstance < args.instance)
        handoff.stepIds.forEach((id) => excluded.add(id));
    }
    const limit = Math.max(0, Math.min(args.limit, MAX_CLAIM));
    // Streamed with a byte budget: a task is its step, with the step's arguments (up to
    // 800 KiB), so 20 of them would already be more than a query may read. At least one task
    // is returned when one is ready within MAX_CLAIM_SKIP_BYTES (the tasks skipped are this
    // executor's own).
    const tasks: Array<typeof vClaimedTask.type> = [];
    let bytesRead = 0;
    if (limit > 0) {
      for await (const entry of ctx.db
        .query("steps")
        .withIndex("task", (q) => q.eq("task.shard", args.shard).lte("task.readyAt", now))) {
        bytesRead += getConvexSize(entry);
        const { step, task } = entry;
        if (!excluded.has(entry._id) && task && (step.kind === undefined || step.kind === "function")) {
          tasks.push({
            stepId: entry._id,
            workflowId: entry.workflowId,
            functionType: step.functionType,
            handle: step.handle,
            actionName: task.actionName,
            name: step.name,
            args: step.args,
            retry: task.retry,
            readyAt: task.readyAt,
          });
        }
        if (tasks.length >= limit || bytesRead >= MAX_CLAIM_SKIP_BYTES) break;
        if (tasks.length > 0 && bytesRead >= MAX_CLAIM_READ_BYTES) break;
      }
    }
    const next = await ctx.db
      .query("steps")
      .withIndex("task", (q) => q.eq("task.shard", args.shard).gt("task.readyAt", now))
      .first();
    return { stale: false, tasks, nextReadyAt: next?.task?.readyAt ?? null };
  },
});

/**
 * Record one task's result: the write that records it takes the step off the queue. Returns
 * the step's workflow when the result was recorded and the workflow is still running.
 */
async function recordTask(
  ctx: MutationCtx,
  entry: TaskEntry,
  result: RunResult,
  startedAt: number | undefined,
  attempts?: number,
): Promise<Doc<"workflows"> | null> {
  const { outcome, workflow } = await recordResult(ctx, entry, {
    generationNumber: entry.task.generationNumber,
    result,
    startedAt,
    attempts,
  });
  // Not recorded: a run since canceled or restarted, whose stop has not reached this step yet.
  // Off the queue all the same, so that no executor runs it again; the stop marks it canceled.
  if (outcome === "stale" || outcome === "notInProgress") await ctx.db.patch("steps", entry._id, { task: undefined });
  return workflow;
}

/** After a flush: hand the workflows it left with nothing in flight to the coordinator. */
async function replayReady(ctx: MutationCtx, running: Doc<"workflows">[]): Promise<number> {
  const ready = await readyToReplay(ctx, running);
  await scheduleReplays(ctx, ready);
  return ready.length;
}

/**
 * Record a flush: each step still on the queue gets its result (and leaves the queue in the
 * same write); workflows with nothing left in flight are replayed by the coordinator
 * (scheduled in this same transaction, so the replay cannot be lost). Results for steps no
 * longer on the queue (canceled, restarted, recorded by another executor) are skipped.
 * `replays`: how many workflows were handed to the coordinator, whose next steps will likely
 * land on this same shard.
 *
 * Bounded in bytes: a result costs its step (which carries the step's arguments) read and
 * written with the result, and its workflow. Once the flush reaches MAX_FLUSH_BYTES it
 * stops (after at least one result); `consumed` says how many of `results`, from the first,
 * were handled (recorded or skipped): the caller sends the rest again.
 */
export const recordResults = mutation({
  args: { ...vFence, results: v.array(vTaskResult) },
  returns: v.object({
    recorded: v.number(),
    skipped: v.number(),
    current: v.boolean(),
    replays: v.number(),
    /** How many of `results` (from the first) were handled; the rest were left for another call. */
    consumed: v.number(),
  }),
  handler: async (ctx, args) => {
    // Checked before anything is written: a bad count would be stored on the step.
    args.results.forEach(({ attempts }, i) => {
      if (attempts !== undefined) {
        checkWholeNumber(`recordResults \`results[${i}].attempts\``, attempts, 1, MAX_RETRY_ATTEMPTS);
      }
    });
    const running: Doc<"workflows">[] = [];
    let found = 0;
    let consumed = 0;
    let bytes = 0;
    for (const { stepId, result, startedAt, attempts } of args.results) {
      if (consumed > 0 && bytes >= MAX_FLUSH_BYTES) break;
      consumed++;
      const entry = await ctx.db.get("steps", stepId);
      if (!hasTask(entry)) continue;
      // The step (with its arguments) read, and written with the result.
      bytes += 2 * getConvexSize(entry) + 2 * getConvexSize(result);
      const workflow = await recordTask(ctx, entry, result, startedAt, attempts);
      if (workflow) {
        bytes += getConvexSize(workflow);
        running.push(workflow);
      }
      found++;
    }
    const replays = await replayReady(ctx, running);
    const current = await heartbeatIfCurrent(ctx, args);
    return { recorded: found, skipped: consumed - found, current, replays, consumed };
  },
});

/**
 * Run mutation tasks, each in its own sub-transaction, and record their results in this
 * transaction: a mutation step's effects and its journaled result commit together.
 */
export const runMutationTasks = mutation({
  args: { ...vFence, stepIds: v.array(v.id("steps")) },
  returns: v.object({ recorded: v.number(), skipped: v.number(), replays: v.number() }),
  handler: async (ctx, args) => {
    if (args.stepIds.length > MAX_MUTATION_TASKS) {
      throw new Error(`runMutationTasks takes at most ${MAX_MUTATION_TASKS} tasks, got ${args.stepIds.length}`);
    }
    const running: Doc<"workflows">[] = [];
    let found = 0;
    for (const stepId of args.stepIds) {
      const entry = await ctx.db.get("steps", stepId);
      if (!hasTask(entry)) continue;
      const step = entry.step;
      if ((step.kind !== undefined && step.kind !== "function") || step.functionType !== "mutation") continue;
      let result: RunResult;
      const startedAt = Date.now();
      try {
        const returnValue = await ctx.runMutation(step.handle as FunctionHandle<"mutation">, step.args);
        result = { kind: "success", returnValue: returnValue ?? null };
      } catch (error) {
        result = { kind: "failed", error: formatErrorWithStack(error) };
      }
      const workflow = await recordTask(ctx, entry, result, startedAt);
      if (workflow) running.push(workflow);
      found++;
    }
    const replays = await replayReady(ctx, running);
    await heartbeatIfCurrent(ctx, args);
    return { recorded: found, skipped: args.stepIds.length - found, replays };
  },
});
