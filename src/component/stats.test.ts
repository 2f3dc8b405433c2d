/// <reference types="vite/client" />
// `counts` with many workflow names: every name is counted, a page of names at a time, and
// each page stays within a query's read limits. The counters are written directly (one row
// per name, status and slot: the most a name can have), since thousands of workflows per
// name would make the test slow without changing what `counts` reads.
import { convexTest } from "convex-test";
import { describe, expect, test } from "vitest";
import { MAX_COUNT_NAMES_PER_PAGE } from "../shared/limits.js";
import { api } from "./_generated/api.js";
import schema from "./schema.js";
import { COUNT_SLOTS, TOTAL_SLOTS } from "./stats.js";

const modules = import.meta.glob(["./**/*.ts", "!./**/*.test.ts"]);
const STATUSES = ["running", "success", "failed", "canceled"] as const;
/** The stored counter of a status: a running workflow is started and not finished. */
const counterOf = (status: (typeof STATUSES)[number]) => (status === "running" ? "started" : status);

/** 210 names (more than the 200 the old query could see), each with every (status, slot) row. */
const NAMES = Array.from({ length: 210 }, (_, i) => `app:workflow${String(i).padStart(3, "0")}`);
/** Name i has i + 1 workflows of each status, spread over its slots. */
const countOf = (i: number) => i + 1;

async function seed(t: ReturnType<typeof convexTest>, names = NAMES) {
  const total = { running: 0, success: 0, failed: 0, canceled: 0, queued: 0, paused: 0 };
  await t.run(async (ctx) => {
    for (const [i, name] of names.entries()) {
      for (const status of STATUSES) {
        for (let slot = 0; slot < COUNT_SLOTS; slot++) {
          // All of the name's count in slot 0, zeros in the others (rows that exist all the same).
          // `started` counts every workflow of the name: the running and the finished.
          const count = status === "running" ? STATUSES.length * countOf(i) : countOf(i);
          await ctx.db.insert("workflowCounts", {
            name,
            status: counterOf(status),
            slot,
            count: slot === 0 ? count : 0,
          });
        }
        total[status] += countOf(i);
      }
    }
    for (const status of STATUSES) {
      for (let slot = 0; slot < TOTAL_SLOTS; slot++) {
        const count = status === "running" ? STATUSES.reduce((n, s) => n + total[s], 0) : total[status];
        await ctx.db.insert("workflowTotals", { status: counterOf(status), slot, count: slot === 0 ? count : 0 });
      }
    }
  });
  return total;
}

describe("counts with many names", () => {
  test("every one of 210 names is counted, in pages of at most 100 names; the total is complete", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    const total = await seed(t);
    const seen = new Map<string, unknown>();
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const page: {
        total: unknown;
        byName: { name: string; counts: unknown }[];
        isDone: boolean;
        continueCursor: string;
      } = await t.query(api.stats.counts, { cursor });
      pages++;
      expect(page.total).toEqual(total);
      expect(page.byName.length).toBeLessThanOrEqual(MAX_COUNT_NAMES_PER_PAGE);
      for (const { name, counts } of page.byName) {
        expect(seen.has(name), `${name} on two pages`).toBe(false);
        seen.set(name, counts);
      }
      if (page.isDone) break;
      cursor = page.continueCursor;
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBe(3);
    expect([...seen.keys()]).toEqual(NAMES);
    for (const [i, name] of NAMES.entries()) {
      const n = countOf(i);
      expect(seen.get(name)).toEqual({ running: n, success: n, failed: n, canceled: n, queued: 0, paused: 0 });
    }
  });

  test("numNames picks the page size; one name alone; bad numNames are clear errors", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    const names = NAMES.slice(0, 20);
    await seed(t, names);
    const first = await t.query(api.stats.counts, { numNames: 7 });
    expect(first.byName.map((b) => b.name)).toEqual(NAMES.slice(0, 7));
    expect(first.isDone).toBe(false);
    const second = await t.query(api.stats.counts, { numNames: 7, cursor: first.continueCursor });
    expect(second.byName.map((b) => b.name)).toEqual(NAMES.slice(7, 14));

    const one = await t.query(api.stats.counts, { name: names[19] });
    expect(one.total).toEqual({ running: 20, success: 20, failed: 20, canceled: 20, queued: 0, paused: 0 });
    expect(one.byName).toEqual([{ name: names[19], counts: one.total }]);
    expect(one.isDone).toBe(true);

    for (const numNames of [0, -1, 1.5, NaN, Infinity, MAX_COUNT_NAMES_PER_PAGE + 1]) {
      await expect(t.query(api.stats.counts, { numNames })).rejects.toThrow(
        `numNames must be a whole number from 1 to ${MAX_COUNT_NAMES_PER_PAGE}; got ${numNames}.`,
      );
    }
  });
});
