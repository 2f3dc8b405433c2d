// Changing a workflow while runs are in flight (SPEC 4.1, docs/versioning.md), through the
// public API: versions on runs and journal entries, step.journal (getVersion, getStepCount,
// consumeNext), the mismatch error, nested versions, continueAsNew (standard and executor mode).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { exportJournal, type ExportedJournal, type WorkflowId, type WorkflowStep } from "convex-workflow";
import { replayJournal } from "convex-workflow/test";
import { components, internal } from "./_generated/api.js";
import {
  deployed,
  execVersioned,
  orderBrokenV2,
  orderV1,
  orderV2,
  poller,
  skipper,
  versioned,
} from "./versioningWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const onComplete = internal.versioningWorkflows.onComplete;

async function stepsOf(t: TestConvex, id: WorkflowId): Promise<WorkflowStep[]> {
  const result = await t.query((ctx) =>
    versioned.listSteps(ctx, id, { paginationOpts: { cursor: null, numItems: 1000 } }),
  );
  expect(result.isDone).toBe(true);
  return result.page;
}

async function componentStatus(t: TestConvex, id: WorkflowId) {
  return await t.query(components.workflow.workflow.getStatus, { workflowId: id });
}

async function send(t: TestConvex, workflowId: WorkflowId, name: string) {
  await t.mutation((ctx) => versioned.sendEvent(ctx, { workflowId, name }));
}

async function effectsOf(t: TestConvex, key: string): Promise<unknown[]> {
  const rows = await t.run((ctx) =>
    ctx.db
      .query("effects")
      .withIndex("key", (q) => q.eq("key", key))
      .collect(),
  );
  return rows.map((r) => r.value);
}

async function completionsOf(t: TestConvex, workflowId: WorkflowId) {
  const rows = await t.run((ctx) => ctx.db.query("completions").collect());
  return rows.filter((row) => row.workflowId === workflowId);
}

function resetDeploy() {
  Object.assign(deployed, { order: 1, broken: 1, skipper: "record" });
}

