// Executor mode's shards and the executors serving them. Tasks are split over shards by
// hash(workflowId) % shards; one long-running executor action serves each shard (a row in
// `executorEpoch`).
//
// Fencing: each shard row has an epoch (bumped by startExecutors) and an instance (bumped
// by each handoff or restart). Only the current (epoch, instance) may claim.
import type { FunctionHandle } from "convex/server";
import { v } from "convex/values";
import { MAX_EXECUTOR_SHARDS } from "../../shared/limits.js";
import { fnv1a } from "../../shared/hash.js";
import { vFence } from "../../shared/protocol.js";
import { checkExecutorShards } from "../../shared/validateOptions.js";
import { internal } from "../_generated/api.js";
import type { Doc } from "../_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx, type QueryCtx } from "../_generated/server.js";
import { getLogger } from "../config.js";

/** An executor that has not been heard from for this long is presumed dead. */
export const HEARTBEAT_STALE_MS = 60_000;
/**
 * A shard's watchdog looks again this long after the executor was last heard from (so a
 * live executor costs one watchdog run per interval, and a dead one is replaced within it).
 */
export const WATCHDOG_INTERVAL_MS = 90_000;
export const MAX_SHARDS = MAX_EXECUTOR_SHARDS;

/** The shard of a workflow's tasks: FNV-1a of its id, modulo the shard count. */
export function shardOf(workflowId: string, shards: number): number {
  return fnv1a(workflowId) % shards;
}

export function validateShards(shards: number): void {
  checkExecutorShards(shards);
}

export async function shardRow(ctx: QueryCtx, shard: number): Promise<Doc<"executorEpoch"> | null> {
  return await ctx.db
    .query("executorEpoch")
    .withIndex("by_shard", (q) => q.eq("shard", shard))
    .unique();
}

/**
 * Shards this transaction already made sure have a live executor: a batch of steps on one
 * shard costs one check, not one per step. Keyed by the transaction's `ctx.db`, so it lives
 * and dies with the writes that made it true.
 */
const liveShardsOfTransaction = new WeakMap<object, Set<number>>();

/** Start (or restart) the shard's executor unless a live one is running. */
export async function ensureExecutor(
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
  if (row.running)
    console.warn(`Executor for shard ${shard} silent for ${now - row.heartbeatAt} ms; starting another.`);
  await ctx.db.patch("executorEpoch", row._id, {
    instance: row.instance + 1,
    running: true,
    heartbeatAt: now,
    executorHandle,
  });
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
    await ctx.scheduler.runAfter(WATCHDOG_INTERVAL_MS, internal.executor.shards.watchdog, { shard: row.shard });
  }
}

/** Whether the shard has tasks (journal entries with a `task` on it): one index read, at most one document. */
export async function hasTasks(ctx: QueryCtx, shard: number): Promise<boolean> {
  return (
    (await ctx.db
      .query("steps")
      .withIndex("task", (q) => q.eq("task.shard", shard))
      .first()) !== null
  );
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
    await ctx.scheduler.runAt(
      Math.max(now + 1_000, row.heartbeatAt + WATCHDOG_INTERVAL_MS),
      internal.executor.shards.watchdog,
      {
        shard,
      },
    );
    return null;
  },
});

export const isCurrent = (row: Doc<"executorEpoch"> | null, f: { epoch: number; instance: number }) =>
  row !== null && row.epoch === f.epoch && row.instance === f.instance;

export async function heartbeatIfCurrent(ctx: MutationCtx, f: { shard: number; epoch: number; instance: number }) {
  const row = await shardRow(ctx, f.shard);
  if (isCurrent(row, f) && Date.now() - row!.heartbeatAt > 1_000) {
    await ctx.db.patch("executorEpoch", row!._id, { heartbeatAt: Date.now(), running: true });
  }
  return isCurrent(row, f);
}

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
    for (const row of rows)
      if (row.shard >= args.shards && (await hasTasks(ctx, row.shard))) shardsToStart.add(row.shard);
    for (const shard of shardsToStart) {
      const row = rows.find((r) => r.shard === shard);
      const fields = {
        shards: args.shards,
        epoch,
        instance: 0,
        executorHandle: args.executorHandle,
        running: true,
        heartbeatAt: now,
      };
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
 * now (no gap) and leaves the tasks of `stepIds` — still being finished here — alone until `until`.
 */
export const handoff = mutation({
  args: { ...vFence, stepIds: v.array(v.id("steps")), until: v.number() },
  returns: v.object({ handedOff: v.boolean() }),
  handler: async (ctx, args) => {
    const row = await shardRow(ctx, args.shard);
    if (!isCurrent(row, args)) return { handedOff: false };
    const instance = row!.instance + 1;
    await ctx.db.patch("executorEpoch", row!._id, { instance, heartbeatAt: Date.now(), running: true });
    if (args.stepIds.length > 0) {
      await ctx.db.insert("executorHandoff", {
        shard: args.shard,
        fromInstance: args.instance,
        stepIds: args.stepIds,
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
      if (handoff.fromInstance === args.instance || handoff.until < Date.now())
        await ctx.db.delete("executorHandoff", handoff._id);
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
