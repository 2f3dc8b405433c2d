// Cancel through the public API (docs/managing-workflows.md): result `canceled`, pending steps
// canceled, running actions finish but are ignored, nested workflows canceled recursively,
// onComplete exactly once, and only a running workflow can be canceled.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { listSteps, type WorkflowId, type WorkflowStep } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { cancelExecFlows, cancelFlows } from "./cancelWorkflows.js";
import { lifecycle } from "./lifecycleWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const onComplete = internal.lifecycleWorkflows.onComplete;

async function effectCount(t: TestConvex, key: string): Promise<number> {
  const rows = await t.run((ctx) => ctx.db.query("effects").collect());
  return rows.filter((row) => row.key === key).length;
}

async function completionsOf(t: TestConvex, workflowId: WorkflowId) {
  const rows = await t.run((ctx) => ctx.db.query("completions").collect());
  return rows.filter((row) => row.workflowId === workflowId);
}

async function stepsOf(t: TestConvex, workflowId: WorkflowId): Promise<WorkflowStep[]> {
  // The standalone function, to cover it alongside the manager's methods.
  const result = await t.query((ctx) => listSteps(ctx, components.workflow, workflowId));
  expect(result.isDone).toBe(true);
  return result.page;
}

/** A step has finished when it carries a result; cancel must leave none without one. */
function expectNoStepInProgress(steps: WorkflowStep[]) {
  for (const step of steps) {
    expect(step.runResult, `step ${step.stepNumber} (${step.name}) has no result`).toBeDefined();
    expect(step.completedAt, `step ${step.stepNumber} (${step.name}) has no completedAt`).toBeDefined();
  }
}

function nestedIdOf(step: WorkflowStep): WorkflowId {
  expect(step.kind).toBe("workflow");
  if (step.kind !== "workflow") throw new Error("not a workflow step");
  return step.nestedWorkflowId;
}

