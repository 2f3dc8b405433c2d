// Executor mode (docs/executor-mode.md): batches of 4-step workflows (query, two parallel
// actions, mutation) run by long-running executors. Exactly-once mutation effects are counted
// as rows in `effects`; action runs as `attempts` rows (actions are at-least-once).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { WorkflowManager, type WorkflowId } from "convex-workflow";
import { v } from "convex/values";
import { components, internal } from "./_generated/api.js";
import {
  closeGate,
  faults,
  faultyWorkflow,
  gate,
  handoffWorkflow,
  openGate,
  resetFaults,
  restlessWorkflow,
  retryingWorkflow,
  sequentialWorkflow,
  workflow,
} from "./executorWorkflows.js";
import { initConvexTest, type TestConvex } from "./setup.testing.js";

// Captured before fake timers are installed: real timers, to wait while functions run.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

type Manager = typeof workflow;
/** `fourStep`, `faultyFourStep` and `handoffFourStep` share this type. */
type Flow = typeof internal.executorWorkflows.fourStep;

/** Starts `count` workflows tagged `${prefix}${i}` with n = i; returns their ids in order. */
async function startMany(t: TestConvex, manager: Manager, flow: Flow, prefix: string, count: number) {
  const ids: WorkflowId[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(await t.mutation((ctx) => manager.start(ctx, flow, { tag: `${prefix}${i}`, n: i })));
  }
  return ids;
}

/** The value `fourStep` computes for n: (10n + 1) + (10n + 2). */
const expected = (n: number) => 20 * n + 3;

async function effectRows(t: TestConvex) {
  return await t.run((ctx) => ctx.db.query("effects").collect());
}

/** Every workflow completed with its value, and its mutation's effect exists exactly once. */
async function expectAllCompletedOnce(t: TestConvex, manager: Manager, ids: WorkflowId[], prefix: string) {
  const rows = await effectRows(t);
  for (let i = 0; i < ids.length; i++) {
    expect(await t.query((ctx) => manager.status(ctx, ids[i])), `workflow ${i}`).toEqual({
      type: "completed",
      result: expected(i),
    });
    const mine = rows.filter((r) => r.key === `exec:${prefix}${i}`);
    expect(mine, `effects of workflow ${i}`).toHaveLength(1);
    expect(mine[0]).toMatchObject({ workflowId: ids[i], value: expected(i) });
  }
  expect(rows.filter((r) => r.key.startsWith(`exec:${prefix}`))).toHaveLength(ids.length);
}

async function actionRuns(t: TestConvex, key: string): Promise<number> {
  const row = await t.run((ctx) =>
    ctx.db
      .query("attempts")
      .withIndex("key", (q) => q.eq("key", key))
      .unique(),
  );
  return row?.count ?? 0;
}

async function diagnose(t: TestConvex, manager: Manager) {
  return await t.query((ctx) => manager.diagnose(ctx));
}

async function totalQueued(t: TestConvex, manager: Manager): Promise<number> {
  return (await diagnose(t, manager)).reduce((n, s) => n + s.queued, 0);
}

/** Wait (in real time, while the clock runs in the background) until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 5_000; i++) {
    if (await condition()) return;
    await realTick();
  }
  openGate();
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * `drain`, failing (instead of hanging the test) if scheduled functions are still running
 * after `realMs` of real time or `maxIterations` rounds: executors or watchdogs that never stop.
 */
async function drainWithin(t: TestConvex, realMs: number, what: string, maxIterations = 10_000): Promise<void> {
  let timer: ReturnType<typeof realSetTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = realSetTimeout(
      () => reject(new Error(`${what}: scheduled functions still running after ${realMs} ms`)),
      realMs,
    );
  });
  try {
    await Promise.race([t.finishAllScheduledFunctions(vi.runAllTimers, maxIterations), timeout]);
  } finally {
    realClearTimeout(timer);
  }
}

