// Flow control in executor mode (docs/flow-control.md, docs/executor-mode.md): a concurrency
// limit holds while executors run the steps, and queued workflows begin as slots free.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { WorkflowId } from "convex-workflow";
import { internal } from "./_generated/api.js";
import { flowExec } from "./flowControlWorkflows.js";
import { initConvexTest, type TestConvex } from "./setup.testing.js";

const realSetTimeout = globalThis.setTimeout;
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

/** Let fake time pass smoothly, letting functions (executors) run in between. */
async function advance(ms: number, stepMs = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(stepMs);
    await realTick();
  }
}

async function statuses(t: TestConvex, ids: WorkflowId[]) {
  return await Promise.all(ids.map((id) => t.query((ctx) => flowExec.status(ctx, id)).then((s) => s.type)));
}

describe("flow control in executor mode", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("a concurrency limit of 2 holds for 6 workflows; all complete in FIFO order", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => flowExec.startExecutors(ctx));
    const ids: WorkflowId[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(
        await t.mutation((ctx) => flowExec.start(ctx, internal.flowControlWorkflows.limitedExec, { key: "e", n: i })),
      );
    }
    expect((await statuses(t, ids)).filter((s) => s === "queued")).toHaveLength(4);
    for (let s = 0; s < 60 && (await statuses(t, ids)).some((x) => x !== "completed"); s++) await advance(1_000);
    expect(await statuses(t, ids)).toEqual(Array(6).fill("completed"));
    const rows = await t.run((ctx) =>
      ctx.db
        .query("effects")
        .withIndex("key", (q) => q.eq("key", "flow:e:begin"))
        .collect(),
    );
    const begins = rows.map((r) => r.value as { n: number; runningBefore: number });
    expect(begins.map((b) => b.n)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Math.max(...begins.map((b) => b.runningBefore))).toBeLessThanOrEqual(1);
    // Let the idle executor exit.
    await advance(15_000, 1_000);
  });
});