describe("cancel", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("a step scheduled with runAfter never runs its side effect", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.delayed, { key: "d" }, { onComplete, context: { tag: "d" } }),
    );
    const before = await t.query((ctx) => lifecycle.status(ctx, id));
    expect(before.type).toBe("inProgress");
    expect(before.type === "inProgress" && before.running.map((s) => s.name)).toEqual([
      "lifecycleWorkflows:recordEffect",
    ]);

    await t.mutation((ctx) => lifecycle.cancel(ctx, id));
    expect(await t.query((ctx) => lifecycle.status(ctx, id))).toEqual({ type: "canceled" });
    const steps = await stepsOf(t, id);
    expect(steps).toHaveLength(1);
    expectNoStepInProgress(steps);
    expect(steps[0].runResult).toEqual({ kind: "canceled" });

    // A control run of the same workflow, not canceled, does run the delayed step.
    const control = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.delayed, { key: "ctrl" }),
    );

    await drain(t); // runs every timer, including the step's original due time
    expect(await t.query((ctx) => lifecycle.status(ctx, control))).toEqual({ type: "completed", result: "finished" });
    expect(await effectCount(t, "ctrl:delayed")).toBe(1);
    expect(await effectCount(t, "d:delayed")).toBe(0);
    expect(await effectCount(t, "d:after")).toBe(0);
    expect(await t.query((ctx) => lifecycle.status(ctx, id))).toEqual({ type: "canceled" });
    const after = await stepsOf(t, id);
    expect(after).toHaveLength(1);
    expect(after[0].runResult).toEqual({ kind: "canceled" });

    const completions = await completionsOf(t, id);
    expect(completions).toHaveLength(1);
    expect(completions[0].result).toEqual({ kind: "canceled" });
    expect(completions[0].context).toEqual({ tag: "d" });
  });

  test("an action already running finishes, its result is ignored, and pending steps of its batch never run", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.cancelFromAction, { key: "a" }, { onComplete, context: null }),
    );
    await drain(t);

    expect(await t.query((ctx) => lifecycle.status(ctx, id))).toEqual({ type: "canceled" });
    // The action ran to its end (its own side effect happened) ...
    expect(await effectCount(t, "a:action")).toBe(1);
    // ... but its result was not recorded, and nothing after it ran.
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => s.name)).toEqual([
      "lifecycleWorkflows:cancelWhileRunning",
      "lifecycleWorkflows:recordEffect",
    ]);
    expectNoStepInProgress(steps);
    expect(steps[0].runResult).toEqual({ kind: "canceled" });
    expect(steps[1].runResult).toEqual({ kind: "canceled" });
    expect(await effectCount(t, "a:delayed")).toBe(0);
    expect(await effectCount(t, "a:after")).toBe(0);

    const completions = await completionsOf(t, id);
    expect(completions).toHaveLength(1);
    expect(completions[0].result).toEqual({ kind: "canceled" });
  });

  test("running nested workflows are canceled recursively; onComplete runs once", async () => {
    const t = initConvexTest();
    const parent = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.treeParent, { key: "n" }, { onComplete, context: "tree" }),
    );
    await drain(t); // the grandchild is now waiting for an event that never comes
    const child = nestedIdOf((await stepsOf(t, parent))[0]);
    const grandchild = nestedIdOf((await stepsOf(t, child))[0]);
    expect(await effectCount(t, "n:grandchild:before")).toBe(1);
    for (const id of [parent, child, grandchild]) {
      expect((await t.query((ctx) => lifecycle.status(ctx, id))).type).toBe("inProgress");
    }

    await t.mutation((ctx) => lifecycle.cancel(ctx, parent));

    for (const id of [parent, child, grandchild]) {
      expect(await t.query((ctx) => lifecycle.status(ctx, id))).toEqual({ type: "canceled" });
      expectNoStepInProgress(await stepsOf(t, id));
    }
    const grandchildSteps = await stepsOf(t, grandchild);
    expect(grandchildSteps.map((s) => [s.kind, s.runResult?.kind])).toEqual([
      ["function", "success"],
      ["event", "canceled"],
    ]);
    expect((await stepsOf(t, child))[0].runResult).toEqual({ kind: "canceled" });
    expect((await stepsOf(t, parent))[0].runResult).toEqual({ kind: "canceled" });

    // Nothing wakes them up again: not the event they were waiting for, not time passing.
    await t.mutation((ctx) => lifecycle.sendEvent(ctx, { workflowId: grandchild, name: "go" })).catch(() => {});
    await drain(t);
    for (const id of [parent, child, grandchild]) {
      expect(await t.query((ctx) => lifecycle.status(ctx, id))).toEqual({ type: "canceled" });
    }
    expect(await effectCount(t, "n:grandchild:after")).toBe(0);
    expect(await effectCount(t, "n:child:after")).toBe(0);
    expect(await effectCount(t, "n:parent:after")).toBe(0);

    const completions = await completionsOf(t, parent);
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ result: { kind: "canceled" }, context: "tree" });
    expect(await t.run((ctx) => ctx.db.query("completions").collect())).toHaveLength(1);
  });

  test("a workflow started async can be canceled before its first replay", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      lifecycle.start(
        ctx,
        internal.lifecycleWorkflows.restartable,
        { key: "s" },
        { startAsync: true, onComplete, context: 1 },
      ),
    );
    await t.mutation((ctx) => lifecycle.cancel(ctx, id));
    await drain(t);
    expect(await t.query((ctx) => lifecycle.status(ctx, id))).toEqual({ type: "canceled" });
    expect(await stepsOf(t, id)).toEqual([]);
    expect(await effectCount(t, "s:s0")).toBe(0);
    expect((await completionsOf(t, id)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
  });

  test("cancel of a finished workflow throws an error saying it is not running, and changes nothing", async () => {
    const t = initConvexTest();
    const done = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.listA, { n: 7 }, { onComplete, context: "done" }),
    );
    expect(await t.query((ctx) => lifecycle.status(ctx, done))).toEqual({ type: "completed", result: 7 });
    await expect(t.mutation((ctx) => lifecycle.cancel(ctx, done))).rejects.toThrow(/not running/);
    expect(await t.query((ctx) => lifecycle.status(ctx, done))).toEqual({ type: "completed", result: 7 });
    expect((await completionsOf(t, done)).map((c) => c.result)).toEqual([{ kind: "success", returnValue: 7 }]);

    // Canceling twice: the second cancel finds it finished.
    const waiting = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.waiter, { key: "w" }, { onComplete, context: "w" }),
    );
    await drain(t);
    await t.mutation((ctx) => lifecycle.cancel(ctx, waiting));
    await expect(t.mutation((ctx) => lifecycle.cancel(ctx, waiting))).rejects.toThrow(/not running/);
    expect(await t.query((ctx) => lifecycle.status(ctx, waiting))).toEqual({ type: "canceled" });
    expect((await completionsOf(t, waiting)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);

    // A failed workflow is finished too.
    const failed = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.gated, { key: "g" }));
    await drain(t);
    expect((await t.query((ctx) => lifecycle.status(ctx, failed))).type).toBe("failed");
    await expect(t.mutation((ctx) => lifecycle.cancel(ctx, failed))).rejects.toThrow(/not running/);
  });
});

