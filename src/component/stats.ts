// Counts of workflows by name and status. Reading them costs a bounded number of documents
// however many workflows, and however many names, there are.
//
// Counters: `started` (every workflow that exists) and one per way of finishing (`success`,
// `failed`, `canceled`), `queued` (flow control: waiting to begin now) and `paused`; running =
// started − finished − queued − paused. So a start, a finish and a restart each change one
// counter (a queued or paused workflow's begin or end changes `queued` or `paused` too), and a
// cleanup changes two. A transaction records its changes as an inserted row and the folder adds
// them to the stored counters (countFolding.ts), so concurrent transitions never write the same
// document.
import { getConvexSize, v } from "convex/values";
import { MAX_COUNT_NAMES_PER_PAGE, MAX_PAGE_READ_BYTES } from "../shared/limits.js";
import type { Doc } from "./_generated/dataModel.js";
import { type MutationCtx, query } from "./_generated/server.js";
import { type Counter, type CountChanges, insertCountChanges, unfoldedChanges } from "./countFolding.js";
import { vCountStatus } from "./schema.js";

export type { Counter } from "./countFolding.js";
/**
 * Stored counter rows per (name, counter), and per counter total, that `counts` sums. The
 * folder writes one (slot 0); earlier versions spread each counter over this many slots.
 */
export const COUNT_SLOTS = 16;
export const TOTAL_SLOTS = 64;
/** A workflow's status: running, or how it finished. */
export type CountStatus = "running" | Exclude<Counter, "started">;
/** Every counted status: reading `STATUS_COUNT * slots` rows covers them all. */
const STATUS_COUNT = vCountStatus.members.length;

export function statusOf(workflow: Pick<Doc<"workflows">, "runResult" | "queued" | "paused">): CountStatus {
  if (workflow.runResult) return workflow.runResult.kind;
  // Flow control: a workflow waiting to begin is counted `queued`. A pause made before the
  // `paused` counter existed is not in it (`counted` absent): that workflow counts as running.
  return workflow.queued ? "queued" : workflow.paused?.counted ? "paused" : "running";
}

/** Per transaction (its `ctx.db`): counter changes `withBatchedCounts` holds back, by name. */
const pendingCounts = new WeakMap<object, Map<string, CountChanges>>();

/**
 * Run `fn`, adding up the counter changes it makes and recording them at its end as one row
 * per workflow name. startMany and the coordinator's replay groups count tens to a thousand
 * transitions per transaction: one insert instead of one per transition.
 */
export async function withBatchedCounts<T>(ctx: MutationCtx, fn: () => Promise<T>): Promise<T> {
  if (pendingCounts.has(ctx.db)) return await fn();
  const pending = new Map<string, CountChanges>();
  pendingCounts.set(ctx.db, pending);
  let result: T;
  try {
    result = await fn();
  } finally {
    pendingCounts.delete(ctx.db);
  }
  for (const [name, changes] of pending) await insertCountChanges(ctx, name, changes);
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
  const changes: CountChanges = new Map();
  const add = (counter: Counter, delta: number) => changes.set(counter, (changes.get(counter) ?? 0) + delta);
  if (from === null) add("started", 1);
  if (to === null) add("started", -1);
  if (from !== null && from !== "running") add(from, -1);
  if (to !== null && to !== "running") add(to, 1);
  const name = workflow.name ?? "";
  const pending = pendingCounts.get(ctx.db);
  if (!pending) return await insertCountChanges(ctx, name, changes);
  // Inside `withBatchedCounts`: add up now, record at its end.
  const forName = pending.get(name) ?? new Map<Counter, number>();
  pending.set(name, forName);
  for (const [counter, delta] of changes) forName.set(counter, (forName.get(counter) ?? 0) + delta);
}

const vCounts = v.object({
  running: v.number(),
  success: v.number(),
  failed: v.number(),
  canceled: v.number(),
  /** Flow control: waiting to begin (docs/flow-control.md). */
  queued: v.number(),
  /** Paused (docs/managing-workflows.md): steps in flight finish, nothing new starts. */
  paused: v.number(),
});
type Counts = typeof vCounts.type;
/**
 * Strings in the order of a Convex index (UTF-8 bytes, i.e. code points), which is not
 * JavaScript's `<` (UTF-16 code units) for names mixing characters above U+FFFF with ones
 * from U+E000 to U+FFFF.
 */
export function indexOrder(a: string, b: string): number {
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Add a row of changes not yet folded (countFolding.ts) to `counters`. */
function addChanges(counters: Record<Counter, number>, row: Doc<"countChanges">) {
  for (const { counter, delta } of row.changes) counters[counter] += delta;
}
const noCounters = (): Record<Counter, number> => ({
  started: 0,
  success: 0,
  failed: 0,
  canceled: 0,
  queued: 0,
  paused: 0,
});
/** The statuses from the counters: running = started − finished − queued − paused. */
const countsOf = ({ started, success, failed, canceled, queued, paused }: Record<Counter, number>): Counts => ({
  running: started - success - failed - canceled - queued - paused,
  success,
  failed,
  canceled,
  queued,
  paused,
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
      const unfolded = await unfoldedChanges(ctx, args.name);
      for (const row of unfolded) addChanges(counters, row);
      const counts = countsOf(counters);
      const byName = rows.length + unfolded.length > 0 ? [{ name: args.name, counts }] : [];
      return { total: counts, byName, continueCursor: "", isDone: true };
    }
    const unfolded = await unfoldedChanges(ctx);
    const totals = noCounters();
    for (const row of await ctx.db.query("workflowTotals").take(STATUS_COUNT * TOTAL_SLOTS))
      totals[row.status] += row.count;
    for (const row of unfolded) addChanges(totals, row);
    const total = countsOf(totals);
    // A page of names: whole names only (a name has at most STATUS_COUNT × COUNT_SLOTS rows), ending
    // before the name after `numNames`, or once the rows read reach the byte budget.
    const after = args.cursor ?? null;
    const rows = ctx.db
      .query("workflowCounts")
      .withIndex("by_name_status_slot", (q) => (after === null ? q : q.gt("name", after)));
    const counted = new Map<string, Record<Counter, number>>();
    let last: Record<Counter, number> | undefined;
    let bytes = 0;
    let isDone = true;
    for await (const row of rows) {
      if (!counted.has(row.name)) {
        if (counted.size === numNames || bytes >= MAX_PAGE_READ_BYTES) {
          isDone = false;
          break;
        }
        counted.set(row.name, (last = noCounters()));
      }
      last![row.status] += row.count;
      bytes += getConvexSize(row);
    }
    // Changes not folded yet: to the names on this page, and names no stored row has yet that
    // fall within the page's range; then the first `numNames` names are the page.
    const pageEnd = isDone ? null : [...counted.keys()].at(-1)!;
    for (const row of unfolded) {
      if (
        (after !== null && indexOrder(row.name, after) <= 0) ||
        (pageEnd !== null && indexOrder(row.name, pageEnd) > 0)
      )
        continue;
      let counters = counted.get(row.name);
      if (!counters) counted.set(row.name, (counters = noCounters()));
      addChanges(counters, row);
    }
    let names = [...counted.keys()].sort(indexOrder);
    if (names.length > numNames) {
      names = names.slice(0, numNames);
      isDone = false;
    }
    const continueCursor = names.length > 0 ? names[names.length - 1] : (after ?? "");
    return {
      total,
      byName: names.map((name) => ({ name, counts: countsOf(counted.get(name)!) })),
      continueCursor,
      isDone,
    };
  },
});
