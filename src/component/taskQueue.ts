// Executor mode's task queue. Steps of executor-mode workflows become tasks on a shard
// (hash(workflowId) % shards); one long-running executor action per shard claims them
// (a query: claiming writes nothing), runs them, and records results in batches. A task is
// deleted in the same transaction that records its result, so an executor dying at any
// point loses nothing and records nothing twice; mutation tasks run inside that
// transaction, so their effects happen exactly once.
//
// Fencing: each shard row has an epoch (bumped by startExecutors) and an instance (bumped
// by each handoff or restart). Only the current (epoch, instance) may claim.
import { type RetryBehavior, type RunResult, vResultValidator } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { getConvexSize, v } from "convex/values";
import {
  formatErrorWithStack,
  MAX_CLAIM_READ_BYTES,
  MAX_CLAIM_SKIP_BYTES,
  MAX_DIAGNOSE_READ_BYTES,
  MAX_EXECUTOR_CONCURRENCY,
  MAX_EXECUTOR_SHARDS,
  MAX_RECORD_BATCH_BYTES,
  MAX_RETRY_ATTEMPTS,
} from "../shared.js";
import { checkExecutorShards, checkWholeNumber } from "../validateOptions.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx, query, type QueryCtx } from "./_generated/server.js";
import { readyWorkflow, scheduleReplays } from "./coordinator.js";
import { DEFAULT_RETRY_BEHAVIOR, getLogger } from "./config.js";
import { readyToReplay, recordStepResult } from "./results.js";

/** An executor that has not been heard from for this long is presumed dead. */
export const HEARTBEAT_STALE_MS = 60_000;
/**
 * A shard's watchdog looks again this long after the executor was last heard from (so a
 * live executor costs one watchdog run per interval, and a dead one is replaced within it).
 */
export const WATCHDOG_INTERVAL_MS = 90_000;
export const MAX_SHARDS = MAX_EXECUTOR_SHARDS;
const MAX_CLAIM = MAX_EXECUTOR_CONCURRENCY;
const MAX_MUTATION_TASKS = 20;

