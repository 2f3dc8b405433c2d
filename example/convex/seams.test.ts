// Where two features meet: a restart or continue-as-new still deleting a big journal in
// scheduled continuations (`resetting`) while a pause/resume or a cancel comes in; restart with
// new args under flow control; retention and `restartMany({ from: "failed" })` over big
// documents (bounded in bytes per transaction); pause of a queued workflow.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { combined } from "./combinedWorkflows.js";
import { plain, review } from "./seamsWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const KIB = 1 << 10;

async function begins(t: TestConvex, key: string) {
  const rows = await t.run((ctx) =>
    ctx.db
      .query("effects")
      .withIndex("key", (q) => q.eq("key", `combined:${key}:begin`))
      .collect(),
  );
  return rows.map((r) => r.value as { n: number; runningBefore: number });
}

const stepsOf = async (t: TestConvex, id: WorkflowId) =>
  (await t.query((ctx) => plain.listSteps(ctx, id, { paginationOpts: { cursor: null, numItems: 100 } }))).page;

async function rejected(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("expected a rejection");
}

describe("feature seams", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("pause + resume while a restart is still deleting the journal: the run waits for the deletion", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      plain.start(ctx, internal.seamsWorkflows.bigSteps, { n: 24, size: 200 * KIB }, { startAsync: true }),
    );
    await drain(t);
    await t.mutation((ctx) => plain.restart(ctx, id, { from: 0, startAsync: true }));
    expect((await stepsOf(t, id)).length).toBeGreaterThan(0); // the deletion continues in scheduled functions
    await t.mutation((ctx) => plain.pause(ctx, id));
    await t.mutation((ctx) => plain.resume(ctx, id));
    await drain(t);
    expect(await t.query((ctx) => plain.status(ctx, id))).toEqual({ type: "completed", result: 24 });
    const steps = await stepsOf(t, id); // a page ends early at about 4 MiB
    expect(steps.map((s) => s.stepNumber)).toEqual([...Array(steps.length).keys()]);
  });

  test("cancel during a restart's continued deletion: the deletion finishes; a later restart() runs clean", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      plain.start(ctx, internal.seamsWorkflows.bigSteps, { n: 24, size: 200 * KIB }, { startAsync: true }),
    );
    await drain(t);
    await t.mutation((ctx) => plain.restart(ctx, id, { from: 0, startAsync: true }));
    await t.mutation((ctx) => plain.cancel(ctx, id));
    await drain(t);
    expect(await stepsOf(t, id)).toEqual([]);
    await t.mutation((ctx) => plain.restart(ctx, id, { startAsync: true }));
    await drain(t);
    expect(await t.query((ctx) => plain.status(ctx, id))).toEqual({ type: "completed", result: 24 });
  });

  test("cancel while continueAsNew is still deleting the old journal: no old step is left", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      plain.start(ctx, internal.seamsWorkflows.bigLoop, { run: 1, n: 24, size: 200 * KIB }, { startAsync: true }),
    );
    let canceled = false;
    for (let i = 0; i < 200 && !canceled; i++) {
      await vi.advanceTimersByTimeAsync(1);
      await t.finishInProgressScheduledFunctions();
      const raw = await t.query((ctx) => ctx.runQuery(components.workflow.workflow.getStatus, { workflowId: id }));
      const steps = await stepsOf(t, id);
      if (raw.workflow.runNumber === 2 && steps.length > 0 && (steps[0].args as { i: number }).i !== -1) {
        await t.mutation((ctx) => plain.cancel(ctx, id));
        canceled = true;
      }
    }
    expect(canceled).toBe(true);
    await drain(t);
    expect((await stepsOf(t, id)).every((s) => (s.args as { i: number }).i === -1)).toBe(true);
    await t.mutation((ctx) => plain.restart(ctx, id, { startAsync: true }));
    await drain(t);
    expect(await t.query((ctx) => plain.status(ctx, id))).toEqual({ type: "completed", result: 2 });
  });

  test("restart with new args recomputes the concurrency key from them", async () => {
    const t = initConvexTest();
    const first = await t.mutation((ctx) =>
      combined.start(ctx, internal.combinedWorkflows.loop, { key: "a", n: 1, run: 1, runs: 1 }),
    );
    await drain(t);
    // Takes key b's only slot, and holds it across its continue.
    await t.mutation((ctx) =>
      combined.start(ctx, internal.combinedWorkflows.loop, { key: "b", n: 2, run: 1, runs: 2 }),
    );
    await t.mutation((ctx) => combined.restart(ctx, first, { from: 0, args: { key: "b", n: 5, run: 1, runs: 1 } }));
    expect(await t.query((ctx) => combined.status(ctx, first))).toEqual({ type: "queued" });
    await drain(t);
    expect(await t.query((ctx) => combined.status(ctx, first))).toEqual({ type: "completed", result: 5 });
    const b = await begins(t, "b");
    expect(b.map((m) => m.n)).toEqual([2, 5]);
    expect(b.every((m) => m.runningBefore === 0)).toBe(true);
  });

  test("pause of a queued workflow is refused and changes nothing; the queue moves on", async () => {
    const t = initConvexTest();
    const start = (n: number) =>
      t.mutation((ctx) => combined.start(ctx, internal.combinedWorkflows.loop, { key: "p", n, run: 1, runs: 2 }));
    const [w1, w2, w3] = [await start(1), await start(2), await start(3)];
    expect(await rejected(t.mutation((ctx) => combined.pause(ctx, w2)))).toContain(
      "is queued (flow control): it cannot be paused before it begins",
    );
    expect(await t.query((ctx) => combined.status(ctx, w2))).toEqual({ type: "queued" });
    await drain(t);
    for (const [n, id] of [w1, w2, w3].entries()) {
      expect(await t.query((ctx) => combined.status(ctx, id))).toEqual({ type: "completed", result: n + 1 });
    }
  });

  test("retention over large finished workflows: batches bounded in bytes, everything due deleted", async () => {
    const t = initConvexTest();
    const blob = "y".repeat(700 * KIB);
    const ids: WorkflowId[] = [];
    for (let i = 0; i < 26; i++) {
      ids.push(await t.mutation((ctx) => review.start(ctx, internal.seamsWorkflows.quick, { blob: blob + i })));
    }
    await vi.advanceTimersByTimeAsync(5_000);
    await drain(t);
    const left = await t.query((ctx) => review.list(ctx, { name: "seamsWorkflows:quick" }));
    expect(left.page).toEqual([]);
    expect((await t.query((ctx) => review.retentionStatus(ctx))).deleted).toBe(26);
  });

  test("restartMany from failed over workflows with big journals: each restart in its own transaction", async () => {
    const t = initConvexTest();
    const ids: WorkflowId[] = [];
    for (let i = 0; i < 24; i++) {
      ids.push(
        await t.mutation((ctx) =>
          plain.start(ctx, internal.seamsWorkflows.bigThenFail, { n: 4, size: 200 * KIB }, { startAsync: true }),
        ),
      );
      await drain(t);
    }
    const result = await t.mutation((ctx) =>
      plain.restartMany(ctx, { name: "seamsWorkflows:bigThenFail", status: "failed" }, { from: "failed" }),
    );
    expect(result).toEqual({ count: 24 });
    await drain(t);
    // Each re-ran from its failed step (which throws again), keeping the 4 steps before it.
    for (const id of ids) {
      const { workflow } = await t.query((ctx) =>
        ctx.runQuery(components.workflow.workflow.getStatus, { workflowId: id }),
      );
      expect(workflow.generationNumber).toBe(1);
      expect(workflow.runResult?.kind).toBe("failed");
    }
    expect((await stepsOf(t, ids[0])).filter((s) => s.runResult?.kind === "success")).toHaveLength(4);
  });
});
