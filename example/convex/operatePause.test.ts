// pause / resume (SPEC 4.3) through the public API, in standard and executor mode: steps in
// flight finish and are recorded, nothing new starts, events and timers that arrive wait, and
// resume continues exactly where the workflow stopped.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { list, listSteps, pause, resume, sendEvent, type WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { operate, operateExecutor } from "./operateWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

/** Let `ms` of fake time pass in small steps (executors need smooth time, see executor.test.ts). */
async function advance(ms: number, stepMs = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(stepMs);
    await realTick();
  }
}

/** `drain`, failing instead of hanging if executors keep running after `realMs`. */
async function settle(t: TestConvex, realMs = 30_000): Promise<void> {
  let timer: ReturnType<typeof realSetTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new Error(`scheduled functions still running after ${realMs} ms`)), realMs);
  });
  try {
    await Promise.race([t.finishAllScheduledFunctions(vi.runAllTimers, 10_000), timeout]);
  } finally {
    realClearTimeout(timer);
  }
}

type RunInComponent = (path: string, fn: (ctx: any) => Promise<unknown>) => Promise<unknown>;

async function effects(t: TestConvex, key: string): Promise<number> {
  return await t.run(
    async (ctx) =>
      (
        await ctx.db
          .query("effects")
          .withIndex("key", (q) => q.eq("key", key))
          .collect()
      ).length,
  );
}

async function stepNames(t: TestConvex, id: WorkflowId) {
  const page = await t.query((ctx) => listSteps(ctx, components.workflow, id));
  return page.page.map((s) => `${s.name}:${s.runResult?.kind ?? "running"}`);
}

