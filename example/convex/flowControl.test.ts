// Flow control through the public API (docs/flow-control.md): idempotency keys, concurrency
// limits with FIFO and priority, rate limits, debounce, the queued state in status / list /
// counts / timeline, cancel, failure, cleanup and restart of flow-controlled workflows, and
// clear errors for bad options that change no data.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { WorkflowId } from "convex-workflow";
import { internal } from "./_generated/api.js";
import { flow } from "./flowControlWorkflows.js";
import { workflow as examples } from "./flowExamples.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

type Mark = { n: number; runningBefore: number; at: number };

async function marks(t: TestConvex, key: string, what: "begin" | "end"): Promise<Mark[]> {
  const rows = await t.run((ctx) =>
    ctx.db
      .query("effects")
      .withIndex("key", (q) => q.eq("key", `flow:${key}:${what}`))
      .collect(),
  );
  return rows.map((r) => r.value as Mark);
}

const statusOf = (t: TestConvex, id: WorkflowId) => t.query((ctx) => flow.status(ctx, id));

async function workflowRows(t: TestConvex) {
  return await t.run((ctx) => ctx.db.query("workflows" as never).collect());
}

describe("flow control", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("50 starts with one idempotency key give one workflow, until cleanup", async () => {
    const t = initConvexTest();
    const ids = new Set<WorkflowId>();
    for (let i = 0; i < 50; i++) {
      ids.add(
        await t.mutation((ctx) =>
          flow.start(ctx, internal.flowControlWorkflows.plain, { key: "idem", n: i }, { idempotencyKey: "evt_1" }),
        ),
      );
    }
    expect(ids.size).toBe(1);
    await drain(t);
    const [id] = ids;
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: 0 });
    expect((await marks(t, "idem", "begin")).map((m) => m.n)).toEqual([0]);
    // Another key, or the same key on another definition, is another workflow.
    const other = await t.mutation((ctx) =>
      flow.start(ctx, internal.flowControlWorkflows.plain, { key: "idem", n: 1 }, { idempotencyKey: "evt_2" }),
    );
    expect(other).not.toBe(id);
    // Also through the direct call; after cleanup the key is free.
    const again = await t.mutation((ctx) =>
      ctx.runMutation(internal.flowControlWorkflows.plain, { args: { key: "idem", n: 9 }, idempotencyKey: "evt_1" }),
    );
    expect(again).toBe(id);
    await drain(t);
    expect(await t.mutation((ctx) => flow.cleanup(ctx, id))).toBe(true);
    const fresh = await t.mutation((ctx) =>
      flow.start(ctx, internal.flowControlWorkflows.plain, { key: "idem", n: 7 }, { idempotencyKey: "evt_1" }),
    );
    expect(fresh).not.toBe(id);
    await drain(t);
    expect(await statusOf(t, fresh)).toEqual({ type: "completed", result: 7 });
  });

  test("20 starts on one key with limit 2: never more than 2 running, FIFO, all complete", async () => {
    const t = initConvexTest();
    const ids: WorkflowId[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.limited, { key: "k", n: i })));
    }
    // Two began (their first step is journaled), 18 wait.
    const statuses = await Promise.all(ids.map((id) => statusOf(t, id)));
    expect(statuses.filter((s) => s.type === "inProgress")).toHaveLength(2);
    expect(statuses.filter((s) => s.type === "queued")).toHaveLength(18);
    const counts = await t.query((ctx) => flow.counts(ctx, "flowControlWorkflows:limited"));
    expect(counts.total).toMatchObject({ running: 2, queued: 18 });
    const listed = (await t.query((ctx) => flow.listByName(ctx, "flowControlWorkflows:limited"))).page;
    expect(listed.filter((w) => w.status === "queued")).toHaveLength(18);
    const timeline = (
      await t.query((ctx) => flow.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 100 } }))
    ).page;
    expect(timeline.filter((w) => w.status === "queued")).toHaveLength(18);

    await drain(t);
    for (const [i, id] of ids.entries()) expect(await statusOf(t, id)).toEqual({ type: "completed", result: i });
    const begins = await marks(t, "k", "begin");
    expect(begins.map((m) => m.n)).toEqual([...Array(20).keys()]);
    expect(Math.max(...begins.map((m) => m.runningBefore))).toBeLessThanOrEqual(1);
    const after = await t.query((ctx) => flow.counts(ctx, "flowControlWorkflows:limited"));
    expect(after.total).toMatchObject({ running: 0, queued: 0, success: 20 });
  });

  test("keys are independent: another key and an unrelated workflow run at once", async () => {
    const t = initConvexTest();
    const a = [];
    for (let i = 0; i < 3; i++) {
      a.push(await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "a", n: i })));
    }
    const b = await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "b", n: 0 }));
    const unrelated = await t.mutation((ctx) =>
      flow.start(ctx, internal.flowControlWorkflows.plain, { key: "u", n: 1 }),
    );
    expect((await statusOf(t, b)).type).toBe("inProgress");
    expect((await statusOf(t, a[1])).type).toBe("queued");
    expect((await statusOf(t, unrelated)).type).toBe("completed"); // its one step is inline
    await drain(t);
    for (const id of [...a, b]) expect((await statusOf(t, id)).type).toBe("completed");
  });

  test("priority overtakes; FIFO within a priority", async () => {
    const t = initConvexTest();
    const start = (n: number, priority?: number) =>
      t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "p", n }, { priority }));
    await start(0); // begins
    await start(1);
    await start(2);
    await start(3, 5);
    await start(4, 5);
    await start(5, -1);
    await drain(t);
    expect((await marks(t, "p", "begin")).map((m) => m.n)).toEqual([0, 3, 4, 1, 2, 5]);
  });

  test("cancel and failure free the slot; a canceled queued workflow never runs", async () => {
    const t = initConvexTest();
    const start = (n: number, fail?: boolean) =>
      t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "c", n, fail }));
    const first = await start(0);
    const second = await start(1, true);
    const third = await start(2);
    const fourth = await start(3);
    // Cancel a queued one: it leaves the queue.
    await t.mutation((ctx) => flow.cancel(ctx, third));
    expect(await statusOf(t, third)).toEqual({ type: "canceled" });
    // Cancel the running one: the next (which fails) begins.
    await t.mutation((ctx) => flow.cancel(ctx, first));
    expect((await statusOf(t, second)).type).toBe("inProgress");
    await drain(t);
    expect((await statusOf(t, second)).type).toBe("failed");
    expect(await statusOf(t, fourth)).toEqual({ type: "completed", result: 3 });
    expect((await marks(t, "c", "begin")).map((m) => m.n)).toEqual([0, 1, 3]);
    const counts = await t.query((ctx) => flow.counts(ctx, "flowControlWorkflows:single"));
    expect(counts.total).toEqual({ running: 0, queued: 0, success: 1, failed: 1, canceled: 2, paused: 0 });
  });

  test("cleanup of a queued or running workflow frees its place; restart re-takes a slot", async () => {
    const t = initConvexTest();
    const start = (n: number) =>
      t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "r", n }));
    const running = await start(0);
    const queued = await start(1);
    const last = await start(2);
    // Forced cleanup of a queued workflow (through the component: it is not finished).
    await t.mutation((ctx) => ctx.runMutation(flow.component.workflow.cleanup, { workflowId: queued, force: true }));
    // Forced cleanup of the running one: `last` begins.
    await t.mutation((ctx) => ctx.runMutation(flow.component.workflow.cleanup, { workflowId: running, force: true }));
    expect((await statusOf(t, last)).type).toBe("inProgress");
    // A restart while `last` holds the slot waits queued.
    const other = await start(3);
    await t.mutation((ctx) => flow.cancel(ctx, other));
    await t.mutation((ctx) => flow.restart(ctx, other));
    expect((await statusOf(t, other)).type).toBe("queued");
    await drain(t);
    expect(await statusOf(t, last)).toEqual({ type: "completed", result: 2 });
    expect(await statusOf(t, other)).toEqual({ type: "completed", result: 3 });
    const begins = (await marks(t, "r", "begin")).map((m) => m.n);
    expect(begins).toEqual([0, 2, 3]);
    const counts = await t.query((ctx) => flow.counts(ctx, "flowControlWorkflows:single"));
    expect(counts.total).toMatchObject({ running: 0, queued: 0, success: 2 });
  });

  test("a stray or redelivered replay of a queued workflow does nothing", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "s", n: 0 }));
    const queued = await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "s", n: 1 }));
    await t.mutation(internal.flowControlWorkflows.single, { workflowId: queued, generationNumber: 0 } as never);
    expect(await statusOf(t, queued)).toEqual({ type: "queued" });
    expect((await marks(t, "s", "begin")).map((m) => m.n)).toEqual([0]);
    await drain(t);
    expect((await marks(t, "s", "begin")).map((m) => m.n)).toEqual([0, 1]);
  });

  test("restart with a free slot begins at once and releases it again", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "rr", n: 0 }));
    await drain(t);
    await t.mutation((ctx) => flow.restart(ctx, id, { from: 0 }));
    expect((await statusOf(t, id)).type).toBe("inProgress");
    const next = await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.single, { key: "rr", n: 1 }));
    expect((await statusOf(t, next)).type).toBe("queued");
    await drain(t);
    expect((await statusOf(t, next)).type).toBe("completed");
    expect((await marks(t, "rr", "begin")).map((m) => m.n)).toEqual([0, 0, 1]);
  });

  test("a rate limit of 5 per minute spreads 15 runs over three minutes", async () => {
    const t = initConvexTest();
    const t0 = Date.now();
    const ids = [];
    for (let i = 0; i < 15; i++) {
      ids.push(
        await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.rateLimited, { key: "rl", n: i })),
      );
    }
    expect((await Promise.all(ids.map((id) => statusOf(t, id)))).filter((s) => s.type === "queued")).toHaveLength(10);
    // Let time pass smoothly (drain's timer jumps would run the begun workflows' replays late).
    for (let s = 0; s < 190; s++) await vi.advanceTimersByTimeAsync(1_000);
    await drain(t);
    for (const id of ids) expect((await statusOf(t, id)).type).toBe("completed");
    const begins = await marks(t, "rl", "begin");
    expect(begins.map((m) => m.n)).toEqual([...Array(15).keys()]);
    const minute = (m: Mark) => Math.floor((m.at - t0) / 60_000);
    expect(begins.map(minute)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    // Sliding window: no 5 + 1 begins within any 60 s.
    for (let i = 5; i < begins.length; i++) expect(begins[i].at - begins[i - 5].at).toBeGreaterThanOrEqual(60_000);
  });

  test("a debounced burst of 10 starts runs once, with the last args", async () => {
    const t = initConvexTest();
    const ids = new Set<WorkflowId>();
    for (let i = 0; i < 10; i++) {
      ids.add(
        await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.reindex, { doc: "d1", version: i })),
      );
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect(await statusOf(t, id)).toEqual({ type: "queued" });
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: 9 });
    expect((await marks(t, "d1", "begin")).map((m) => m.n)).toEqual([9]);
    // After the window, a start is a new workflow.
    const next = await t.mutation((ctx) =>
      flow.start(ctx, internal.flowControlWorkflows.reindex, { doc: "d1", version: 10 }),
    );
    expect(ids.has(next)).toBe(false);
    await drain(t);
    expect((await marks(t, "d1", "begin")).map((m) => m.n)).toEqual([9, 10]);
  });

  test("debounce begins no later than maxDelayMs after the first start", async () => {
    const t = initConvexTest();
    const t0 = Date.now();
    let id: WorkflowId | undefined;
    // A start every 500 ms for 8 s: the 1 s delay never passes, the 5 s cap does.
    for (let i = 0; i < 16; i++) {
      const got = await t.mutation((ctx) =>
        flow.start(ctx, internal.flowControlWorkflows.reindex, { doc: "d2", version: i }),
      );
      id ??= got;
      await vi.advanceTimersByTimeAsync(500);
    }
    await drain(t);
    const begins = await marks(t, "d2", "begin");
    expect(begins[0].at - t0).toBeGreaterThanOrEqual(5_000);
    expect(begins[0].at - t0).toBeLessThan(5_600);
    expect(await statusOf(t, id!)).toEqual({ type: "completed", result: begins[0].n });
  });

  test("options combined: debounce, then a concurrency limit and a rate limit; idempotency while queued", async () => {
    const t = initConvexTest();
    const t0 = Date.now();
    const ids = new Map<string, Set<WorkflowId>>();
    // Three debounce keys, a burst of 3 starts each (the last args win).
    for (let round = 0; round < 3; round++) {
      for (const key of ["x", "y", "z"]) {
        const id = await t.mutation((ctx) =>
          flow.start(ctx, internal.flowControlWorkflows.combined, { key, n: round }),
        );
        ids.set(key, (ids.get(key) ?? new Set()).add(id));
      }
    }
    for (const set of ids.values()) expect(set.size).toBe(1);
    // Idempotency on a queued workflow: the same id, nothing new.
    const a = await t.mutation((ctx) =>
      flow.start(ctx, internal.flowControlWorkflows.single, { key: "q", n: 0 }, { idempotencyKey: "q0" }),
    );
    const b = await t.mutation((ctx) =>
      flow.start(ctx, internal.flowControlWorkflows.single, { key: "q", n: 1 }, { idempotencyKey: "q1" }),
    );
    expect((await statusOf(t, b)).type).toBe("queued");
    expect(
      await t.mutation((ctx) =>
        flow.start(ctx, internal.flowControlWorkflows.single, { key: "q", n: 1 }, { idempotencyKey: "q1" }),
      ),
    ).toBe(b);
    for (let s = 0; s < 130; s++) await vi.advanceTimersByTimeAsync(1_000);
    await drain(t);
    for (const id of [a, b]) expect((await statusOf(t, id)).type).toBe("completed");
    const begins = await marks(t, "combined", "begin");
    // Three workflows, each with its burst's last args, one at a time, the third a minute later.
    expect(begins.map((m) => m.n)).toEqual([2, 2, 2]);
    expect(Math.max(...begins.map((m) => m.runningBefore))).toBe(0);
    expect(begins[2].at - t0).toBeGreaterThanOrEqual(60_000);
    expect((await marks(t, "q", "begin")).map((m) => m.n)).toEqual([0, 1]);
  });

  test("bad start options and key functions: a clear error, nothing written", async () => {
    const t = initConvexTest();
    const before = (await workflowRows(t)).length;
    const startBad = (n: number, options?: { idempotencyKey?: string; priority?: number }) =>
      t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.badKey, { key: "x", n }, options));
    await expect(startBad(-1)).rejects.toThrow(
      /Workflow flowControlWorkflows:badKey: `concurrency.key` threw: .*no key for negative n/,
    );
    await expect(startBad(0)).rejects.toThrow(
      "Workflow flowControlWorkflows:badKey: `concurrency.key` must return a string, got 42",
    );
    await expect(startBad(1, { idempotencyKey: "" })).rejects.toThrow(
      "idempotencyKey must be a string of 1 to 256 characters, got a string of 0 characters",
    );
    await expect(startBad(1, { idempotencyKey: "x".repeat(257) })).rejects.toThrow(
      "idempotencyKey must be a string of 1 to 256 characters, got a string of 257 characters",
    );
    await expect(startBad(1, { priority: Number.NaN })).rejects.toThrow(
      "priority must be a finite number from -1000000000 to 1000000000, got NaN",
    );
    expect((await workflowRows(t)).length).toBe(before);
    // The component checks what arrives, too.
    await expect(
      t.mutation((ctx) =>
        ctx.runMutation(flow.component.workflow.create, {
          workflowName: "x",
          workflowHandle: "function://x",
          workflowArgs: {},
          flow: { concurrency: { limit: 0, key: "" } },
        }),
      ),
    ).rejects.toThrow("workflow.define `concurrency.limit` must be a whole number from 1 to 10000, got 0");
    // An unrelated workflow still runs.
    const ok = await t.mutation((ctx) => flow.start(ctx, internal.flowControlWorkflows.plain, { key: "ok", n: 1 }));
    await drain(t);
    expect(await statusOf(t, ok)).toEqual({ type: "completed", result: 1 });
  });

  test("the examples: one import per user, the webhook receiver's redeliveries", async () => {
    const t = initConvexTest();
    const ex = internal.flowExamples;
    const first = await t.mutation((ctx) => examples.start(ctx, ex.importCsv, { userId: "u1", fileId: "f1" }));
    const second = await t.mutation((ctx) => examples.start(ctx, ex.importCsv, { userId: "u1", fileId: "f2" }));
    const other = await t.mutation((ctx) => examples.start(ctx, ex.importCsv, { userId: "u2", fileId: "f3" }));
    expect((await t.query((ctx) => examples.status(ctx, second))).type).toBe("queued");
    expect((await t.query((ctx) => examples.status(ctx, other))).type).toBe("inProgress");
    const deliveries = [];
    for (let i = 0; i < 3; i++)
      deliveries.push(await t.mutation(ex.receivePaymentWebhook, { eventId: "evt_9", amount: 5 }));
    expect(new Set(deliveries).size).toBe(1);
    await drain(t);
    for (const id of [first, second, other, deliveries[0] as WorkflowId]) {
      expect((await t.query((ctx) => examples.status(ctx, id))).type).toBe("completed");
    }
    const payments = await t.run((ctx) =>
      ctx.db
        .query("effects")
        .withIndex("key", (q) => q.eq("key", "payment"))
        .collect(),
    );
    expect(payments).toHaveLength(1);
  });
});
