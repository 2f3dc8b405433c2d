// Count changes, folded. Every transition of a workflow changes a counter (stats.ts); writing
// it straight into a shared counter row would have every concurrently running transaction of
// an app write the same few documents (optimistic-concurrency conflicts on a busy deployment).
// So a transaction only INSERTS its changes as one row of `countChanges` per workflow name
// (inserts never conflict), and one scheduled function, the folder, adds them into the stored
// counters (`workflowCounts` per name, `workflowTotals` over all names) and deletes them. The
// folder is the counters' only writer. `counts` reads the stored counters plus the changes
// not yet folded, so it is exact while fewer than COUNT_CHANGES_READ are waiting.
//
// At most one folder is scheduled: the singleton `countFolding` row says so. A transaction
// that inserts changes reads it (a read, not a write: no conflict with the others) and
// schedules the folder only when none is (or when the folder has not been seen alive for
// COUNT_FOLDER_STALE_MS: it failed). The folder runs every COUNT_FOLD_INTERVAL_MS while
// changes keep coming (every COUNT_FOLD_CATCH_UP_MS while it is behind by more than a
// batch) and marks itself unscheduled when it finds none left.
import { getConvexSize, v } from "convex/values";
import {
  COUNT_CHANGES_READ,
  COUNT_CHANGES_READ_BYTES,
  COUNT_FOLD_BATCH,
  COUNT_FOLD_CATCH_UP_MS,
  COUNT_FOLD_INTERVAL_MS,
  COUNT_FOLDER_ALIVE_MS,
  COUNT_FOLDER_STALE_MS,
} from "../shared/limits.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx, type QueryCtx } from "./_generated/server.js";

/** A counter: `started`, a way of finishing, or a way of waiting (`queued`, `paused`). */
export type Counter = Doc<"workflowCounts">["status"];
export type CountChanges = Map<Counter, number>;

/** Per transaction (its `ctx.db`): the folder is known to be scheduled. */
const folderChecked = new WeakSet<object>();

/** Record `changes` to the counters of workflow `name` (zero changes are dropped). */
export async function insertCountChanges(ctx: MutationCtx, name: string, changes: CountChanges): Promise<void> {
  const list = [...changes].filter(([, delta]) => delta !== 0).map(([counter, delta]) => ({ counter, delta }));
  if (list.length === 0) return;
  await ctx.db.insert("countChanges", { name, changes: list });
  if (folderChecked.has(ctx.db)) return;
  folderChecked.add(ctx.db);
  const folding = await ctx.db.query("countFolding").first();
  const now = Date.now();
  // A folder that has not been seen alive for COUNT_FOLDER_STALE_MS failed (or was canceled):
  // start another rather than let the changes pile up.
  if (folding?.scheduled && now - (folding.aliveAt ?? now) < COUNT_FOLDER_STALE_MS) return;
  await ctx.scheduler.runAfter(COUNT_FOLD_INTERVAL_MS, internal.countFolding.fold, {});
  if (folding) await ctx.db.patch("countFolding", folding._id, { scheduled: true, aliveAt: now });
  else await ctx.db.insert("countFolding", { scheduled: true, aliveAt: now });
}

/**
 * The folder: add up to COUNT_FOLD_BATCH of the oldest changes into the stored counters, one
 * row per (name, counter) and per counter total, and delete them. It reads only changes older
 * than half an interval, so the changes that running transactions insert meanwhile are outside
 * what it read (no conflict with them) and wait for the next run.
 */
