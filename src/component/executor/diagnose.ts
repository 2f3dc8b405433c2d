// Executor mode at a glance: per shard, who serves it, when it was last heard from and how
// much work is queued. Bounded in documents and bytes however deep the queues are.
import { getConvexSize, v } from "convex/values";
import { MAX_DIAGNOSE_READ_BYTES } from "../../shared/limits.js";
import { query } from "../_generated/server.js";
import { MAX_SHARDS } from "./shards.js";

/** Tasks (journal entries with a `task`) `diagnose` reads at most across all shards (a query may read 32,000 documents). */
const DIAGNOSE_READ_BUDGET = 8_000;
const MAX_COUNT_UP_TO = 1_000;

/**
 * The state of every shard: who runs it, when it was last heard from, how much is queued.
 * Each shard's queue is counted up to `countUpTo` (default and most 1000), and lower with
 * many shards, so that the whole query reads at most DIAGNOSE_READ_BUDGET tasks. A task is its
 * journal entry, with the step's arguments, so the count also stops at a byte budget (MAX_DIAGNOSE_READ_BYTES
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
        for await (const entry of ctx.db.query("steps").withIndex("task", (q) => q.eq("task.shard", row.shard))) {
          const size = getConvexSize(entry);
          bytes += size;
          totalBytes += size;
          if (queued === limit) {
            lowerBound = true; // the one past the limit: there is more
            break;
          }
          queued++;
          oldestReadyAt ??= entry.task?.readyAt ?? null;
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
