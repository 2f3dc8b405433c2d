/// <reference types="vite/client" />
// Counts through the folder (countFolding.ts): transitions only insert change rows; `counts`
// is exact before and after they are folded; the folder folds in batches, stops when none are
// left and is scheduled again by the next change; names only the changes know are paged too.
import { convexTest } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  COUNT_CHANGES_READ_BYTES,
  COUNT_FOLD_BATCH,
  COUNT_FOLD_INTERVAL_MS,
  COUNT_FOLDER_STALE_MS,
} from "../shared/limits.js";
import { api } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import schema from "./schema.js";
import { type CountStatus, indexOrder, recordTransition, withBatchedCounts } from "./stats.js";

const modules = import.meta.glob(["./**/*.ts", "!./**/*.test.ts"]);
type T = ReturnType<typeof convexTest>;

/** `n` transitions of workflows named `name`, each in its own transaction (as a finish is). */
async function transitions(t: T, name: string, n: number, from: CountStatus | null, to: CountStatus | null) {
  for (let i = 0; i < n; i++) {
    await t.run(async (ctx) => {
      const _id = `${name}-${i}` as unknown as Id<"workflows">;
      await recordTransition(ctx, { _id, name }, from, to);
    });
  }
}
const stored = (t: T) =>
  t.run(async (ctx) => ({
    changes: (await ctx.db.query("countChanges").collect()).length,
    counters: (await ctx.db.query("workflowCounts").collect()).map(({ name, status, slot, count }) => ({
      name,
      status,
      slot,
      count,
    })),
    totals: (await ctx.db.query("workflowTotals").collect()).map(({ status, count }) => ({ status, count })),
    scheduled: (await ctx.db.query("countFolding").first())?.scheduled,
  }));
