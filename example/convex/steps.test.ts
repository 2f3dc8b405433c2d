// The step API (docs/steps.md) — batches, failures, retries, scheduling, sleep, inline steps,
// option errors, withOptions and default names — through the public API.
import type { WorkflowId } from "convex-workflow";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";
import { retryingWorkflow, workflow } from "./testWorkflows.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const statusOf = (t: TestConvex, id: WorkflowId) => t.query(async (ctx) => workflow.status(ctx, id));
const stepsOf = async (t: TestConvex, id: WorkflowId) =>
  (await t.query(async (ctx) => workflow.listSteps(ctx, id))).page;
const effectsOf = (t: TestConvex, key: string) =>
  t.run(async (ctx) => (await ctx.db.query("effects").collect()).filter((e) => e.key === key));
const attemptsOf = async (t: TestConvex, key: string) =>
  (await t.run(async (ctx) => (await ctx.db.query("attempts").collect()).find((a) => a.key === key)))?.count ?? 0;

async function resultOf(t: TestConvex, id: WorkflowId): Promise<unknown> {
  const status = await statusOf(t, id);
  if (status.type !== "completed") throw new Error(`expected completed, got ${JSON.stringify(status)}`);
  return status.result;
}

describe("parallel steps", () => {
  test("Promise.all starts one batch with consecutive step numbers; the next step waits for all of it", async () => {
    const t = initConvexTest();
    const { id, running } = await t.mutation(async (ctx) => {
      const id = await workflow.start(ctx, internal.testWorkflows.parallel, { key: "par" });
      const status = await workflow.status(ctx, id);
      return { id, running: status.type === "inProgress" ? status.running.map((s) => s.name) : [] };
    });
    expect(running.sort()).toEqual(["testWorkflows:double", "testWorkflows:echo", "testWorkflows:recordEffect"]);
    const first = await stepsOf(t, id);
    expect(first.map((s) => [s.stepNumber, s.name])).toEqual([
      [0, "testWorkflows:echo"],
      [1, "testWorkflows:double"],
      [2, "testWorkflows:recordEffect"],
    ]);
    expect(new Set(first.map((s) => s.startedAt)).size).toBe(1);
    await drain(t);
    expect(await resultOf(t, id)).toEqual({ a: "a", b: 42, c: "c", d: 84 });
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => s.stepNumber)).toEqual([0, 1, 2, 3]);
    expect(steps.map((s) => s.runResult?.kind)).toEqual(["success", "success", "success", "success"]);
    const batchDone = Math.max(...steps.slice(0, 3).map((s) => s.completedAt!));
    expect(steps[3].startedAt).toBeGreaterThanOrEqual(batchDone);
    expect(await effectsOf(t, "par")).toHaveLength(1);
  });
});

