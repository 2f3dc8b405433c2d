// Executor mode's task queue. Steps of executor-mode workflows become tasks on a shard
// (hash(workflowId) % shards); one long-running executor action per shard claims them
// (a query: claiming writes nothing), runs them, and records results in batches. A task is
// deleted in the same transaction that records its result, so an executor dying at any
// point loses nothing and records nothing twice; mutation tasks run inside that
// transaction, so their effects happen exactly once.
//
// Who may claim a shard's tasks (epochs, instances, handoffs) lives in shards.ts.
import { type RetryBehavior, type RunResult, vResultValidator } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { getConvexSize, v } from "convex/values";
import { MAX_CLAIM_READ_BYTES, MAX_CLAIM_SKIP_BYTES, MAX_EXECUTOR_CONCURRENCY, MAX_RECORD_BATCH_BYTES, MAX_MUTATION_TASKS, MAX_RETRY_ATTEMPTS } from "../../shared/limits.js";
import { formatErrorWithStack } from "../../shared/errors.js";
import { checkWholeNumber } from "../../shared/validateOptions.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { mutation, type MutationCtx, query } from "../_generated/server.js";
import { scheduleReplays } from "./coordinator.js";
import { ensureExecutor, heartbeatIfCurrent, isCurrent, shardOf, shardRow, vFence, validateShards } from "./shards.js";
import { DEFAULT_RETRY_BEHAVIOR } from "../config.js";
import { readyToReplay, recordStepResult } from "../results.js";

const MAX_CLAIM = MAX_EXECUTOR_CONCURRENCY;

