// Counts of workflows by name and status, kept as sharded counters so that reading them costs
// a bounded number of documents however many workflows, and however many names, there are.
//
// Counters: `started` (every workflow that exists) and one per way of finishing (`success`,
// `failed`, `canceled`), and `queued` (flow control: waiting to begin now); running = started −
// finished − queued. So a start, a finish and a restart each change one counter (a queued
// workflow's begin or end changes `queued` too), and a cleanup changes two. Each counter is written twice: the
// (name, counter) row in `workflowCounts` and the (counter) row in `workflowTotals`. Each is
// split over slots chosen by the workflow's id, so that concurrent transitions rarely write the
// same document. The totals are shared by every workflow of every name, so they get more slots.
import { stringHash31 } from "../shared/hash.js";
import { getConvexSize, v } from "convex/values";
import { MAX_COUNT_NAMES_PER_PAGE, MAX_PAGE_READ_BYTES } from "../shared/limits.js";
import type { Doc } from "./_generated/dataModel.js";
import { type MutationCtx, query } from "./_generated/server.js";
import { vCountStatus } from "./schema.js";

/** Slots per (name, status) counter. */
export const COUNT_SLOTS = 16;
/** Slots per status in the totals over all names. */
export const TOTAL_SLOTS = 64;
/** A counter: `started`, or a way of finishing. */
export type Counter = Doc<"workflowCounts">["status"];
/** A workflow's status: running, or how it finished. */
export type CountStatus = "running" | Exclude<Counter, "started">;
/** Every counted status: reading `STATUS_COUNT * slots` rows covers them all. */
const STATUS_COUNT = vCountStatus.members.length;

export function statusOf(workflow: Pick<Doc<"workflows">, "runResult" | "queued">): CountStatus {
  // Flow control: a workflow waiting to begin is counted `queued` (running = started − finished − queued).
  return workflow.runResult?.kind ?? (workflow.queued ? "queued" : "running");
}

/** Add `delta` to the (name, counter) count, and to the counter's total. */
async function adjustCount(
  ctx: MutationCtx,
  workflow: Pick<Doc<"workflows">, "_id" | "name">,
  status: Counter,
  delta: number,
): Promise<void> {
  const name = workflow.name ?? "";
  const hash = stringHash31(workflow._id);
  const slot = hash % COUNT_SLOTS;
  const totalSlot = hash % TOTAL_SLOTS;
  const pending = pendingCounts.get(ctx.db);
  if (pending) {
    // Inside `withBatchedCounts`: add up now, write at its end.
    const byName = JSON.stringify([name, status]);
    pending.seed ||= workflow._id;
    pending.byName.set(byName, (pending.byName.get(byName) ?? 0) + delta);
    pending.totals.set(status, (pending.totals.get(status) ?? 0) + delta);
    return;
  }
  await writeNameCount(ctx, name, status, slot, delta);
  await writeTotal(ctx, status, totalSlot, delta);
}

async function writeNameCount(ctx: MutationCtx, name: string, status: Counter, slot: number, delta: number) {
  const row = await ctx.db
    .query("workflowCounts")
    .withIndex("by_name_status_slot", (q) => q.eq("name", name).eq("status", status).eq("slot", slot))
    .unique();
  if (row) await ctx.db.patch("workflowCounts", row._id, { count: row.count + delta });
  else await ctx.db.insert("workflowCounts", { name, status, slot, count: delta });
}

async function writeTotal(ctx: MutationCtx, status: Counter, totalSlot: number, delta: number) {
  const total = await ctx.db
    .query("workflowTotals")
    .withIndex("by_status_slot", (q) => q.eq("status", status).eq("slot", totalSlot))
    .unique();
  if (total) await ctx.db.patch("workflowTotals", total._id, { count: total.count + delta });
  else await ctx.db.insert("workflowTotals", { status, slot: totalSlot, count: delta });
}

/** Per transaction (its `ctx.db`): counter deltas `withBatchedCounts` holds back. */
const pendingCounts = new WeakMap<object, { byName: Map<string, number>; totals: Map<string, number>; seed: string }>();

/**
 * Run `fn`, adding up the counter changes it makes and writing them at the end, each counter
 * into ONE slot chosen by the first workflow it counted (sums over slots are what `counts`
 * reads, so any slot is right). startMany and the coordinator's replay groups count tens to a
 * thousand transitions per transaction: one row per (name, counter) and one per counter total,
 * instead of two reads and two writes per workflow; and two such transactions running at once
 * write the same row only when they pick the same slot (1 in 16, 1 in 64 for totals), where
 * spreading each workflow over its own slot had every one of them write nearly every slot.
 */