describe("failures and retries", () => {
  test("a failed action is not retried by default, and the handler can catch it", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.retrying, { key: "noretry", failTimes: 1 }),
    );
    await drain(t);
    const result = (await resultOf(t, id)) as string;
    expect(result.startsWith("caught: ")).toBe(true);
    expect(result).toContain("flaky noretry failed attempt 1");
    expect(await attemptsOf(t, "noretry")).toBe(1);
    const [step] = await stepsOf(t, id);
    expect(step.runResult?.kind).toBe("failed");
  });

  test("retry: true uses the default policy and retries until success", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.retrying, { key: "rtrue", failTimes: 2, retry: true }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toBe("ok after 3");
    expect(await attemptsOf(t, "rtrue")).toBe(3);
  });

  test("the default policy stops after 5 attempts", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.retrying, { key: "r5", failTimes: 100, retry: true }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toContain("flaky r5 failed attempt 5");
    expect(await attemptsOf(t, "r5")).toBe(5);
  });

  test("a custom retry policy limits the attempts", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.retrying, {
        key: "rcustom",
        failTimes: 100,
        retry: { maxAttempts: 2, initialBackoffMs: 10, base: 2 },
      }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toContain("flaky rcustom failed attempt 2");
    expect(await attemptsOf(t, "rcustom")).toBe(2);
  });

  test("retryActionsByDefault with a manager's defaultRetryBehavior; retry: false opts out", async () => {
    const t = initConvexTest();
    const [ok, exhausted, off] = await t.mutation(async (ctx) => [
      await retryingWorkflow.start(ctx, internal.testWorkflows.retryingByDefault, { key: "rd-ok", failTimes: 1 }),
      await retryingWorkflow.start(ctx, internal.testWorkflows.retryingByDefault, { key: "rd-max", failTimes: 100 }),
      await retryingWorkflow.start(ctx, internal.testWorkflows.retryingByDefault, {
        key: "rd-off",
        failTimes: 1,
        retry: false,
      }),
    ]);
    await drain(t);
    expect(await resultOf(t, ok)).toBe("ok after 2");
    expect(await resultOf(t, exhausted)).toContain("flaky rd-max failed attempt 3");
    expect(await resultOf(t, off)).toContain("flaky rd-off failed attempt 1");
    expect(await attemptsOf(t, "rd-ok")).toBe(2);
    expect(await attemptsOf(t, "rd-max")).toBe(3);
    expect(await attemptsOf(t, "rd-off")).toBe(1);
  });

  test("a definition's workpoolOptions win over the manager's", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.retryingPerDefinition, { key: "rdef", failTimes: 100 }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toContain("flaky rdef failed attempt 2");
    expect(await attemptsOf(t, "rdef")).toBe(2);
  });
});

/**
 * Let `ms` of fake time pass in 1s ticks, running whatever becomes due at each tick (and
 * nothing scheduled later), so a test can look at the state before and after a deadline.
 */
async function advance(t: TestConvex, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 1000) {
    vi.advanceTimersByTime(1000);
    await t.finishInProgressScheduledFunctions();
  }
}

describe("scheduling", () => {
  test("runAfter: the step does not run before its time, and runs once it is due", async () => {
    const t = initConvexTest();
    const t0 = Date.now();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.delayed, { key: "after", runAfter: 60_000 }),
    );
    await advance(t, 55_000);
    expect(await effectsOf(t, "after")).toEqual([]);
    expect((await statusOf(t, id)).type).toBe("inProgress");
    await advance(t, 15_000);
    const [effect] = await effectsOf(t, "after");
    expect(effect.value).toBeGreaterThanOrEqual(t0 + 60_000);
    expect(effect.value).toBeLessThanOrEqual(t0 + 70_000);
    await drain(t);
    expect(await resultOf(t, id)).toBe(effect.value);
    expect(await effectsOf(t, "after")).toHaveLength(1);
  });

  test("runAt: the step does not run before the given time, and runs once it is due", async () => {
    const t = initConvexTest();
    const at = Date.now() + 120_000;
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.delayed, { key: "at", runAt: at }),
    );
    await advance(t, 115_000);
    expect(await effectsOf(t, "at")).toEqual([]);
    await advance(t, 10_000);
    const [effect] = await effectsOf(t, "at");
    expect(effect.value).toBeGreaterThanOrEqual(at);
    expect(effect.value).toBeLessThanOrEqual(at + 10_000);
    await drain(t);
    expect(await resultOf(t, id)).toBe(effect.value);
  });

  test("step.sleep pauses the workflow; the default step name is `sleep`", async () => {
    const t = initConvexTest();
    const t0 = Date.now();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.sleeper, { key: "zz", ms: 30_000 }),
    );
    await advance(t, 25_000);
    expect(await effectsOf(t, "zz")).toEqual([]);
    await advance(t, 10_000);
    const [woke] = await effectsOf(t, "zz");
    expect(woke.value).toBeGreaterThanOrEqual(t0 + 30_000);
    expect(woke.value).toBeLessThanOrEqual(t0 + 35_000);
    await advance(t, 20_000);
    expect(await effectsOf(t, "zz")).toHaveLength(1); // the second sleep is not over yet
    await drain(t);
    expect(await resultOf(t, id)).toBeNull();
    const times = (await effectsOf(t, "zz")).map((e) => e.value as number);
    expect(times).toHaveLength(2);
    expect(times[1]).toBeGreaterThanOrEqual(times[0] + 30_000);
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => [s.name, s.kind])).toEqual([
      ["sleep", "sleep"],
      ["testWorkflows:stampEffect", "function"],
      ["nap", "sleep"],
      ["testWorkflows:stampEffect", "function"],
    ]);
  });
});