describe("pause and resume", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("a step in flight finishes and is recorded; nothing new starts until resume; then it completes", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.threeSteps, { key: "p" }));
    const other = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.threeSteps, { key: "o" }));
    await t.mutation((ctx) => pause(ctx, components.workflow, id));
    await t.mutation((ctx) => operate.pause(ctx, id)); // again: a no-op
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "paused" });
    await drain(t);
    // Step a (in flight when paused) ran and was recorded; the sleep after it never started.
    expect(await effects(t, "p:a")).toBe(1);
    expect(await stepNames(t, id)).toEqual(["operateWorkflows:effect:success"]);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "paused" });
    const paused = await t.query((ctx) => list(ctx, components.workflow, { status: "paused" }));
    expect(paused.page.map((w) => w.workflowId)).toEqual([id]);
    // The unrelated workflow was not affected.
    expect(await t.query((ctx) => operate.status(ctx, other))).toEqual({ type: "completed", result: "done" });
    // Counted paused, not running; by name too.
    const whilePaused = await t.query((ctx) => operate.counts(ctx));
    expect(whilePaused.total).toEqual({ running: 0, success: 1, failed: 0, canceled: 0, queued: 0, paused: 1 });
    expect(whilePaused.byName.map((n) => n.counts.paused)).toEqual([1]);

    await t.mutation((ctx) => resume(ctx, components.workflow, id));
    await t.mutation((ctx) => operate.resume(ctx, id)); // again: a no-op
    await drain(t);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "completed", result: "done" });
    for (const s of ["a", "b", "c"]) expect(await effects(t, `p:${s}`)).toBe(1);
    expect(await stepNames(t, id)).toEqual([
      "operateWorkflows:effect:success",
      "sleep:success",
      "operateWorkflows:effect:success",
      "operateWorkflows:effect:success",
    ]);
    const counts = await t.query((ctx) => operate.counts(ctx));
    expect(counts.total).toEqual({ running: 0, success: 2, failed: 0, canceled: 0, queued: 0, paused: 0 });
  });

  test("an event that arrives while paused waits; resume continues from it", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.waiter, { key: "e" }));
    await drain(t);
    await t.mutation((ctx) => operate.pause(ctx, id));
    await t.mutation((ctx) => sendEvent(ctx, components.workflow, { workflowId: id, name: "go" }));
    await drain(t);
    expect(await stepNames(t, id)).toEqual(["go:success"]);
    expect(await effects(t, "e:after")).toBe(0);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "paused" });
    await t.mutation((ctx) => operate.resume(ctx, id));
    await drain(t);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "completed", result: "went" });
    expect(await effects(t, "e:after")).toBe(1);
  });

  test("a paused workflow can be canceled; restart runs it unpaused; pause of a finished one is an error", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.waiter, { key: "c" }));
    await t.mutation((ctx) => operate.pause(ctx, id));
    await t.mutation((ctx) => operate.cancel(ctx, id));
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "canceled" });
    expect((await t.query((ctx) => operate.counts(ctx))).total).toMatchObject({ running: 0, canceled: 1, paused: 0 });
    await expect(t.mutation((ctx) => operate.pause(ctx, id))).rejects.toThrow(
      `Workflow not running: ${id} already canceled; only a running workflow can be paused.`,
    );
    await expect(t.mutation((ctx) => operate.resume(ctx, id))).rejects.toThrow(
      `Workflow not running: ${id} already canceled; only a paused workflow can be resumed.`,
    );
    await expect(t.mutation((ctx) => operate.pause(ctx, "nope" as WorkflowId))).rejects.toThrow(
      "Invalid workflow ID: nope",
    );
    await t.mutation((ctx) => operate.restart(ctx, id, { from: 0 }));
    await t.mutation((ctx) => operate.sendEvent(ctx, { workflowId: id, name: "go" }));
    await drain(t);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "completed", result: "went" });
    const page = await t.query((ctx) => operate.list(ctx));
    expect(page.page[0].status).toBe("completed");
  });

  test("a pause made before the paused counter existed resumes without miscounting", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.waiter, { key: "l" }));
    await drain(t);
    // As an earlier version paused it: the mark without `counted`, and no change to the counters.
    const runInComponent = (t as unknown as { runInComponent: RunInComponent }).runInComponent;
    await runInComponent("workflow", (ctx) =>
      ctx.db.patch("workflows", id, { paused: { at: Date.now() }, status: "paused" }),
    );
    expect((await t.query((ctx) => operate.counts(ctx))).total).toMatchObject({ running: 1, paused: 0 });
    await t.mutation((ctx) => operate.resume(ctx, id));
    expect((await t.query((ctx) => operate.counts(ctx))).total).toMatchObject({ running: 1, paused: 0 });
    await t.mutation((ctx) => operate.sendEvent(ctx, { workflowId: id, name: "go" }));
    await drain(t);
    expect((await t.query((ctx) => operate.counts(ctx))).total).toEqual({
      running: 0,
      success: 1,
      failed: 0,
      canceled: 0,
      queued: 0,
      paused: 0,
    });
  });

  test("executor mode: the flush records the step but the coordinator does not replay until resume", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => {
      const id = await operateExecutor.start(ctx, internal.operateWorkflows.twoTasks, { key: "x" });
      await operateExecutor.pause(ctx, id);
      return id;
    });
    await advance(5_000);
    expect(await effects(t, "x:1")).toBe(1);
    expect(await effects(t, "x:2")).toBe(0);
    expect(await t.query((ctx) => operateExecutor.status(ctx, id))).toEqual({ type: "paused" });
    // The manual nudge does not replay a paused workflow either.
    await t.mutation((ctx) =>
      ctx.runMutation(components.workflow.executor.coordinator.replayIfReady, { workflowId: id }),
    );
    await advance(3_000);
    expect(await effects(t, "x:2")).toBe(0);
    await t.mutation((ctx) => operateExecutor.resume(ctx, id));
    for (let i = 0; i < 30; i++) {
      await advance(1_000);
      if ((await t.query((ctx) => operateExecutor.status(ctx, id))).type === "completed") break;
    }
    await settle(t);
    expect(await t.query((ctx) => operateExecutor.status(ctx, id))).toEqual({ type: "completed", result: 1 });
    expect(await effects(t, "x:1")).toBe(1);
    expect(await effects(t, "x:2")).toBe(1);
  });
});