// ---------------------------------------------------------------------------------------
// Trees too big for one transaction (issue 11, item 3): the target is canceled at once and
// its onComplete runs in that transaction; the cascade through its descendants continues in
// bounded scheduled batches until no step of the tree is in flight.

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every nested workflow under `root` (breadth first), through the public listSteps. */
async function treeOf(t: TestConvex, root: WorkflowId): Promise<WorkflowId[]> {
  const out: WorkflowId[] = [];
  const queue = [root];
  while (queue.length) {
    const id = queue.shift()!;
    for (const step of await allSteps(t, id)) {
      if (step.kind === "workflow" && step.nestedWorkflowId) {
        out.push(step.nestedWorkflowId);
        queue.push(step.nestedWorkflowId);
      }
    }
  }
  return out;
}

async function allSteps(t: TestConvex, id: WorkflowId): Promise<WorkflowStep[]> {
  const out: WorkflowStep[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await t.query((ctx) => cancelFlows.listSteps(ctx, id, { paginationOpts: { cursor, numItems: 500 } }));
    out.push(...page.page);
    if (page.isDone) return out;
    cursor = page.continueCursor;
  }
}

/** Every workflow of the tree canceled, every step with exactly one result, each child's step canceled. */
async function expectTreeCanceled(t: TestConvex, root: WorkflowId, size: number) {
  const ids = [root, ...(await treeOf(t, root))];
  expect(ids).toHaveLength(size);
  for (const id of ids) {
    expect(await t.query((ctx) => cancelFlows.status(ctx, id)), `status of ${id}`).toEqual({ type: "canceled" });
    const steps = await allSteps(t, id);
    expectNoStepInProgress(steps);
    for (const step of steps) {
      if (step.kind === "workflow") expect(step.runResult).toEqual({ kind: "canceled" });
      if (step.kind === "event") expect(step.runResult?.kind).toBe("canceled");
    }
  }
  return ids;
}

/** A small workflow of another caller, waiting on one event: it must complete meanwhile. */
async function startBystander(t: TestConvex): Promise<WorkflowId> {
  return await t.mutation((ctx) =>
    lifecycle.start(
      ctx,
      internal.lifecycleWorkflows.waiter,
      { key: "bystander" },
      { onComplete, context: "bystander" },
    ),
  );
}