describe("inline steps", () => {
  test("inline query and mutation steps are journaled as completed and run exactly once", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.inlineSteps, { key: "inl" }));
    // Right after the start: three inline steps done, the sleep pending.
    const first = await stepsOf(t, id);
    expect(first.map((s) => [s.stepNumber, s.kind, s.runResult?.kind])).toEqual([
      [0, "function", "success"],
      [1, "function", "success"],
      [2, "function", "failed"],
      [3, "sleep", undefined],
    ]);
    expect(first[0].runResult).toEqual({ kind: "success", returnValue: 7 });
    expect(first[1].runResult).toEqual({ kind: "success", returnValue: 14 });
    expect(first.slice(0, 3).every((s) => s.completedAt !== undefined)).toBe(true);
    expect((await effectsOf(t, "inl")).map((e) => e.value)).toEqual([14]);
    await drain(t);
    const result = (await resultOf(t, id)) as { q: number; m: number; failure: string };
    expect(result.q).toBe(7);
    expect(result.m).toBe(14);
    expect(result.failure).toContain("failingMutation inl threw");
    // Replays did not run the inline mutation again; the failed one's write was rolled back.
    const effects = await effectsOf(t, "inl");
    expect(effects.map((e) => [e.value, e.workflowId])).toEqual([[14, id]]);
  });

  test("invalid option combinations reject the step call with exact messages, journaling nothing", async () => {
    const t = initConvexTest();
    const cases = [
      ["inlineRunAfter", "Cannot combine `inline` with `runAt` or `runAfter`."],
      ["inlineRunAt", "Cannot combine `inline` with `runAt` or `runAfter`."],
      ["inlineAction", "Cannot run an action inline."],
      ["limits", "Cannot set transaction limits for non-inline functions."],
    ] as const;
    const ids = await t.mutation(async (ctx) => {
      const ids: WorkflowId[] = [];
      for (const [which] of cases) ids.push(await workflow.start(ctx, internal.testWorkflows.badOptions, { which }));
      return ids;
    });
    await drain(t);
    for (const [i, [, message]] of cases.entries()) {
      expect(await resultOf(t, ids[i])).toBe(message);
      expect(await stepsOf(t, ids[i])).toEqual([]);
    }
    expect(await effectsOf(t, "never")).toEqual([]);
  });
});

describe("withOptions and names", () => {
  test("withOptions applies retry and unstableArgs defaults, chained; the original ctx is unchanged", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.withOptionsWorkflow, { key: "wo" }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toBe("attempt 3, plain failed");
    expect(await attemptsOf(t, "wo")).toBe(3);
    expect(await attemptsOf(t, "wo-plain")).toBe(1);
    expect(await effectsOf(t, "wo")).toHaveLength(1);
  });

  test("default step names are the function's name, `sleep`, the child workflow's name", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.named, { key: "nm" }));
    await drain(t);
    expect(await resultOf(t, id)).toBeNull();
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => [s.stepNumber, s.name, s.kind])).toEqual([
      [0, "testWorkflows:echo", "function"],
      [1, "custom-name", "function"],
      [2, "sleep", "sleep"],
      [3, "testWorkflows:double", "function"],
      [4, "testWorkflows:child", "workflow"],
    ]);
    expect(steps.map((s) => s.workflowId)).toEqual(steps.map(() => id));
  });
});