/**
 * Let `ms` of fake time pass smoothly, in small steps, letting functions run in between
 * (unlike `drain`, whose `runAllTimers` jumps to the next timer, e.g. a 30 s watchdog).
 */
async function advance(ms: number, stepMs = 50): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(stepMs);
    await realTick();
  }
}

async function statusesOf(t: TestConvex, manager: Manager, ids: WorkflowId[]) {
  return await Promise.all(ids.map((id) => t.query((ctx) => manager.status(ctx, id)).then((s) => s.type)));
}

/** Advance fake time smoothly until none of `ids` is in progress (at most `maxMs`). */
async function advanceUntilFinished(t: TestConvex, manager: Manager, ids: WorkflowId[], maxMs: number): Promise<void> {
  for (let elapsed = 0; elapsed < maxMs; elapsed += 1_000) {
    await advance(1_000, 100);
    if ((await statusesOf(t, manager, ids)).every((s) => s !== "inProgress")) return;
  }
}

/** Keep fake time moving smoothly in the background; call the result to stop. */
function runClock(stepMs = 50): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      await vi.advanceTimersByTimeAsync(stepMs);
      await realTick();
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/**
 * `drain` (fake time jumps from timer to timer, so executors look silent and get restarted
 * by the watchdog: the results must not change), bounded in real time so that a run that
 * never settles fails instead of hanging. Used on its own for batches of 8 workflows; with
 * one or two workflows convex-test's timer jumps can starve a lone executor (restarted
 * every 90 s without finishing a claim), so those tests first let time pass smoothly
 * (`advanceUntilFinished`) and drain only the idle executors.
 */
async function settle(t: TestConvex): Promise<void> {
  await drainWithin(t, 30_000, "settle");
}