export const fold = internalMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    const now = Date.now();
    const settled = now - COUNT_FOLD_INTERVAL_MS / 2;
    // Each new name costs its counter rows too (up to 5 read and written, and a total each).
    const names = new Set<string>();
    const counterRowsCost = (row: Doc<"countChanges">) => {
      if (names.has(row.name)) return 0;
      names.add(row.name);
      return 10 * getConvexSize(row.name);
    };
    const rows = await readBounded(
      ctx.db.query("countChanges").withIndex("by_creation_time", (q) => q.lt("_creationTime", settled)),
      COUNT_FOLD_BATCH,
      counterRowsCost,
    );
    const byName = new Map<string, CountChanges>();
    const totals: CountChanges = new Map();
    for (const row of rows.rows) {
      let forName = byName.get(row.name);
      if (!forName) byName.set(row.name, (forName = new Map()));
      for (const { counter, delta } of row.changes) {
        forName.set(counter, (forName.get(counter) ?? 0) + delta);
        totals.set(counter, (totals.get(counter) ?? 0) + delta);
      }
      await ctx.db.delete("countChanges", row._id);
    }
    for (const [name, changes] of byName) {
      for (const [status, delta] of changes) if (delta !== 0) await addToNameCount(ctx, name, status, delta);
    }
    for (const [status, delta] of totals) if (delta !== 0) await addToTotal(ctx, status, delta);
    const folding = await ctx.db.query("countFolding").first();
    if (!rows.full && !(await ctx.db.query("countChanges").first())) {
      // None left. This read of the whole (empty) range conflicts with any insert committing
      // meanwhile, so either that transaction sees the folder unscheduled and schedules one, or
      // this one reruns and sees its change.
      if (folding) await ctx.db.patch("countFolding", folding._id, { scheduled: false });
      return null;
    }
    // Still running: say so now and then (COUNT_FOLDER_ALIVE_MS).
    if (folding && now - (folding.aliveAt ?? 0) >= COUNT_FOLDER_ALIVE_MS) {
      await ctx.db.patch("countFolding", folding._id, { aliveAt: now });
    }
    // A full batch: more are waiting, fold them soon. Else recent changes (or ones inserted
    // since): the next run folds them.
    await ctx.scheduler.runAfter(
      rows.full ? COUNT_FOLD_CATCH_UP_MS : COUNT_FOLD_INTERVAL_MS,
      internal.countFolding.fold,
      {},
    );
    return null;
  },
});

/** Stored counters are written in slot 0; earlier versions spread them over slots (all summed). */
const FOLD_SLOT = 0;

async function addToNameCount(ctx: MutationCtx, name: string, status: Counter, delta: number) {
  const row = await ctx.db
    .query("workflowCounts")
    .withIndex("by_name_status_slot", (q) => q.eq("name", name).eq("status", status).eq("slot", FOLD_SLOT))
    .unique();
  if (row) await ctx.db.patch("workflowCounts", row._id, { count: row.count + delta });
  else await ctx.db.insert("workflowCounts", { name, status, slot: FOLD_SLOT, count: delta });
}

async function addToTotal(ctx: MutationCtx, status: Counter, delta: number) {
  const row = await ctx.db
    .query("workflowTotals")
    .withIndex("by_status_slot", (q) => q.eq("status", status).eq("slot", FOLD_SLOT))
    .unique();
  if (row) await ctx.db.patch("workflowTotals", row._id, { count: row.count + delta });
  else await ctx.db.insert("workflowTotals", { status, slot: FOLD_SLOT, count: delta });
}

/**
 * The changes not yet folded (at most COUNT_CHANGES_READ rows and about COUNT_CHANGES_READ_BYTES,
 * oldest first): of workflow `name`, or of every name.
 */
export async function unfoldedChanges(ctx: QueryCtx, name?: string): Promise<Doc<"countChanges">[]> {
  const query =
    name === undefined
      ? ctx.db.query("countChanges")
      : ctx.db.query("countChanges").withIndex("by_name", (q) => q.eq("name", name));
  return (await readBounded(query, COUNT_CHANGES_READ)).rows;
}

/**
 * Up to `limit` rows and about COUNT_CHANGES_READ_BYTES (each row's size plus `extraCost`);
 * `full` when either stopped it.
 */
async function readBounded(
  query: AsyncIterable<Doc<"countChanges">>,
  limit: number,
  extraCost: (row: Doc<"countChanges">) => number = () => 0,
) {
  const rows: Doc<"countChanges">[] = [];
  let bytes = 0;
  for await (const row of query) {
    rows.push(row);
    bytes += getConvexSize(row) + extraCost(row);
    if (rows.length === limit || bytes >= COUNT_CHANGES_READ_BYTES) return { rows, full: true };
  }
  return { rows, full: false };
}