/** FNV-1a of the workflow id, modulo the shard count. */
export function shardOf(workflowId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < workflowId.length; i++) {
    hash ^= workflowId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

export function validateShards(shards: number): void {
  checkExecutorShards(shards);
}

async function shardRow(ctx: QueryCtx, shard: number): Promise<Doc<"executorEpoch"> | null> {
  return await ctx.db
    .query("executorEpoch")
    .withIndex("by_shard", (q) => q.eq("shard", shard))
    .unique();
}

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

/**
 * Shards this transaction already made sure have a live executor: a batch of steps on one
 * shard costs one check, not one per step. Keyed by the transaction's `ctx.db`, so it lives
 * and dies with the writes that made it true.
 */
const liveShardsOfTransaction = new WeakMap<object, Set<number>>();

/** Start (or restart) the shard's executor unless a live one is running. */
async function ensureExecutor(
  ctx: MutationCtx,
  shard: number,
  routing: { shards: number; executorHandle?: string },
): Promise<void> {
  let live = liveShardsOfTransaction.get(ctx.db);
  if (!live) liveShardsOfTransaction.set(ctx.db, (live = new Set()));
  if (live.has(shard)) return;
  await startExecutorIfDead(ctx, shard, routing);
  live.add(shard);
}

async function startExecutorIfDead(
  ctx: MutationCtx,
  shard: number,
  routing: { shards: number; executorHandle?: string },
): Promise<void> {
  const row = await shardRow(ctx, shard);
  const now = Date.now();
  if (row && row.running && now - row.heartbeatAt < HEARTBEAT_STALE_MS) return;
  const executorHandle = routing.executorHandle ?? row?.executorHandle;
  if (!executorHandle) {
    throw new Error(
      `Executor mode: no executor is registered for shard ${shard}. Export \`workflow.executor()\`, call ` +
        "`workflow.setExecutorRef(internal.<module>.<name>)` and `await workflow.startExecutors(ctx)` once.",
    );
  }
  if (!row) {
    const id = await ctx.db.insert("executorEpoch", {
      shard,
      shards: routing.shards,
      epoch: 1,
      instance: 0,
      executorHandle,
      running: true,
      heartbeatAt: now,
    });
    await launch(ctx, (await ctx.db.get("executorEpoch", id))!);
    return;
  }
  const console = await getLogger(ctx);
  if (row.running) console.warn(`Executor for shard ${shard} silent for ${now - row.heartbeatAt} ms; starting another.`);
  await ctx.db.patch("executorEpoch", row._id, { instance: row.instance + 1, running: true, heartbeatAt: now, executorHandle });
  await launch(ctx, { ...row, instance: row.instance + 1, executorHandle });
}

async function launch(ctx: MutationCtx, row: Doc<"executorEpoch">): Promise<void> {
  await ctx.scheduler.runAfter(0, row.executorHandle as FunctionHandle<"action">, {
    shard: row.shard,
    epoch: row.epoch,
    instance: row.instance,
  });
  if (!row.watchdogScheduled) {
    await ctx.db.patch("executorEpoch", row._id, { watchdogScheduled: true });
    await ctx.scheduler.runAfter(WATCHDOG_INTERVAL_MS, internal.taskQueue.watchdog, { shard: row.shard });
  }
}

async function hasTasks(ctx: QueryCtx, shard: number): Promise<boolean> {
  return (await ctx.db.query("taskQueue").withIndex("by_shard", (q) => q.eq("shard", shard)).first()) !== null;
}

/** While a shard has work, make sure it has a live executor. */
export const watchdog = internalMutation({
  args: { shard: v.number() },
  returns: v.null(),
  handler: async (ctx, { shard }) => {
    const row = await shardRow(ctx, shard);
    if (!row) return null;
    const now = Date.now();
    const stale = now - row.heartbeatAt >= HEARTBEAT_STALE_MS;
    if (!row.running || stale) {
      await ctx.db.patch("executorEpoch", row._id, { watchdogScheduled: false });
      if (await hasTasks(ctx, shard)) {
        await ensureExecutor(ctx, shard, { shards: row.shards }); // re-arms the watchdog
      } else if (row.running) {
        await ctx.db.patch("executorEpoch", row._id, { running: false }); // silent, nothing to do
      }
      return null;
    }
    // Alive: look again one interval after its latest heartbeat.
    await ctx.scheduler.runAt(Math.max(now + 1_000, row.heartbeatAt + WATCHDOG_INTERVAL_MS), internal.taskQueue.watchdog, {
      shard,
    });
    return null;
  },
});

const vFence = { shard: v.number(), epoch: v.number(), instance: v.number() };
const isCurrent = (row: Doc<"executorEpoch"> | null, f: { epoch: number; instance: number }) =>
  row !== null && row.epoch === f.epoch && row.instance === f.instance;

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
  runStartedAt: number | undefined,
  attempts?: number,
): Promise<number> {
  await ctx.db.delete("taskQueue", task._id);
  let workflowBytes = 0;
  await recordStepResult(ctx, {
    stepId: task.stepId,
    generationNumber: task.generationNumber,
    result,
    runStartedAt,
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

async function heartbeatIfCurrent(ctx: MutationCtx, f: { shard: number; epoch: number; instance: number }) {
  const row = await shardRow(ctx, f.shard);
  if (isCurrent(row, f) && Date.now() - row!.heartbeatAt > 1_000) {
    await ctx.db.patch("executorEpoch", row!._id, { heartbeatAt: Date.now(), running: true });
  }
  return isCurrent(row, f);
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

/**
 * A manual nudge: if the workflow is running with nothing in flight, hand it to the
 * coordinator (returns whether it did). Scheduled, never run inline, so that a nudge from
 * inside another replay's transaction (an `onComplete`, an inline mutation step) cannot
 * journal steps under a batched replay that has already read the same workflow's journal.
 */
export const replayIfReady = mutation({
  args: { workflowId: v.id("workflows") },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    if (!(await readyWorkflow(ctx, args.workflowId))) return false;
    await scheduleReplays(ctx, [args.workflowId]);
    return true;
  },
});

/** Start one executor per shard in a new epoch; executors of older epochs stop claiming. */
export const startExecutors = mutation({
  args: { shards: v.number(), executorHandle: v.string() },
  returns: v.number(),
  handler: async (ctx, args) => {
    validateShards(args.shards);
    const rows = await ctx.db.query("executorEpoch").take(MAX_SHARDS + 1);
    const epoch = rows.reduce((max, r) => Math.max(max, r.epoch), 0) + 1;
    const now = Date.now();
    // Shards beyond the new count keep running if they still hold tasks.
    const shardsToStart = new Set<number>();
    for (let shard = 0; shard < args.shards; shard++) shardsToStart.add(shard);
    for (const row of rows) if (row.shard >= args.shards && (await hasTasks(ctx, row.shard))) shardsToStart.add(row.shard);
    for (const shard of shardsToStart) {
      const row = rows.find((r) => r.shard === shard);
      const fields = { shards: args.shards, epoch, instance: 0, executorHandle: args.executorHandle, running: true, heartbeatAt: now };
      if (row) {
        await ctx.db.patch("executorEpoch", row._id, fields);
        await launch(ctx, { ...row, ...fields });
      } else {
        const id = await ctx.db.insert("executorEpoch", { shard, ...fields });
        await launch(ctx, (await ctx.db.get("executorEpoch", id))!);
      }
    }
    const console = await getLogger(ctx);
    console.info(`Started ${shardsToStart.size} executors in epoch ${epoch}`);
    return epoch;
  },
});

/**
 * Hand the shard to a successor before this executor's time runs out. The successor starts
 * now (no gap) and leaves `taskIds` — still being finished here — alone until `until`.
 */
export const handoff = mutation({
  args: { ...vFence, taskIds: v.array(v.id("taskQueue")), until: v.number() },
  returns: v.object({ handedOff: v.boolean() }),
  handler: async (ctx, args) => {
    const row = await shardRow(ctx, args.shard);
    if (!isCurrent(row, args)) return { handedOff: false };
    const instance = row!.instance + 1;
    await ctx.db.patch("executorEpoch", row!._id, { instance, heartbeatAt: Date.now(), running: true });
    if (args.taskIds.length > 0) {
      await ctx.db.insert("executorHandoff", {
        shard: args.shard,
        fromInstance: args.instance,
        taskIds: args.taskIds,
        until: args.until,
      });
    }
    await ctx.scheduler.runAfter(0, row!.executorHandle as FunctionHandle<"action">, {
      shard: args.shard,
      epoch: row!.epoch,
      instance,
    });
    return { handedOff: true };
  },
});

/**
 * An executor asks to stop. A superseded one always may (its handoff note is removed). The
 * current one may only when its shard has no tasks, so work is never left without one.
 */
export const exitExecutor = mutation({
  args: vFence,
  returns: v.object({ exit: v.boolean() }),
  handler: async (ctx, args) => {
    for (const handoff of await ctx.db
      .query("executorHandoff")
      .withIndex("by_shard", (q) => q.eq("shard", args.shard))
      .take(16)) {
      if (handoff.fromInstance === args.instance || handoff.until < Date.now()) await ctx.db.delete("executorHandoff", handoff._id);
    }
    const row = await shardRow(ctx, args.shard);
    if (!isCurrent(row, args)) return { exit: true };
    if (await hasTasks(ctx, args.shard)) {
      await ctx.db.patch("executorEpoch", row!._id, { heartbeatAt: Date.now() });
      return { exit: false };
    }
    await ctx.db.patch("executorEpoch", row!._id, { running: false });
    return { exit: true };
  },
});

/** Liveness for an executor with nothing to record; returns whether it is still current. */
export const heartbeat = mutation({
  args: vFence,
  returns: v.boolean(),
  handler: async (ctx, args) => await heartbeatIfCurrent(ctx, args),
});

/** Tasks `diagnose` reads at most across all shards (a query may read 32,000 documents). */
const DIAGNOSE_READ_BUDGET = 8_000;
const MAX_COUNT_UP_TO = 1_000;

/**
 * The state of every shard: who runs it, when it was last heard from, how much is queued.
 * Each shard's queue is counted up to `countUpTo` (default and most 1000), and lower with
 * many shards, so that the whole query reads at most DIAGNOSE_READ_BUDGET tasks. Tasks carry
 * their step's arguments, so the count also stops at a byte budget (MAX_DIAGNOSE_READ_BYTES
 * for the whole query, shared evenly by the shards); `queuedIsLowerBound` then says so.
 */
export const diagnose = query({
  args: { countUpTo: v.optional(v.number()) },
  returns: v.array(
    v.object({
      shard: v.number(),
      shards: v.number(),
      epoch: v.number(),
      instance: v.number(),
      running: v.boolean(),
      heartbeatAgeMs: v.number(),
      queued: v.number(),
      /**
       * `queued` is a lower bound: the count stopped at `countUpTo` (or its share of the
       * document budget), or at the shard's share of the byte budget, with more perhaps queued.
       */
      queuedIsLowerBound: v.boolean(),
      oldestReadyAt: v.union(v.number(), v.null()),
    }),
  ),
  handler: async (ctx, args) => {
    const countUpTo = args.countUpTo ?? MAX_COUNT_UP_TO;
    if (!Number.isInteger(countUpTo) || countUpTo < 1 || countUpTo > MAX_COUNT_UP_TO) {
      throw new Error(`diagnose: countUpTo must be a whole number from 1 to ${MAX_COUNT_UP_TO}, got ${countUpTo}`);
    }
    const rows = await ctx.db.query("executorEpoch").take(MAX_SHARDS);
    const limit = Math.max(1, Math.min(countUpTo, Math.floor(DIAGNOSE_READ_BUDGET / Math.max(1, rows.length)) - 1));
    const now = Date.now();
    const out = [];
    const shardBytes = MAX_DIAGNOSE_READ_BYTES / Math.max(1, rows.length);
    let totalBytes = 0;
    for (const row of rows.sort((a, b) => a.shard - b.shard)) {
      let queued = 0;
      let lowerBound = false;
      let oldestReadyAt: number | null = null;
      let bytes = 0;
      if (totalBytes >= MAX_DIAGNOSE_READ_BYTES) {
        lowerBound = true;
      } else {
        for await (const task of ctx.db.query("taskQueue").withIndex("by_shard", (q) => q.eq("shard", row.shard))) {
          const size = getConvexSize(task);
          bytes += size;
          totalBytes += size;
          if (queued === limit) {
            lowerBound = true; // the one past the limit: there is more
            break;
          }
          queued++;
          oldestReadyAt ??= task.readyAt;
          if (bytes >= shardBytes || totalBytes >= MAX_DIAGNOSE_READ_BYTES) {
            lowerBound = true; // out of bytes: perhaps more
            break;
          }
        }
      }
      out.push({
        shard: row.shard,
        shards: row.shards,
        epoch: row.epoch,
        instance: row.instance,
        running: row.running,
        heartbeatAgeMs: now - row.heartbeatAt,
        queued,
        queuedIsLowerBound: lowerBound,
        oldestReadyAt,
      });
    }
    return out;
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