describe("executor mode", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetFaults();
    openGate();
    gate.entered = 0;
  });
  afterEach(() => {
    openGate();
    vi.useRealTimers();
  });

  test("a batch of 4-step workflows completes, each mutation's effect exactly once", async () => {
    const t = initConvexTest();
    const epoch = await t.mutation((ctx) => workflow.startExecutors(ctx));
    expect(epoch).toBe(1);
    const ids = await startMany(t, workflow, internal.executorWorkflows.fourStep, "batch", 8);
    await settle(t);
    await expectAllCompletedOnce(t, workflow, ids, "batch");
    for (let i = 0; i < ids.length; i++) {
      expect(await actionRuns(t, `batch${i}:A`)).toBeGreaterThanOrEqual(1);
      expect(await actionRuns(t, `batch${i}:B`)).toBeGreaterThanOrEqual(1);
    }
    // Every step went through the task queue (none through the workpool).
    for (const id of ids) {
      const steps = (await t.query((ctx) => workflow.listSteps(ctx, id))).page;
      expect(steps.map((s) => s.name)).toEqual([
        "executorWorkflows:lookup",
        "executorWorkflows:fetchA",
        "executorWorkflows:fetchB",
        "executorWorkflows:record",
      ]);
      // A task step has no workpool job (0.4.8's `workId` is left unset) ...
      for (const s of steps) expect(s.kind === "function" && s.workId).toBeUndefined();
    }
    // ... and its executor recorded when it began running, which the workpool does not report.
    const timeline = (
      await t.query((ctx) => workflow.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 100 } }))
    ).page;
    const ran = timeline.filter((w) => ids.includes(w.workflowId as WorkflowId));
    expect(ran).toHaveLength(ids.length);
    for (const w of ran)
      for (const s of w.steps) expect(s.startedAt, `${s.name} of ${w.workflowId}`).toEqual(expect.any(Number));
    const shards = await diagnose(t, workflow);
    expect(shards.map((s) => [s.shard, s.shards, s.epoch, s.queued])).toEqual([
      [0, 4, 1, 0],
      [1, 4, 1, 0],
      [2, 4, 1, 0],
      [3, 4, 1, 0],
    ]);
  });

  test("startExecutors called again mid-run: epoch bumps, every effect still exactly once", async () => {
    const t = initConvexTest();
    expect(await t.mutation((ctx) => workflow.startExecutors(ctx))).toBe(1);
    closeGate();
    const ids = await startMany(t, workflow, internal.executorWorkflows.fourStep, "again", 8);
    const stopClock = runClock();
    // Every workflow is mid-run: its query done, its first action running in an executor.
    await until(() => gate.entered >= ids.length, "every fetchA to be running");
    await stopClock();
    expect(await statusesOf(t, workflow, ids)).toEqual(ids.map(() => "inProgress"));
    expect(await t.mutation((ctx) => workflow.startExecutors(ctx))).toBe(2);
    openGate();
    await settle(t);
    await expectAllCompletedOnce(t, workflow, ids, "again");
    const shards = await diagnose(t, workflow);
    expect(shards).toHaveLength(4);
    for (const s of shards) expect(s).toMatchObject({ epoch: 2, queued: 0 });
  });

  test("an executor killed mid-flush loses nothing and records nothing twice", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => faultyWorkflow.startExecutors(ctx));
    faults.flushKills = 3;
    const ids = await startMany(t, faultyWorkflow, internal.executorWorkflows.faultyFourStep, "flush", 8);
    await settle(t);
    expect(faults.flushKilled).toBe(3);
    await expectAllCompletedOnce(t, faultyWorkflow, ids, "flush");
    expect(await totalQueued(t, faultyWorkflow)).toBe(0);
  });

  test("a handoff to a successor mid-run: all complete, no double effects", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => handoffWorkflow.startExecutors(ctx));
    const ids = await startMany(t, handoffWorkflow, internal.executorWorkflows.handoffFourStep, "hand", 6);
    // Smooth time, so the only new instances are handoffs (1 s), not watchdog restarts.
    await advance(5_000);
    await advanceUntilFinished(t, handoffWorkflow, ids, 60_000);
    await settle(t);
    await expectAllCompletedOnce(t, handoffWorkflow, ids, "hand");
    // The successor left the predecessor's in-flight actions alone: each ran once.
    for (let i = 0; i < ids.length; i++) {
      expect(await actionRuns(t, `hand${i}:A`), `hand${i}:A`).toBe(1);
      expect(await actionRuns(t, `hand${i}:B`), `hand${i}:B`).toBe(1);
    }
    const shards = await diagnose(t, handoffWorkflow);
    expect(shards).toHaveLength(2);
    // 6 workflows x 2 actions x 400 ms at concurrency 2 keep a shard busy past 1 s.
    expect(Math.max(...shards.map((s) => s.instance))).toBeGreaterThanOrEqual(1);
    for (const s of shards) expect(s).toMatchObject({ epoch: 1, queued: 0 });
  });

  test("a step throwing WorkflowRateLimitError a few times backs off and completes", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => workflow.startExecutors(ctx));
    const ids: WorkflowId[] = [];
    for (let i = 0; i < 2; i++) {
      ids.push(
        await t.mutation((ctx) =>
          workflow.start(ctx, internal.executorWorkflows.rateLimitedFlow, { tag: `rl${i}`, n: i, times: 3 }),
        ),
      );
    }
    // Back-offs double per strike (1 s, 2 s, 4 s, ...): let time pass smoothly through them.
    await advanceUntilFinished(t, workflow, ids, 5 * 60_000);
    await settle(t);
    const rows = await effectRows(t);
    for (let i = 0; i < ids.length; i++) {
      // (10i + 1) + (10i + 3)
      expect(await t.query((ctx) => workflow.status(ctx, ids[i]))).toEqual({ type: "completed", result: 20 * i + 4 });
      expect(rows.filter((r) => r.key === `exec:rl${i}`)).toHaveLength(1);
      expect(await actionRuns(t, `rl${i}:R`)).toBeGreaterThanOrEqual(4);
      const steps = (await t.query((ctx) => workflow.listSteps(ctx, ids[i]))).page;
      const limited = steps.find((s) => s.name === "executorWorkflows:rateLimited")!;
      expect(limited.runResult).toMatchObject({ kind: "success" });
      // It waited out at least the first back-off (1 s by default).
      expect(limited.completedAt! - limited.startedAt).toBeGreaterThanOrEqual(1_000);
    }
  });

  test("a failing action is retried with a per-step retry policy", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => retryingWorkflow.startExecutors(ctx));
    const id = await t.mutation((ctx) =>
      retryingWorkflow.start(ctx, internal.executorWorkflows.flakyFlow, {
        tag: "explicit",
        failures: 2,
        explicitRetry: true,
      }),
    );
    await advanceUntilFinished(t, retryingWorkflow, [id], 60_000);
    await settle(t);
    expect(await t.query((ctx) => retryingWorkflow.status(ctx, id))).toEqual({ type: "completed", result: 3 });
    expect(await actionRuns(t, "explicit:F")).toBe(3);
    expect((await effectRows(t)).filter((r) => r.key === "exec:explicit")).toHaveLength(1);
    // The executor records how many times the step ran; the timeline reports it.
    const [row] = (
      await t.query((ctx) => retryingWorkflow.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 1 } }))
    ).page;
    expect(row.steps.map((s) => [s.name, s.attempts])).toEqual([
      ["executorWorkflows:flaky", 3],
      ["executorWorkflows:record", null],
    ]);
  });

  test("a failing action is retried by the manager's retryActionsByDefault policy", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => retryingWorkflow.startExecutors(ctx));
    const id = await t.mutation((ctx) =>
      retryingWorkflow.start(ctx, internal.executorWorkflows.flakyFlow, {
        tag: "default",
        failures: 2,
        explicitRetry: false,
      }),
    );
    await advanceUntilFinished(t, retryingWorkflow, [id], 60_000);
    await settle(t);
    // As in standard mode, `retryActionsByDefault` + `defaultRetryBehavior` (3 attempts) apply.
    expect(await t.query((ctx) => retryingWorkflow.status(ctx, id))).toEqual({ type: "completed", result: 3 });
    expect(await actionRuns(t, "default:F")).toBe(3);
  });

  test("a batch mixing a task with a sleep and an event goes on only when all three are done", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => workflow.startExecutors(ctx));
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.executorWorkflows.mixedBatch, { tag: "mix", n: 5 }),
    );
    // The action and the sleep finish; the event has not been sent.
    await advance(5_000, 100);
    const steps = (await t.query((ctx) => workflow.listSteps(ctx, id))).page;
    expect(steps.map((s) => [s.name, s.runResult?.kind ?? "inProgress"])).toEqual([
      ["executorWorkflows:fetchB", "success"],
      ["sleep", "success"],
      ["bonus", "inProgress"],
    ]);
    expect(await t.query((ctx) => workflow.status(ctx, id))).toMatchObject({ type: "inProgress" });
    expect((await effectRows(t)).filter((r) => r.key === "exec:mix")).toHaveLength(0);
    // The manual nudge does nothing while a step is in flight.
    const nudge = () =>
      t.mutation((ctx) => ctx.runMutation(components.workflow.executor.coordinator.replayIfReady, { workflowId: id }));
    expect(await nudge()).toBe(false);

    await t.mutation((ctx) =>
      workflow.sendEvent(ctx, { workflowId: id, name: "bonus", validator: v.number(), value: 100 }),
    );
    // Ready now, with its replay already scheduled: two more nudges queue two more replays,
    // which must find the workflow moved on and change nothing.
    expect(await nudge()).toBe(true);
    expect(await nudge()).toBe(true);
    await advanceUntilFinished(t, workflow, [id], 30_000);
    await settle(t);
    expect(await t.query((ctx) => workflow.status(ctx, id))).toEqual({ type: "completed", result: 107 });
    expect((await effectRows(t)).filter((r) => r.key === "exec:mix")).toHaveLength(1);
    const after = (await t.query((ctx) => workflow.listSteps(ctx, id))).page;
    expect(after.map((s) => s.name)).toEqual([
      "executorWorkflows:fetchB",
      "sleep",
      "bonus",
      "executorWorkflows:record",
    ]);
  });

  test("sequential steps follow each other promptly, not at the idle claim interval", async () => {
    const t = initConvexTest();
    // No startExecutors: the first task starts the shard's executor, whose first claim finds it.
    // Afterwards it claims once a minute when idle, so each next step must be claimed in the
    // short burst of claims that follows the flush that let the workflow go on.
    const steps = 8;
    const started = Date.now();
    const id = await t.mutation((ctx) =>
      sequentialWorkflow.start(ctx, internal.executorWorkflows.sequentialFlow, { steps }),
    );
    await advanceUntilFinished(t, sequentialWorkflow, [id], 60_000);
    const page = (await t.query((ctx) => sequentialWorkflow.listSteps(ctx, id))).page;
    expect(page).toHaveLength(steps);
    const perStep = (page[steps - 1].completedAt! - started) / steps;
    expect(perStep).toBeLessThan(5_000); // ~150 ms here; 60 s if it waited for the idle claim
    await settle(t);
    // (0 + 2) + (1 + 2) + ... + (7 + 2)
    expect(await t.query((ctx) => sequentialWorkflow.status(ctx, id))).toEqual({
      type: "completed",
      result: 28 + 2 * steps,
    });
  });

  test("a workflow that fails right after starting a step cancels that step and its task", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => workflow.startExecutors(ctx));
    closeGate(); // if fetchA ever ran, it would wait here
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.executorWorkflows.givesUpEarly, { tag: "ge", n: 1 }),
    );
    await advanceUntilFinished(t, workflow, [id], 30_000);
    openGate();
    await settle(t);
    const status = await t.query((ctx) => workflow.status(ctx, id));
    expect(status.type).toBe("failed");
    expect((status as { error: string }).error).toMatch(/^Error: gave up on ge/);
    const steps = (await t.query((ctx) => workflow.listSteps(ctx, id))).page;
    expect(steps.map((s) => [s.name, s.runResult?.kind])).toEqual([
      ["executorWorkflows:lookup", "success"],
      ["executorWorkflows:fetchA", "canceled"],
    ]);
    expect(await totalQueued(t, workflow)).toBe(0);
    expect(await actionRuns(t, "ge:A")).toBe(0);
  });

  test("an executor waiting on a slow step backs off its claims instead of claiming every 50 ms", async () => {
    const t = initConvexTest();
    // No startExecutors: only the shard with work gets an executor.
    const id = await t.mutation((ctx) =>
      faultyWorkflow.start(ctx, internal.executorWorkflows.slowStep, { ms: 20_000 }),
    );
    await advanceUntilFinished(t, faultyWorkflow, [id], 60_000);
    expect(await t.query((ctx) => faultyWorkflow.status(ctx, id))).toEqual({ type: "completed", result: 20_000 });
    // 20 s busy: every 50 ms would be 400 claims; doubling up to the 1 s idle interval is ~25.
    expect(faults.claims).toBeLessThan(60);
    await settle(t);
  });

  test("cancel mid-run: its mutation never runs, its tasks are removed, the others complete", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => workflow.startExecutors(ctx));
    closeGate();
    const ids = await startMany(t, workflow, internal.executorWorkflows.fourStep, "cx", 4);
    const stopClock = runClock();
    // Wait until each workflow's fetchB is recorded and its fetchA is running: then the
    // queue holds exactly the four fetchA tasks.
    await until(async () => {
      if (gate.entered < ids.length) return false;
      for (const id of ids) {
        const steps = (await t.query((ctx) => workflow.listSteps(ctx, id))).page;
        if (steps.find((s) => s.name === "executorWorkflows:fetchB")?.runResult?.kind !== "success") return false;
      }
      return true;
    }, "every fetchB recorded");
    await stopClock();
    expect(await totalQueued(t, workflow)).toBe(4);
    await t.mutation((ctx) => workflow.cancel(ctx, ids[0]));
    expect(await totalQueued(t, workflow)).toBe(3); // its running fetchA's task is gone
    openGate(); // its fetchA now finishes: the late result must be ignored
    await advanceUntilFinished(t, workflow, ids, 60_000);
    await settle(t);

    expect(await t.query((ctx) => workflow.status(ctx, ids[0]))).toEqual({ type: "canceled" });
    const canceledSteps = (await t.query((ctx) => workflow.listSteps(ctx, ids[0]))).page;
    expect(canceledSteps.map((s) => [s.name, s.runResult?.kind])).toEqual([
      ["executorWorkflows:lookup", "success"],
      ["executorWorkflows:fetchA", "canceled"],
      ["executorWorkflows:fetchB", "success"],
    ]);
    const rows = await effectRows(t);
    expect(rows.filter((r) => r.key === "exec:cx0")).toHaveLength(0);
    for (let i = 1; i < ids.length; i++) {
      expect(await t.query((ctx) => workflow.status(ctx, ids[i]))).toEqual({ type: "completed", result: expected(i) });
      expect(rows.filter((r) => r.key === `exec:cx${i}`)).toHaveLength(1);
    }
    for (const s of await diagnose(t, workflow)) expect(s.queued).toBe(0);
  });

  test("restart re-runs the chosen steps through the executor; cleanup leaves no task behind", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => workflow.startExecutors(ctx));
    const [id] = await startMany(t, workflow, internal.executorWorkflows.fourStep, "rs", 1);
    await advanceUntilFinished(t, workflow, [id], 60_000);
    expect(await t.query((ctx) => workflow.status(ctx, id))).toEqual({ type: "completed", result: expected(0) });

    // From step 1 (fetchA): both actions and the mutation run again, the query does not.
    await t.mutation((ctx) => workflow.restart(ctx, id, { from: 1 }));
    await advanceUntilFinished(t, workflow, [id], 60_000);
    await settle(t);
    expect(await t.query((ctx) => workflow.status(ctx, id))).toEqual({ type: "completed", result: expected(0) });
    expect(await actionRuns(t, "rs0:A")).toBe(2);
    expect(await actionRuns(t, "rs0:B")).toBe(2);
    expect((await effectRows(t)).filter((r) => r.key === "exec:rs0")).toHaveLength(2);
    expect(await totalQueued(t, workflow)).toBe(0);

    // A workflow canceled while its fetchA runs: its queued task goes with the cancel, cleanup
    // removes the rest, and the action's late result is dropped.
    closeGate();
    const [late] = await startMany(t, workflow, internal.executorWorkflows.fourStep, "cl", 1);
    const stopClock = runClock();
    await until(() => gate.entered >= 1, "fetchA running");
    await stopClock();
    await t.mutation((ctx) => workflow.cancel(ctx, late));
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, late))).toBe(true);
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, id))).toBe(true);
    openGate();
    await advance(2_000, 100);
    await settle(t);
    await expect(t.query((ctx) => workflow.status(ctx, late))).rejects.toThrow(/Workflow not found/);
    await expect(t.query((ctx) => workflow.status(ctx, id))).rejects.toThrow(/Workflow not found/);
    expect(await totalQueued(t, workflow)).toBe(0);
    expect((await effectRows(t)).filter((r) => r.key === "exec:cl0")).toHaveLength(0);
  });

  test("a mutation group whose transaction fails is retried step by step, then recorded as failed", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => faultyWorkflow.startExecutors(ctx));
    // Two failures: the steps are retried alone after a back-off and each runs exactly once.
    faults.mutationGroupFails = 2;
    const ids = await startMany(t, faultyWorkflow, internal.executorWorkflows.faultyFourStep, "mb", 4);
    await advanceUntilFinished(t, faultyWorkflow, ids, 60_000);
    expect(faults.mutationGroupFailed).toBe(2);
    await expectAllCompletedOnce(t, faultyWorkflow, ids, "mb");

    // A transaction that always fails: after 3 attempts alone the step fails with the reason,
    // and its workflow fails instead of waiting forever.
    faults.mutationGroupFails = 1_000;
    faults.mutationGroupFailed = 0;
    const [stuck] = await startMany(t, faultyWorkflow, internal.executorWorkflows.faultyFourStep, "mx", 1);
    await advanceUntilFinished(t, faultyWorkflow, [stuck], 60_000);
    faults.mutationGroupFails = 0;
    await settle(t);
    expect(faults.mutationGroupFailed).toBe(3);
    const status = await t.query((ctx) => faultyWorkflow.status(ctx, stuck));
    expect(status.type).toBe("failed");
    expect((status as { error: string }).error).toMatch(
      /^Error: Mutation step executorWorkflows:record could not be run after 3 attempts: Error: faultyExecutor: the transaction of 1 mutation steps failed/,
    );
    expect((await effectRows(t)).filter((r) => r.key === "exec:mx0")).toHaveLength(0);
    expect(await totalQueued(t, faultyWorkflow)).toBe(0);
  });

  test("a dead shard is restarted by the watchdog, without calling startExecutors again", async () => {
    const t = initConvexTest();
    expect(await t.mutation((ctx) => faultyWorkflow.startExecutors(ctx))).toBe(1);
    await settle(t); // no work: the executors exit when idle
    expect((await diagnose(t, faultyWorkflow)).map((s) => s.running)).toEqual([false, false, false, false]);

    // Work arrives: executors start on demand for the shards that have it; the first to
    // claim dies there.
    faults.claimKills = 1;
    const ids = await startMany(t, faultyWorkflow, internal.executorWorkflows.faultyFourStep, "dog", 8);
    await advance(45_000);
    expect(faults.claimKilled).toBe(1);
    const stuck = (await diagnose(t, faultyWorkflow)).filter((s) => s.queued > 0);
    expect(stuck).toHaveLength(1); // the dead shard still holds its work...
    const statuses = await statusesOf(t, faultyWorkflow, ids);
    expect(statuses.filter((s) => s === "inProgress").length).toBeGreaterThan(0); // ...and its workflows wait
    expect(statuses.filter((s) => s === "completed").length).toBeGreaterThan(0); // the live shards finished

    // The shard's watchdog looks again 90 s after the last heartbeat, finds the executor
    // silent for over 60 s with work queued, and starts another.
    await advance(55_000);
    await advanceUntilFinished(t, faultyWorkflow, ids, 60_000);
    await settle(t);
    await expectAllCompletedOnce(t, faultyWorkflow, ids, "dog");
    const shards = await diagnose(t, faultyWorkflow);
    for (const s of shards) expect(s.epoch).toBe(1); // no startExecutors since
    // A new instance on the dead shard: the watchdog's (nothing else touched that shard).
    expect(shards.find((s) => s.shard === stuck[0].shard)!.instance).toBeGreaterThan(stuck[0].instance);
    expect(await totalQueued(t, faultyWorkflow)).toBe(0);
  });

  test("a dead executor on a shard with no work is not watched forever", async () => {
    const t = initConvexTest();
    faults.claimKills = 4; // every shard's executor dies at its first claim
    await t.mutation((ctx) => faultyWorkflow.startExecutors(ctx));
    // Must settle: nothing to do, nothing to restart (a few watchdog rounds at most).
    await drainWithin(t, 10_000, "dead idle shards", 200);
    expect(faults.claimKilled).toBe(4);
    const shards = await diagnose(t, faultyWorkflow);
    expect(shards.map((s) => s.running)).toEqual([false, false, false, false]);
    // Work arriving later still gets an executor.
    const ids = await startMany(t, faultyWorkflow, internal.executorWorkflows.faultyFourStep, "late", 3);
    await advanceUntilFinished(t, faultyWorkflow, ids, 120_000);
    await settle(t);
    await expectAllCompletedOnce(t, faultyWorkflow, ids, "late");
  });

  test("idle executors stop even when their handoff comes before their idle exit", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => restlessWorkflow.startExecutors(ctx));
    // Expected: an executor with nothing to do exits (after 10 s idle) rather than handing
    // an empty shard to a successor every second, forever.
    await drainWithin(t, 10_000, "idle executors handing off");
    const [shard] = await diagnose(t, restlessWorkflow);
    expect(shard).toMatchObject({ shards: 1, running: false, queued: 0 });
  });

  test("diagnose reports the configured shard count (4)", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => workflow.startExecutors(ctx));
    expect((await diagnose(t, workflow)).map((s) => [s.shard, s.shards, s.epoch, s.running, s.queued])).toEqual([
      [0, 4, 1, true, 0],
      [1, 4, 1, true, 0],
      [2, 4, 1, true, 0],
      [3, 4, 1, true, 0],
    ]);
    await settle(t);
    // With nothing to do, every executor has exited.
    expect((await diagnose(t, workflow)).map((s) => s.running)).toEqual([false, false, false, false]);
  });

  test("diagnose counts each queue up to countUpTo and says when there are more", async () => {
    const t = initConvexTest();
    // One shard; the executor started for the first task has not run yet: all three wait.
    for (let i = 0; i < 3; i++) {
      await t.mutation((ctx) => sequentialWorkflow.start(ctx, internal.executorWorkflows.sequentialFlow, { steps: 1 }));
    }
    expect(await t.query((ctx) => sequentialWorkflow.diagnose(ctx))).toMatchObject([
      { shard: 0, shards: 1, queued: 3, queuedIsLowerBound: false },
    ]);
    expect(await t.query((ctx) => sequentialWorkflow.diagnose(ctx, { countUpTo: 2 }))).toMatchObject([
      { shard: 0, queued: 2, queuedIsLowerBound: true },
    ]);
    for (const countUpTo of [0, 1.5, 1001]) {
      await expect(t.query((ctx) => sequentialWorkflow.diagnose(ctx, { countUpTo }))).rejects.toThrow(
        `diagnose: countUpTo must be a whole number from 1 to 1000, got ${countUpTo}`,
      );
    }
  });

  test("diagnose reports the configured shard count (2)", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => handoffWorkflow.startExecutors(ctx));
    expect((await diagnose(t, handoffWorkflow)).map((s) => [s.shard, s.shards])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    await drainWithin(t, 10_000, "idle executors");
  });

  test("configuration errors are clear", async () => {
    const handler = async () => 1;
    expect(() => workflow.action("fetchA", { args: {}, handler })).toThrow(/"fetchA" is already registered/);
    const manager = new WorkflowManager(components.workflow, { executorShards: 1 });
    manager.action("once", { args: {}, handler });
    expect(() => manager.action("once", { args: {}, handler })).toThrow(/already registered/);

    for (const executorShards of [0, -1, 1.5, 257]) {
      expect(() => new WorkflowManager(components.workflow, { executorShards })).toThrow(
        /executorShards must be a whole number from 1 to 256/,
      );
    }

    const t = initConvexTest();
    await expect(t.mutation((ctx) => manager.startExecutors(ctx))).rejects.toThrow(/setExecutorRef/);
    const standard = new WorkflowManager(components.workflow);
    await expect(t.mutation((ctx) => standard.startExecutors(ctx))).rejects.toThrow(/executorShards/);
  });
});