/** Put one journaled function step on its shard's queue and make sure an executor will run it. */
export async function enqueueTask(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  entry: Doc<"steps">,
  routing: { shards: number; actionName?: string; executorHandle?: string },
  opts: {
    retry?: boolean | RetryBehavior;
    runAt?: number;
    /** The definition's defaults: `retryActionsByDefault` and `defaultRetryBehavior`. */
    workpoolOptions?: { retryActionsByDefault?: boolean; defaultRetryBehavior?: RetryBehavior };
    /** The batch the step was journaled in (see the `taskQueue` table). */
    batch?: { first: number; size: number };
  },
): Promise<Id<"taskQueue">> {
  const step = entry.step;
  if (step.kind !== undefined && step.kind !== "function") throw new Error(`Step ${entry._id} is not a function step`);
  validateShards(routing.shards);
  const shard = shardOf(workflow._id, routing.shards);
  // Queries and mutations are not retried at the application level (mutations retry on
  // conflicts by themselves); actions as the workpool would: the step's own `retry`, else the
  // definition's `retryActionsByDefault` with its `defaultRetryBehavior`.
  const retry = step.functionType === "action" ? actionRetry(opts.retry, opts.workpoolOptions) : undefined;
  const taskId = await ctx.db.insert("taskQueue", {
    shard,
    workflowId: workflow._id,
    generationNumber: workflow.generationNumber,
    stepId: entry._id,
    functionType: step.functionType,
    handle: step.handle,
    actionName: step.functionType === "action" ? routing.actionName : undefined,
    name: step.name,
    args: step.args,
    retry,
    readyAt: opts.runAt ?? Date.now(),
    batch: opts.batch,
  });
  await ensureExecutor(ctx, shard, routing);
  return taskId;
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

const vTask = v.object({
  _id: v.id("taskQueue"),
  workflowId: v.id("workflows"),
  functionType: v.union(v.literal("query"), v.literal("mutation"), v.literal("action")),
  handle: v.string(),
  actionName: v.optional(v.string()),
  name: v.string(),
  args: v.any(),
  retry: v.optional(v.object({ maxAttempts: v.number(), initialBackoffMs: v.number(), base: v.number() })),
  readyAt: v.number(),
});

/** Tasks ready to run on a shard, for its current executor. A query: claiming writes nothing. */
export const claimTasks = query({
  args: { ...vFence, limit: v.number(), exclude: v.array(v.id("taskQueue")) },
  returns: v.object({ stale: v.boolean(), tasks: v.array(vTask), nextReadyAt: v.union(v.number(), v.null()) }),
  handler: async (ctx, args) => {
    const row = await shardRow(ctx, args.shard);
    if (!isCurrent(row, args)) return { stale: true, tasks: [], nextReadyAt: null };
    const now = Date.now();
    const excluded = new Set<string>(args.exclude);
    for (const handoff of await ctx.db
      .query("executorHandoff")
      .withIndex("by_shard", (q) => q.eq("shard", args.shard))
      .take(16)) {
      if (handoff.until > now && handoff.fromInstance < args.instance) handoff.taskIds.forEach((id) => excluded.add(id));
    }
    const limit = Math.max(0, Math.min(args.limit, MAX_CLAIM));
    // Streamed with a byte budget: a task carries its step's arguments (up to 800 KiB), so 20
    // of them would already be more than a query may read. At least one task is returned when
    // one is ready within MAX_CLAIM_SKIP_BYTES (the tasks skipped are this executor's own).
    const candidates: Doc<"taskQueue">[] = [];
    let bytesRead = 0;
    if (limit > 0) {
      for await (const t of ctx.db
        .query("taskQueue")
        .withIndex("by_shard", (q) => q.eq("shard", args.shard).lte("readyAt", now))) {
        bytesRead += getConvexSize(t);
        if (!excluded.has(t._id)) candidates.push(t);
        if (candidates.length >= limit || bytesRead >= MAX_CLAIM_SKIP_BYTES) break;
        if (candidates.length > 0 && bytesRead >= MAX_CLAIM_READ_BYTES) break;
      }
    }
    const tasks = candidates.map((t) => ({
        _id: t._id,
        workflowId: t.workflowId,
        functionType: t.functionType,
        handle: t.handle,
        actionName: t.actionName,
        name: t.name,
        args: t.args,
        retry: t.retry,
        readyAt: t.readyAt,
      }));
    const next = await ctx.db
      .query("taskQueue")
      .withIndex("by_shard", (q) => q.eq("shard", args.shard).gt("readyAt", now))
      .first();
    return { stale: false, tasks, nextReadyAt: next?.readyAt ?? null };
  },
});

/** Record one task's result and delete it; adds it to `recorded` if its workflow is running. */
async function recordTask(
  ctx: MutationCtx,
  task: Doc<"taskQueue">,
  result: RunResult,
  recorded: Doc<"taskQueue">[],
  startedAt: number | undefined,
  attempts?: number,
): Promise<number> {
  await ctx.db.delete("taskQueue", task._id);
  let workflowBytes = 0;
  await recordStepResult(ctx, {
    stepId: task.stepId,
    generationNumber: task.generationNumber,
    result,
    startedAt,
    attempts,
    onRecorded: (workflow) => {
      workflowBytes = getConvexSize(workflow);
      recorded.push(task);
    },
  });
  return workflowBytes;
}

/**
 * The workflows to replay after recording these tasks: those with nothing left in flight.
 * When the tasks recorded now are a whole batch, that is known without reading anything;
 * otherwise (part of a batch, or a batch with other kinds of steps) the journal is asked.
 */
async function replayable(ctx: MutationCtx, recorded: Doc<"taskQueue">[]): Promise<Id<"workflows">[]> {
  const byWorkflow = new Map<Id<"workflows">, Doc<"taskQueue">[]>();
  for (const task of recorded) {
    const tasks = byWorkflow.get(task.workflowId);
    if (tasks) tasks.push(task);
    else byWorkflow.set(task.workflowId, [task]);
  }
  const ready: Id<"workflows">[] = [];
  const ask: Id<"workflows">[] = [];
  for (const [workflowId, tasks] of byWorkflow) {
    // All are in the workflow's current generation (recordStepResult checked each one).
    const batch = tasks[0].batch;
    const wholeBatch =
      batch !== undefined && tasks.length === batch.size && tasks.every((t) => t.batch?.first === batch.first);
    (wholeBatch ? ready : ask).push(workflowId);
  }
  return [...ready, ...(await readyToReplay(ctx, ask))];
}

/**
 * Record many results at once: each task still queued is deleted and its step completed;
 * workflows whose batch is now complete are replayed by the coordinator (scheduled in this
 * same transaction, so the replay cannot be lost). Results for tasks already gone (canceled,
 * restarted, recorded by another executor) are skipped. `replays`: how many workflows were
 * handed to the coordinator, whose next steps will likely land on this same shard.
 *
 * Bounded in bytes: a result costs its task (which carries the step's arguments), the step
 * read and written with the result, and its workflow. Once the batch reaches
 * MAX_RECORD_BATCH_BYTES it stops (after at least one result); `consumed` says how many of
 * `results`, from the first, were handled (recorded or skipped): the caller sends the rest again.
 */
export const recordResultBatch = mutation({
  args: {
    ...vFence,
    results: v.array(
      v.object({
        taskId: v.id("taskQueue"),
        result: vResultValidator,
        startedAt: v.optional(v.number()),
        /** How many times the executor ran the step (retries included). */
        attempts: v.optional(v.number()),
      }),
    ),
  },
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
        checkWholeNumber(`recordResultBatch \`results[${i}].attempts\``, attempts, 1, MAX_RETRY_ATTEMPTS);
      }
    });
    const recorded: Doc<"taskQueue">[] = [];
    let found = 0;
    let consumed = 0;
    let bytes = 0;
    for (const { taskId, result, startedAt, attempts } of args.results) {
      if (consumed > 0 && bytes >= MAX_RECORD_BATCH_BYTES) break;
      consumed++;
      const task = await ctx.db.get("taskQueue", taskId);
      if (!task) continue;
      // The task read and deleted; the step (the same arguments) read and written with the result.
      bytes += 2 * getConvexSize(task) + 2 * getConvexSize(result);
      bytes += await recordTask(ctx, task, result, recorded, startedAt, attempts);
      found++;
    }
    const ready = await replayable(ctx, recorded);
    await scheduleReplays(ctx, ready);
    const current = await heartbeatIfCurrent(ctx, args);
    return { recorded: found, skipped: consumed - found, current, replays: ready.length, consumed };
  },
});