export async function withBatchedCounts<T>(ctx: MutationCtx, fn: () => Promise<T>): Promise<T> {
  if (pendingCounts.has(ctx.db)) return await fn();
  const pending = { byName: new Map<string, number>(), totals: new Map<string, number>(), seed: "" };
  pendingCounts.set(ctx.db, pending);
  let result: T;
  try {
    result = await fn();
  } finally {
    pendingCounts.delete(ctx.db);
  }
  const hash = stringHash31(pending.seed);
  for (const [key, delta] of pending.byName) {
    const [name, status] = JSON.parse(key) as [string, Counter];
    if (delta !== 0) await writeNameCount(ctx, name, status, hash % COUNT_SLOTS, delta);
  }
  for (const [status, delta] of pending.totals) {
    if (delta !== 0) await writeTotal(ctx, status as Counter, hash % TOTAL_SLOTS, delta);
  }
  return result;
}

/** A workflow moved from one status to another (or appeared: from null; vanished: to null). */
export async function recordTransition(
  ctx: MutationCtx,
  workflow: Pick<Doc<"workflows">, "_id" | "name">,
  from: CountStatus | null,
  to: CountStatus | null,
): Promise<void> {
  if (from === to) return;
  if (from === null) await adjustCount(ctx, workflow, "started", 1);
  if (to === null) await adjustCount(ctx, workflow, "started", -1);
  if (from !== null && from !== "running") await adjustCount(ctx, workflow, from, -1);
  if (to !== null && to !== "running") await adjustCount(ctx, workflow, to, 1);
}

const vCounts = v.object({
  running: v.number(),
  success: v.number(),
  failed: v.number(),
  canceled: v.number(),
  /** Flow control: waiting to begin (docs/flow-control.md). */
  queued: v.number(),
});
type Counts = typeof vCounts.type;
const noCounters = (): Record<Counter, number> => ({ started: 0, success: 0, failed: 0, canceled: 0, queued: 0 });
/** The statuses from the counters: running = started − finished − queued. */
const countsOf = ({ started, success, failed, canceled, queued }: Record<Counter, number>): Counts => ({
  running: started - success - failed - canceled - queued,
  success,
  failed,
  canceled,
  queued,
});

/**
 * How many workflows there are, per status: `total` over all names, and `byName` a page of
 * names in name order (at most `numNames`, default and maximum MAX_COUNT_NAMES_PER_PAGE).
 * Pass `continueCursor` as `cursor` for the next page of names until `isDone`; `total` is
 * the same on every page. With `name`, only that name: `total` is its counts.
 */
export const counts = query({
  args: {
    name: v.optional(v.string()),
    cursor: v.optional(v.union(v.string(), v.null())),
    numNames: v.optional(v.number()),
  },
  returns: v.object({
    total: vCounts,
    byName: v.array(v.object({ name: v.string(), counts: vCounts })),
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, args) => {
    const numNames = args.numNames ?? MAX_COUNT_NAMES_PER_PAGE;
    if (!Number.isInteger(numNames) || numNames < 1 || numNames > MAX_COUNT_NAMES_PER_PAGE) {
      throw new Error(`numNames must be a whole number from 1 to ${MAX_COUNT_NAMES_PER_PAGE}; got ${numNames}.`);
    }
    if (args.name !== undefined) {
      const counters = noCounters();
      const rows = await ctx.db
        .query("workflowCounts")
        .withIndex("by_name_status_slot", (q) => q.eq("name", args.name!))
        .take(STATUS_COUNT * COUNT_SLOTS);
      for (const row of rows) counters[row.status] += row.count;
      const counts = countsOf(counters);
      const byName = rows.length > 0 ? [{ name: args.name, counts }] : [];
      return { total: counts, byName, continueCursor: "", isDone: true };
    }
    const totals = noCounters();
    for (const row of await ctx.db.query("workflowTotals").take(STATUS_COUNT * TOTAL_SLOTS))
      totals[row.status] += row.count;
    const total = countsOf(totals);
    // A page of names: whole names only (a name has at most STATUS_COUNT × COUNT_SLOTS rows), ending
    // before the name after `numNames`, or once the rows read reach the byte budget.
    const after = args.cursor ?? null;
    const rows = ctx.db
      .query("workflowCounts")
      .withIndex("by_name_status_slot", (q) => (after === null ? q : q.gt("name", after)));
    const byName: { name: string; counters: Record<Counter, number> }[] = [];
    let bytes = 0;
    let isDone = true;
    for await (const row of rows) {
      const last = byName[byName.length - 1];
      if (last?.name !== row.name) {
        if (byName.length === numNames || bytes >= MAX_PAGE_READ_BYTES) {
          isDone = false;
          break;
        }
        byName.push({ name: row.name, counters: noCounters() });
      }
      byName[byName.length - 1].counters[row.status] += row.count;
      bytes += getConvexSize(row);
    }
    const continueCursor = byName.length > 0 ? byName[byName.length - 1].name : (after ?? "");
    return {
      total,
      byName: byName.map(({ name, counters }) => ({ name, counts: countsOf(counters) })),
      continueCursor,
      isDone,
    };
  },
});