const fold = (t: T) => t.finishAllScheduledFunctions(vi.runAllTimers, 1000);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("counts folded from inserted changes", () => {
  test("exact before and after the fold; the folder stops when none are left and restarts on the next change", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    await transitions(t, "a", 5, null, "running");
    await transitions(t, "a", 2, "running", "success");
    const expected = { running: 3, success: 2, failed: 0, canceled: 0, queued: 0, paused: 0 };
    // Nothing folded yet: every transition is one row of changes; one folder is scheduled.
    expect(await stored(t)).toMatchObject({ changes: 7, counters: [], totals: [], scheduled: true });
    expect((await t.query(api.stats.counts, {})).total).toEqual(expected);
    expect((await t.query(api.stats.counts, { name: "a" })).byName).toEqual([{ name: "a", counts: expected }]);

    await fold(t);
    const after = await stored(t);
    expect(after).toMatchObject({ changes: 0, scheduled: false });
    expect(after.counters).toEqual([
      { name: "a", status: "started", slot: 0, count: 5 },
      { name: "a", status: "success", slot: 0, count: 2 },
    ]);
    expect((await t.query(api.stats.counts, {})).total).toEqual(expected);
    expect((await t.query(api.stats.counts, { name: "a" })).total).toEqual(expected);

    // The next change schedules the folder again; a cleanup (to null) takes the workflow out.
    await transitions(t, "a", 1, "success", null);
    expect(await stored(t)).toMatchObject({ changes: 1, scheduled: true });
    const lessOne = { ...expected, success: 1 };
    expect((await t.query(api.stats.counts, { name: "a" })).total).toEqual(lessOne);
    await fold(t);
    expect(await stored(t)).toMatchObject({ changes: 0, scheduled: false });
    expect((await t.query(api.stats.counts, {})).total).toEqual(lessOne);
  });

  test("a batched transaction records one row per name; more changes than a batch fold in several runs", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    // One transaction, 2 × (COUNT_FOLD_BATCH + 10) transitions of two names: two rows.
    const n = COUNT_FOLD_BATCH + 10;
    await t.run(async (ctx) => {
      await withBatchedCounts(ctx, async () => {
        for (let i = 0; i < n; i++) {
          for (const name of ["x", "y"]) {
            await recordTransition(ctx, { _id: `${name}${i}` as unknown as Id<"workflows">, name }, null, "running");
          }
        }
      });
    });
    expect(await stored(t)).toMatchObject({ changes: 2 });
    // Many single transitions: more rows than one fold takes.
    await t.run(async (ctx) => {
      for (let i = 0; i < n; i++) {
        await recordTransition(ctx, { _id: `x${i}` as unknown as Id<"workflows">, name: "x" }, "running", "failed");
      }
    });
    expect(await stored(t)).toMatchObject({ changes: n + 2 });
    const all = await t.query(api.stats.counts, {});
    expect(all.total).toEqual({ running: n, success: 0, failed: n, canceled: 0, queued: 0, paused: 0 });
    // The first run folds a full batch and schedules the next soon.
    vi.advanceTimersByTime(COUNT_FOLD_INTERVAL_MS);
    await t.finishInProgressScheduledFunctions();
    expect(await stored(t)).toMatchObject({ changes: n + 2 - COUNT_FOLD_BATCH, scheduled: true });
    expect((await t.query(api.stats.counts, {})).total).toEqual(all.total);
    await fold(t);
    const after = await stored(t);
    expect(after).toMatchObject({ changes: 0, scheduled: false });
    expect(after.totals).toEqual([
      { status: "started", count: 2 * n },
      { status: "failed", count: n },
    ]);
    expect((await t.query(api.stats.counts, { name: "x" })).total).toEqual({
      running: 0,
      success: 0,
      failed: n,
      canceled: 0,
      queued: 0,
      paused: 0,
    });
  });

  test("a fold reads about COUNT_CHANGES_READ_BYTES of changes at most: long names fold over several runs", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    // 60 names of 40 KiB: about 2.3 MiB of changes, fewer rows than a batch.
    const names = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(2, "0")}${"n".repeat(40 << 10)}`);
    for (const name of names) await transitions(t, name, 1, null, "running");
    vi.advanceTimersByTime(COUNT_FOLD_INTERVAL_MS);
    await t.finishInProgressScheduledFunctions();
    const left = (await stored(t)).changes;
    expect(left).toBeGreaterThan(0);
    expect((60 - left) * (40 << 10)).toBeLessThanOrEqual(COUNT_CHANGES_READ_BYTES + (41 << 10));
    await fold(t);
    const after = await stored(t);
    expect(after).toMatchObject({ changes: 0, scheduled: false });
    expect(after.totals).toEqual([{ status: "started", count: 60 }]);
    expect(after.counters).toHaveLength(60);
  });

  test("names only the changes know appear on their page, in name order", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    await transitions(t, "a", 1, null, "running");
    await transitions(t, "c", 1, null, "running");
    await fold(t);
    await transitions(t, "b", 2, null, "running");
    await transitions(t, "z", 1, null, "running");
    await transitions(t, "a", 1, null, "running");
    const first = await t.query(api.stats.counts, { numNames: 2 });
    expect(first.byName.map(({ name, counts }) => [name, counts.running])).toEqual([
      ["a", 2],
      ["b", 2],
    ]);
    expect(first.isDone).toBe(false);
    const second = await t.query(api.stats.counts, { numNames: 2, cursor: first.continueCursor });
    expect(second.byName.map(({ name, counts }) => [name, counts.running])).toEqual([
      ["c", 1],
      ["z", 1],
    ]);
    expect(second.isDone).toBe(true);
    expect(second.total.running).toBe(6);
  });

  test("a folder that died is replaced by the next change once its flag is stale", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    // The flag says a folder is scheduled, but none is (it failed, or was canceled).
    await t.run(async (ctx) => {
      await ctx.db.insert("countFolding", { scheduled: true, aliveAt: Date.now() });
    });
    await transitions(t, "a", 2, null, "running");
    // Not stale yet: nothing is scheduled, the changes wait (and counts still adds them in).
    await fold(t);
    expect(await stored(t)).toMatchObject({ changes: 2, counters: [] });
    expect((await t.query(api.stats.counts, { name: "a" })).total.running).toBe(2);
    vi.advanceTimersByTime(COUNT_FOLDER_STALE_MS);
    await transitions(t, "a", 1, "running", "failed");
    await fold(t);
    const after = await stored(t);
    expect(after).toMatchObject({ changes: 0, scheduled: false });
    expect(after.totals).toEqual([
      { status: "started", count: 2 },
      { status: "failed", count: 1 },
    ]);
  });

  test("pages follow the index's order (code points), not JavaScript's `<`, for names only the changes know", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    // U+FF01 sorts before U+1F600 by code point, after it by UTF-16 code unit.
    const bmp = "\uFF01";
    const astral = "\u{1F600}";
    expect(indexOrder(bmp, astral)).toBeLessThan(0);
    expect(bmp < astral).toBe(false);
    await transitions(t, bmp, 1, null, "running");
    await fold(t);
    await transitions(t, astral, 1, null, "running");
    const first = await t.query(api.stats.counts, { numNames: 1 });
    const second = await t.query(api.stats.counts, { numNames: 1, cursor: first.continueCursor });
    const third = await t.query(api.stats.counts, { numNames: 1, cursor: second.continueCursor });
    expect([first, second, third].flatMap((page) => page.byName.map(({ name }) => name))).toEqual([bmp, astral]);
    expect(indexOrder("ab", "abc")).toBeLessThan(0);
    expect(indexOrder("abc", "abc")).toBe(0);
  });
});