describe("versioning", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetDeploy();
  });
  afterEach(() => {
    vi.useRealTimers();
    resetDeploy();
  });

  test("v1 runs in flight complete after the code moves to v2 (step added, removed, changed); new runs take the v2 path", async () => {
    const t = initConvexTest();
    const start = (key: string) =>
      t.mutation((ctx) => versioned.start(ctx, internal.versioningWorkflows.order, { key, amount: 100 }));
    // Version 1 is deployed. Run A gets as far as "packed" (charge and audit recorded), run B
    // waits for "paid" (only reserve recorded).
    const a = await start("A");
    await drain(t);
    await send(t, a, "paid");
    await drain(t);
    const b = await start("B");
    await drain(t);
    expect((await stepsOf(t, a)).map((s) => s.version)).toEqual([1, 1, 1, 1, 1]);
    expect((await componentStatus(t, a)).workflow.version).toBe(1);

    // The deploy: version 2 from now on. Run C starts on it.
    deployed.order = 2;
    const c = await start("C");
    await drain(t);
    expect((await componentStatus(t, c)).workflow.version).toBe(2);
    for (const id of [b, c]) await send(t, id, "paid");
    await drain(t);
    for (const id of [a, b, c]) await send(t, id, "packed");
    await drain(t);

    // A replays what v1 recorded (charge, then its audit skipped with consumeNext); B recorded
    // only `reserve` under v1, so everything after it is new history: the v2 path; C is v2.
    expect(await t.query((ctx) => versioned.status(ctx, a))).toEqual({
      type: "completed",
      result: ["reserve", "charge", "ship"],
    });
    expect(await t.query((ctx) => versioned.status(ctx, b))).toEqual({
      type: "completed",
      result: ["reserve", "chargeTaxed", "ship"],
    });
    expect(await t.query((ctx) => versioned.status(ctx, c))).toEqual({
      type: "completed",
      result: ["reserve", "fraudCheck", "chargeTaxed", "ship"],
    });
    // Every step ran once; the audit A recorded under v1 is never run again.
    expect(await effectsOf(t, "A")).toEqual(["reserve", "charge:100", "legacyAudit", "ship"]);
    expect(await effectsOf(t, "B")).toEqual(["reserve", "chargeTaxed:120", "ship"]);
    expect(await effectsOf(t, "C")).toEqual(["reserve", "fraudCheck", "chargeTaxed:120", "ship"]);
    // Each journal entry carries the version that journaled it; each run the version it began with.
    expect((await stepsOf(t, a)).map((s) => s.version)).toEqual([1, 1, 1, 1, 1, 2]);
    expect((await stepsOf(t, b)).map((s) => s.version)).toEqual([1, 1, 2, 2, 2]);
    expect((await stepsOf(t, c)).every((s) => s.version === 2)).toBe(true);
    const listed = (await t.query((ctx) => versioned.list(ctx))).page;
    expect(Object.fromEntries(listed.map((w) => [w.workflowId, w.version]))).toEqual({ [a]: 1, [b]: 1, [c]: 2 });
    const timeline = (
      await t.query((ctx) => versioned.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 10 } }))
    ).page;
    const rowA = timeline.find((w) => w.workflowId === a)!;
    expect(rowA.version).toBe(1);
    expect(rowA.steps.map((s) => s.version)).toEqual([1, 1, 1, 1, 1, 2]);
  });

  test("a v1 run restarted after the deploy replays its kept v1 entries through the v2 branches", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(ctx, internal.versioningWorkflows.order, { key: "RS", amount: 7 }),
    );
    await drain(t);
    await send(t, id, "paid");
    await drain(t);
    await send(t, id, "packed");
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({
      type: "completed",
      result: ["reserve", "charge", "legacyAudit", "ship"],
    });
    deployed.order = 2;
    // Restart from the last step: the v1 entries before it are kept and replayed by v2's code.
    await t.mutation((ctx) => versioned.restart(ctx, id, { from: 5 }));
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({
      type: "completed",
      result: ["reserve", "charge", "ship"],
    });
    expect((await stepsOf(t, id)).map((s) => s.version)).toEqual([1, 1, 1, 1, 1, 2]);
    expect(await effectsOf(t, "RS")).toEqual(["reserve", "charge:7", "legacyAudit", "ship", "ship"]);
  });

  test("a deploy that changes a recorded step without branching fails the run with a mismatch naming both versions", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(ctx, internal.versioningWorkflows.orderBroken, { key: "X", amount: 5 }),
    );
    await drain(t);
    await send(t, id, "paid");
    await drain(t);
    deployed.broken = 2;
    // Blast radius: another workflow, started after the bad deploy, is unaffected.
    const other = await t.mutation((ctx) =>
      versioned.start(ctx, internal.versioningWorkflows.parent, { key: "unrelated" }),
    );
    await send(t, id, "packed");
    await drain(t);
    const status = await t.query((ctx) => versioned.status(ctx, id));
    expect(status.type).toBe("failed");
    const error = status.type === "failed" ? status.error : "";
    expect(error.startsWith("Journal entry mismatch: step 2 was recorded as")).toBe(true);
    expect(error).toContain(
      'Step 2: recorded {"name":"versioningWorkflows:record","kind":"function"} at version 1; ' +
        'requested {"name":"versioningWorkflows:record","kind":"function"} at current version 2.',
    );
    expect(error).toContain("branch on `step.journal.getVersion()`");
    expect(await t.query((ctx) => versioned.status(ctx, other))).toEqual({
      type: "completed",
      result: { parent: 3, child: 5 },
    });
  });

  test("nested workflows keep their own version", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => versioned.start(ctx, internal.versioningWorkflows.parent, { key: "N" }));
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({
      type: "completed",
      result: { parent: 3, child: 5 },
    });
    expect((await componentStatus(t, id)).workflow.version).toBe(3);
    const [childStep] = await stepsOf(t, id);
    expect(childStep).toMatchObject({ kind: "workflow", version: 3 });
    const childId = childStep.kind === "workflow" ? childStep.nestedWorkflowId : ("" as WorkflowId);
    expect((await componentStatus(t, childId)).workflow.version).toBe(5);
    expect((await stepsOf(t, childId)).map((s) => s.version)).toEqual([5]);
  });

  test("getStepCount counts requests; consumeNext past the recorded history or with the wrong name fails clearly", async () => {
    const t = initConvexTest();
    const start = () => t.mutation((ctx) => versioned.start(ctx, internal.versioningWorkflows.skipper, { key: "S" }));
    // Counts: before any step, after one, after the await.
    const ok = await start();
    await drain(t);
    await send(t, ok, "go");
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, ok))).toEqual({ type: "completed", result: [0, 1, 2] });

    // Past the end: a new run has no recorded history to skip.
    deployed.skipper = "pastEnd";
    const pastEnd = await start();
    const failed = await t.query((ctx) => versioned.status(ctx, pastEnd));
    expect(failed.type).toBe("failed");
    expect(failed.type === "failed" && failed.error).toMatch(
      new RegExp(
        `^Error: step\\.journal\\.consumeNext\\(\\): no recorded step left to skip: step 0 of workflow ${pastEnd} is past its recorded history`,
      ),
    );

    // The wrong name: the run recorded `record`, the new code skips "somethingElse".
    deployed.skipper = "record";
    const wrong = await start();
    await drain(t);
    deployed.skipper = "wrongName";
    await send(t, wrong, "go");
    await drain(t);
    const wrongStatus = await t.query((ctx) => versioned.status(ctx, wrong));
    expect(wrongStatus.type === "failed" && wrongStatus.error).toMatch(
      new RegExp(
        `^Error: step\\.journal\\.consumeNext\\("versioningWorkflows:somethingElse"\\): step 0 of workflow ${wrong} was recorded as ` +
          `\\{"name":"versioningWorkflows:record","kind":"function"\\} \\(version 0\\), not "versioningWorkflows:somethingElse"`,
      ),
    );
    // Nothing was skipped or run twice by the failed replays.
    expect(await effectsOf(t, "S")).toEqual(["first", "first"]);
  });

  test("a polling loop runs 10,000 iterations through continueAsNew: same id, one onComplete, small journal", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(
        ctx,
        internal.versioningWorkflows.poller,
        { iteration: 0, total: 10_000, every: 100 },
        { onComplete, context: "poll" },
      ),
    );
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({
      type: "completed",
      result: { iterations: 10_000, lastRunSteps: 100 },
    });
    const { workflow } = await componentStatus(t, id);
    expect(workflow).toMatchObject({ runNumber: 100, generationNumber: 99, args: { iteration: 9_900 } });
    // Only the last run's journal is left.
    expect(await stepsOf(t, id)).toHaveLength(100);
    const completions = await completionsOf(t, id);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ context: "poll", result: { kind: "success" } });
    const listed = (await t.query((ctx) => versioned.list(ctx))).page;
    expect(listed).toEqual([expect.objectContaining({ workflowId: id, runNumber: 100 })]);
    expect(await t.query(components.workflow.stats.counts, {})).toMatchObject({
      // Still one workflow: a continued run is neither a finish nor a start.
      total: { running: 0, success: 1, failed: 0, canceled: 0 },
    });
  }, 120_000);

  test("cancel during a continued run ends it once; restart re-runs the current run", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(ctx, internal.versioningWorkflows.waitingLoop, { key: "W", run: 1 }, { onComplete, context: 1 }),
    );
    await drain(t);
    const running = await componentStatus(t, id);
    expect(running.workflow).toMatchObject({ runNumber: 2, args: { key: "W", run: 2 } });
    expect(running.workflow.runResult).toBeUndefined();
    expect(await completionsOf(t, id)).toHaveLength(0);
    expect((await stepsOf(t, id)).map((s) => s.name)).toEqual(["versioningWorkflows:record", "go"]);

    await t.mutation((ctx) => versioned.cancel(ctx, id));
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({ type: "canceled" });
    const canceled = await completionsOf(t, id);
    expect(canceled).toHaveLength(1);
    expect(canceled[0].result).toEqual({ kind: "canceled" });

    // Restart (from the canceled await) replays the run it was in (run 2), not the first one.
    await t.mutation((ctx) => versioned.restart(ctx, id, { from: "go" }));
    await drain(t);
    await send(t, id, "go");
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({ type: "completed", result: 2 });
    expect((await componentStatus(t, id)).workflow.runNumber).toBe(2);
    expect(await effectsOf(t, "W")).toEqual(["run1", "run2"]);
  });

  test("a nested workflow that continues as new: the parent gets its last run's result, once", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(
        ctx,
        internal.versioningWorkflows.pollerParent,
        { total: 250, every: 100 },
        { onComplete, context: "n" },
      ),
    );
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({
      type: "completed",
      result: { iterations: 250, lastRunSteps: 50 },
    });
    const steps = await stepsOf(t, id);
    expect(steps).toHaveLength(1);
    const [childStep] = steps;
    expect(childStep).toMatchObject({ kind: "workflow", runResult: { kind: "success" } });
    const childId = childStep.kind === "workflow" ? childStep.nestedWorkflowId : ("" as WorkflowId);
    expect((await componentStatus(t, childId)).workflow).toMatchObject({ runNumber: 3, parent: expect.anything() });
    expect(await stepsOf(t, childId)).toHaveLength(50);
    expect(await completionsOf(t, id)).toHaveLength(1);
    expect(await t.query(components.workflow.stats.counts, {})).toMatchObject({
      total: { running: 0, success: 2, failed: 0, canceled: 0 },
    });
  });

  test("canceling the parent of a nested workflow in a continued run cancels the child once", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(ctx, internal.versioningWorkflows.waitingParent, { key: "P" }, { onComplete, context: "p" }),
    );
    await drain(t);
    const [childStep] = await stepsOf(t, id);
    const childId = childStep.kind === "workflow" ? childStep.nestedWorkflowId : ("" as WorkflowId);
    expect((await componentStatus(t, childId)).workflow).toMatchObject({ runNumber: 2, args: { key: "P", run: 2 } });
    await t.mutation((ctx) => versioned.cancel(ctx, id));
    await drain(t);
    expect(await t.query((ctx) => versioned.status(ctx, id))).toEqual({ type: "canceled" });
    expect(await t.query((ctx) => versioned.status(ctx, childId))).toEqual({ type: "canceled" });
    expect(await completionsOf(t, id)).toHaveLength(1);
    expect(await effectsOf(t, "P")).toEqual(["run1", "run2"]);
    expect(await t.query(components.workflow.stats.counts, {})).toMatchObject({
      total: { running: 0, success: 0, failed: 0, canceled: 2 },
    });
  });

  test("continueAsNew checks the new args against the definition's validator, in the handler", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => versioned.start(ctx, internal.versioningWorkflows.badContinue, { n: 1 }));
    const status = await t.query((ctx) => versioned.status(ctx, id));
    expect(status.type === "completed" && status.result).toMatch(
      /^step\.continueAsNew: the new run's args do not match the workflow's `args`/,
    );
    expect((await componentStatus(t, id)).workflow.runNumber).toBeUndefined();
  });

  test("a version that is not a whole number from 0 up is refused when the workflow is defined", () => {
    for (const version of [-1, 1.5, "2", Number.NaN]) {
      expect(() => versioned.define({ args: {}, version: version as number, handler: async () => null })).toThrow(
        /^workflow\.define `version` must be a whole number from 0 to 9007199254740991, got /,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------
// Executor mode: the batched replay path.

const realSetTimeout = globalThis.setTimeout;
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

describe("versioning in executor mode", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("continueAsNew and step.journal work on the batched replay path", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => execVersioned.startExecutors(ctx));
    const id = await t.mutation((ctx) =>
      execVersioned.start(ctx, internal.versioningWorkflows.execLoop, { iteration: 0, total: 9, every: 3 }),
    );
    for (let i = 0; i < 600; i++) {
      await vi.advanceTimersByTimeAsync(100);
      await realTick();
      if ((await t.query((ctx) => execVersioned.status(ctx, id))).type !== "inProgress") break;
    }
    expect(await t.query((ctx) => execVersioned.status(ctx, id))).toEqual({
      type: "completed",
      result: { iterations: 9, version: 7, stepCount: 3 },
    });
    const { workflow } = await componentStatus(t, id);
    expect(workflow).toMatchObject({ runNumber: 3, version: 7 });
    expect((await stepsOf(t, id)).map((s) => s.version)).toEqual([7, 7, 7]);
    await drain(t);
  }, 60_000);

  test("cancel during a continued run in executor mode: canceled once, onComplete once", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => execVersioned.startExecutors(ctx));
    const id = await t.mutation((ctx) =>
      execVersioned.start(ctx, internal.versioningWorkflows.execWaitingLoop, { run: 1 }, { onComplete, context: "x" }),
    );
    const waiting = async () => {
      const { workflow } = await componentStatus(t, id);
      const steps = await stepsOf(t, id);
      return workflow.runNumber === 2 && steps.some((s) => s.name === "go");
    };
    for (let i = 0; i < 600 && !(await waiting()); i++) {
      await vi.advanceTimersByTimeAsync(100);
      await realTick();
    }
    expect(await waiting()).toBe(true);
    await t.mutation((ctx) => execVersioned.cancel(ctx, id));
    await drain(t);
    expect(await t.query((ctx) => execVersioned.status(ctx, id))).toEqual({ type: "canceled" });
    const completions = await completionsOf(t, id);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ context: "x", result: { kind: "canceled" } });
    expect((await componentStatus(t, id)).workflow.runNumber).toBe(2);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------
// Replay tests for users: exportJournal + replayJournal (convex-workflow/test).

describe("replayJournal and exportJournal", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetDeploy();
  });
  afterEach(() => {
    vi.useRealTimers();
    resetDeploy();
  });

  test("a journal recorded by v1 replays under the branching v2 and fails under the broken v2", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(ctx, internal.versioningWorkflows.order, { key: "R", amount: 10 }),
    );
    await drain(t);
    await send(t, id, "paid");
    await drain(t);
    // A running workflow: the recording ends with the await it is waiting on.
    const running = await t.query((ctx) => versioned.exportJournal(ctx, id));
    expect(running).toMatchObject({ workflowId: id, args: { key: "R", amount: 10 }, version: 1, runNumber: 1 });
    expect(running.steps.map((s) => [s.name, s.version, s.runResult === undefined])).toEqual([
      ["versioningWorkflows:record", 1, false],
      ["paid", 1, false],
      ["versioningWorkflows:record", 1, false],
      ["versioningWorkflows:record", 1, false],
      ["packed", 1, true],
    ]);
    await send(t, id, "packed");
    await drain(t);
    // The standalone form, and a JSON round trip (what a fixture file holds).
    const finished = JSON.parse(
      JSON.stringify(await t.query((ctx) => exportJournal(ctx, components.workflow, id))),
    ) as ExportedJournal;
    expect(finished.steps).toHaveLength(6);

    for (const recorded of [running, finished]) {
      await expect(replayJournal(orderV1, recorded)).resolves.toBeUndefined();
      await expect(replayJournal(orderV2, recorded)).resolves.toBeUndefined();
      await expect(replayJournal(orderBrokenV2, recorded)).rejects.toThrow(
        /^Journal entry mismatch: step 2 was recorded as[\s\S]*at version 1; requested .* at current version 2\./,
      );
    }
    // A handler that drops a recorded step without consumeNext, and one that skips a step twice.
    // A journal the handler does not fit: a recorded step missing, one recorded but never asked for.
    await expect(
      replayJournal(orderV1, { ...finished, steps: finished.steps.filter((s) => s.stepNumber !== 3) }),
    ).rejects.toThrow(/^Journal entry mismatch: step 4 was recorded as[\s\S]*"name":"packed"/);
    const extra = { ...finished.steps[5], stepNumber: 6 };
    await expect(replayJournal(orderV2, { ...finished, steps: [...finished.steps, extra] })).rejects.toThrow(
      /^Journal entry mismatch: step 6 was recorded as .* but the handler no longer asks for it/,
    );
    // A step.journal call that fails fails the replay too.
    deployed.skipper = "pastEnd";
    await expect(replayJournal(skipper, { args: { key: "S" }, steps: [] })).rejects.toThrow(
      /^step\.journal\.consumeNext\(\): no recorded step left to skip/,
    );
    // Not a workflow definition.
    await expect(replayJournal(internal.versioningWorkflows.order, finished)).rejects.toThrow(
      /^replayJournal needs a workflow as `workflow.define` or `defineWorkflow` returned it/,
    );
  });

  test("a journal from a continued run replays from its own args", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      versioned.start(ctx, internal.versioningWorkflows.poller, { iteration: 0, total: 25, every: 10 }),
    );
    await drain(t);
    const recorded = await t.query((ctx) => versioned.exportJournal(ctx, id));
    expect(recorded).toMatchObject({ runNumber: 3, args: { iteration: 20, total: 25, every: 10 } });
    expect(recorded.steps).toHaveLength(5);
    await expect(replayJournal(poller, recorded)).resolves.toBeUndefined();
  });
});
