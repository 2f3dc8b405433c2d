// The Part 4 features together: startMany of a flow-controlled, versioned definition with tags;
// continue-as-new holding its concurrency slot; restart with new args re-taking a slot.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { WorkflowId } from "convex-workflow";
import { internal } from "./_generated/api.js";
import { combined } from "./combinedWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

type Mark = { n: number; runningBefore: number };

async function marks(t: TestConvex, key: string, what: "begin" | "end"): Promise<Mark[]> {
  const rows = await t.run((ctx) =>
    ctx.db
      .query("effects")
      .withIndex("key", (q) => q.eq("key", `combined:${key}:${what}`))
      .collect(),
  );
  return rows.map((r) => r.value as Mark);
}

const statusOf = (t: TestConvex, id: WorkflowId) => t.query((ctx) => combined.status(ctx, id));

describe("Part 4 features combined", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("startMany of a flow-controlled, versioned definition with tags: one at a time, continued runs keep the slot", async () => {
    const t = initConvexTest();
    const argsList = [0, 1, 2].map((n) => ({ key: "batch", n, run: 1, runs: 3 }));
    const ids = await t.mutation((ctx) =>
      combined.startMany(ctx, internal.combinedWorkflows.loop, argsList, { tags: { batch: "b1" } }),
    );
    expect(ids).toHaveLength(3);
    const tagged = await t.query((ctx) => combined.list(ctx, { tag: { key: "batch", value: "b1" } }));
    expect(tagged.page.map((w) => w.workflowId).sort()).toEqual([...ids].sort());
    expect(tagged.page.filter((w) => w.status === "queued")).toHaveLength(2);
    expect(tagged.page.every((w) => w.version === 2 && w.tags.batch === "b1")).toBe(true);

    await drain(t);
    for (const [n, id] of ids.entries()) expect(await statusOf(t, id)).toEqual({ type: "completed", result: n });
    // Never two at once: each began after the one before had ended its third run.
    const begins = await marks(t, "batch", "begin");
    expect(begins.map((m) => m.n)).toEqual([0, 1, 2]);
    expect(begins.every((m) => m.runningBefore === 0)).toBe(true);
    const listed = await t.query((ctx) =>
      combined.list(ctx, { tag: { key: "batch", value: "b1" }, status: "completed" }),
    );
    expect(listed.page).toHaveLength(3);
    expect(listed.page.every((w) => w.runNumber === 3)).toBe(true);
    const counts = await t.query((ctx) => combined.counts(ctx, "combinedWorkflows:loop"));
    expect(counts.total).toMatchObject({ running: 0, queued: 0, success: 3 });
  });

  test("restart with new args of a flow-controlled workflow waits queued while its key's slot is taken", async () => {
    const t = initConvexTest();
    const first = await t.mutation((ctx) =>
      combined.start(ctx, internal.combinedWorkflows.loop, { key: "r", n: 1, run: 1, runs: 1 }),
    );
    await drain(t);
    expect(await statusOf(t, first)).toEqual({ type: "completed", result: 1 });
    const holder = await t.mutation((ctx) =>
      combined.start(ctx, internal.combinedWorkflows.loop, { key: "r", n: 2, run: 1, runs: 2 }),
    );
    await t.mutation((ctx) => combined.restart(ctx, first, { from: 0, args: { key: "r", n: 5, run: 1, runs: 1 } }));
    expect(await statusOf(t, first)).toEqual({ type: "queued" });
    await drain(t);
    expect(await statusOf(t, holder)).toEqual({ type: "completed", result: 2 });
    expect(await statusOf(t, first)).toEqual({ type: "completed", result: 5 });
    expect((await marks(t, "r", "begin")).every((m) => m.runningBefore === 0)).toBe(true);
  });
});