// Big by design (thousands of steps): minutes on a shared machine, hence the timeout.
describe("cancel of trees too big for one transaction", { timeout: 300_000 }, () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("reproduction: a parent whose children have many steps in flight is canceled, and the cascade finishes the tree", async () => {
    const t = initConvexTest();
    // 6 children × 180 mutation steps queued in the workpool (due in a day): canceling them
    // all in one transaction reads ~4,400 index ranges, over Convex's 4,096 (before the fix
    // cancel threw "Too many index ranges read" and the parent could never be canceled).
    const parent = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.bigFanOut,
        { children: 6, steps: 180, pad: "" },
        { onComplete, context: "big" },
      ),
    );
    const bystander = await startBystander(t);
    await drainUntilWaiting(t);
    const children = await treeOf(t, parent);
    expect(children).toHaveLength(6);
    for (const child of children) expect((await allSteps(t, child)).filter((s) => !s.runResult)).toHaveLength(180);

    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    // The target is canceled when cancel returns, and its onComplete has run.
    expect(await t.query((ctx) => cancelFlows.status(ctx, parent))).toEqual({ type: "canceled" });
    expect((await completionsOf(t, parent)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
    // Meanwhile another caller's workflow gets its event and completes.
    await t.mutation((ctx) => lifecycle.sendEvent(ctx, { workflowId: bystander, name: "go", value: 1 }));
    await drainUntilWaiting(t);
    expect(await t.query((ctx) => lifecycle.status(ctx, bystander))).toEqual({ type: "completed", result: "went" });
    expect(await effectCount(t, "bystander:after")).toBe(1);

    await expectTreeCanceled(t, parent, 7);
    // The steps' due time passes: none of them runs.
    vi.advanceTimersByTime(2 * DAY_MS);
    await drain(t);
    expect(await effectCount(t, "late:0")).toBe(0);
    expect(
      (await t.run((ctx) => ctx.db.query("effects").collect())).filter((r) => r.key.startsWith("late:")),
    ).toHaveLength(0);
    expect((await completionsOf(t, parent)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
  });

  test("pending awaits: descendants become canceled as the cascade reaches them; nothing wakes them", async () => {
    const t = initConvexTest();
    const parent = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.fanOut,
        { children: 4, awaits: 150 },
        { onComplete, context: "awaits" },
      ),
    );
    await drainUntilWaiting(t);
    const children = await treeOf(t, parent);
    expect(children).toHaveLength(4);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    expect(await t.query((ctx) => cancelFlows.status(ctx, parent))).toEqual({ type: "canceled" });
    // Too much for the cancel's own transaction: some children are still being reached.
    const statuses = await Promise.all(children.map((c) => t.query((ctx) => cancelFlows.status(ctx, c))));
    expect(statuses.some((s) => s.type === "inProgress")).toBe(true);
    await drainUntilWaiting(t);
    await expectTreeCanceled(t, parent, 5);
    // Nothing wakes them: not an event, not the awaits' deadlines passing.
    await t.mutation((ctx) => cancelFlows.sendEvent(ctx, { workflowId: children[0], name: "e0", value: 1 }));
    vi.advanceTimersByTime(2 * DAY_MS);
    await drain(t);
    await expectTreeCanceled(t, parent, 5);
    expect((await completionsOf(t, parent)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
  });

  test("a chain 7 deep with awaits at every level: every workflow canceled, onComplete once", async () => {
    const t = initConvexTest();
    const root = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.chain,
        { depth: 6, awaits: 40 },
        { onComplete, context: "chain" },
      ),
    );
    const bystander = await startBystander(t);
    await drainUntilWaiting(t);
    expect(await treeOf(t, root)).toHaveLength(6);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, root));
    expect(await t.query((ctx) => cancelFlows.status(ctx, root))).toEqual({ type: "canceled" });
    await t.mutation((ctx) => lifecycle.sendEvent(ctx, { workflowId: bystander, name: "go", value: 1 }));
    await drainUntilWaiting(t);
    await expectTreeCanceled(t, root, 7);
    expect((await completionsOf(t, root)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
    expect((await t.query((ctx) => lifecycle.status(ctx, bystander))).type).toBe("completed");
    // Canceling again, or a descendant, says it is not running.
    await expect(t.mutation((ctx) => cancelFlows.cancel(ctx, root))).rejects.toThrow(/not running/);
  });

  test("queued function steps with large arguments across the tree never run", async () => {
    const t = initConvexTest();
    const big = "x".repeat(300 << 10);
    // 4 children × 16 steps × 300 KiB of arguments in flight: ~19 MiB, more than one
    // transaction may read. Each step would write an effects row a day from now.
    const parent = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.bigFanOut,
        { children: 4, steps: 16, pad: big },
        { onComplete, context: "bytes" },
      ),
    );
    await drainUntilWaiting(t);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    await drainUntilWaiting(t); // the cascade, before the steps come due
    vi.advanceTimersByTime(2 * DAY_MS);
    await drain(t);
    await expectTreeCanceled(t, parent, 5);
    const rows = await t.run((ctx) => ctx.db.query("effects").collect());
    expect(rows.filter((r) => r.key.startsWith("late:"))).toHaveLength(0);
    expect((await completionsOf(t, parent)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
  });

  test("restart while the cascade runs takes over: nothing stranded, the new run can be canceled", async () => {
    const t = initConvexTest();
    const parent = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.fanOut,
        { children: 2, awaits: 100 },
        { onComplete, context: "re" },
      ),
    );
    await drainUntilWaiting(t);
    const firstChildren = await treeOf(t, parent);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    await t.mutation((ctx) => cancelFlows.restart(ctx, parent, { from: 0 }));
    await drainUntilWaiting(t);
    // The first run's children are gone, the new run waits on fresh ones.
    for (const child of firstChildren) {
      await expect(t.query((ctx) => cancelFlows.status(ctx, child))).rejects.toThrow(/not found/);
    }
    expect((await t.query((ctx) => cancelFlows.status(ctx, parent))).type).toBe("inProgress");
    const second = await treeOf(t, parent);
    expect(second).toHaveLength(2);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    await drainUntilWaiting(t);
    await expectTreeCanceled(t, parent, 3);
    expect((await completionsOf(t, parent)).map((c) => c.result)).toEqual([{ kind: "canceled" }, { kind: "canceled" }]);

    // Restart without `from` while a cascade runs: the leftovers are canceled before the
    // replay, which then sees canceled children and fails the run; nothing is left waiting.
    await t.mutation((ctx) => cancelFlows.restart(ctx, parent, { from: 0 }));
    await drainUntilWaiting(t);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    await t.mutation((ctx) => cancelFlows.restart(ctx, parent));
    await drainUntilWaiting(t);
    const status = await t.query((ctx) => cancelFlows.status(ctx, parent));
    expect(status.type).toBe("failed");
    for (const id of await treeOf(t, parent)) {
      expect((await t.query((ctx) => cancelFlows.status(ctx, id))).type).toBe("canceled");
      expectNoStepInProgress(await allSteps(t, id));
    }
    expect(await completionsOf(t, parent)).toHaveLength(4);
  });

  test("executor mode: a deep tree's queued tasks are removed with the cascade and never run", async () => {
    const t = initConvexTest();
    // 5 levels, each with 100 mutation tasks queued a day out.
    const root = await t.mutation((ctx) =>
      cancelExecFlows.start(
        ctx,
        internal.cancelWorkflows.execChain,
        { tag: "x", depth: 4, steps: 100 },
        { onComplete, context: "exec" },
      ),
    );
    const bystander = await startBystander(t);
    await advanceSmoothly(5_000);
    expect(await treeOf(t, root)).toHaveLength(4);
    const queued = async () =>
      (await t.query((ctx) => cancelExecFlows.diagnose(ctx))).reduce((n, s) => n + s.queued, 0);
    expect(await queued()).toBe(500);

    await t.mutation((ctx) => cancelExecFlows.cancel(ctx, root));
    expect(await t.query((ctx) => cancelExecFlows.status(ctx, root))).toEqual({ type: "canceled" });
    await t.mutation((ctx) => lifecycle.sendEvent(ctx, { workflowId: bystander, name: "go", value: 1 }));
    await advanceSmoothly(5_000);
    expect(await queued()).toBe(0);
    await expectTreeCanceled(t, root, 5);
    // Past the tasks' due time: nothing runs, the idle executor stops.
    await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
    const rows = await t.run((ctx) => ctx.db.query("effects").collect());
    expect(rows.filter((r) => r.key.startsWith("x"))).toHaveLength(0);
    expect((await completionsOf(t, root)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
    expect(await t.query((ctx) => lifecycle.status(ctx, bystander))).toEqual({ type: "completed", result: "went" });
  });

  test("cleanup right after cancel deletes the whole tree, stopping what is still in flight", async () => {
    const t = initConvexTest();
    const parent = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.fanOut,
        { children: 3, awaits: 100 },
        { onComplete, context: "gone" },
      ),
    );
    const delayed = await t.mutation((ctx) =>
      cancelFlows.start(ctx, internal.cancelWorkflows.delayed, { tag: "late", steps: 60 }),
    );
    await drainUntilWaiting(t);
    const children = await treeOf(t, parent);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    expect(await t.mutation((ctx) => cancelFlows.cleanup(ctx, parent))).toBe(true);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, delayed));
    expect(await t.mutation((ctx) => cancelFlows.cleanup(ctx, delayed))).toBe(true);
    await drainUntilWaiting(t);
    vi.advanceTimersByTime(2 * DAY_MS);
    await drain(t);
    for (const id of [parent, delayed, ...children]) {
      await expect(t.query((ctx) => cancelFlows.status(ctx, id))).rejects.toThrow(/not found/);
      expect((await t.query((ctx) => cancelFlows.listSteps(ctx, id))).page).toEqual([]);
    }
    expect(await effectCount(t, "late:0")).toBe(0);
    const counts = await t.query((ctx) => cancelFlows.counts(ctx));
    expect(counts.total).toEqual({ running: 0, success: 0, failed: 0, canceled: 0, queued: 0, paused: 0 });
    expect((await completionsOf(t, parent)).map((c) => c.result)).toEqual([{ kind: "canceled" }]);
  });
});

// Captured before fake timers are installed: executors are long-running actions that make
// progress on real event-loop turns.
const realSetTimeout = globalThis.setTimeout;
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

/** Let fake time pass in small steps with real turns in between (executors keep running). */
async function advanceSmoothly(ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 100) {
    await vi.advanceTimersByTimeAsync(100);
    for (let i = 0; i < 3; i++) await realTick();
  }
}

/** Run scheduled functions until only timers a day or more away are left (everything waits). */
async function drainUntilWaiting(t: TestConvex): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await vi.advanceTimersByTimeAsync(250);
    await t.finishInProgressScheduledFunctions();
  }
}