/**
 * Run mutation tasks, each in its own sub-transaction, and record their results in this
 * transaction: a mutation step's effects and its journaled result commit together.
 */
export const runMutationTasks = mutation({
  args: { ...vFence, taskIds: v.array(v.id("taskQueue")) },
  returns: v.object({ recorded: v.number(), skipped: v.number(), replays: v.number() }),
  handler: async (ctx, args) => {
    if (args.taskIds.length > MAX_MUTATION_TASKS) {
      throw new Error(`runMutationTasks takes at most ${MAX_MUTATION_TASKS} tasks, got ${args.taskIds.length}`);
    }
    const recorded: Doc<"taskQueue">[] = [];
    let found = 0;
    for (const taskId of args.taskIds) {
      const task = await ctx.db.get("taskQueue", taskId);
      if (!task || task.functionType !== "mutation") continue;
      let result: RunResult;
      const startedAt = Date.now();
      try {
        const returnValue = await ctx.runMutation(task.handle as FunctionHandle<"mutation">, task.args);
        result = { kind: "success", returnValue: returnValue ?? null };
      } catch (error) {
        result = { kind: "failed", error: formatErrorWithStack(error) };
      }
      await recordTask(ctx, task, result, recorded, startedAt);
      found++;
    }
    const ready = await replayable(ctx, recorded);
    await scheduleReplays(ctx, ready);
    await heartbeatIfCurrent(ctx, args);
    return { recorded: found, skipped: args.taskIds.length - found, replays: ready.length };
  },
});

/** Remove a step's queued task (cancel, restart, cleanup); a late result is then ignored. */
export async function deleteTaskOfStep(ctx: MutationCtx, stepId: Id<"steps">): Promise<void> {
  const task = await ctx.db
    .query("taskQueue")
    .withIndex("by_stepId", (q) => q.eq("stepId", stepId))
    .unique();
  if (task) await ctx.db.delete("taskQueue", task._id);
}
