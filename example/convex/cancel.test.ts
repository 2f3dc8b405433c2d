// Cancel through the public API (SPEC 1.4): result `canceled`, pending steps canceled,
// running actions finish but are ignored, nested workflows canceled recursively,
// onComplete exactly once, and only a running workflow can be canceled.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { listSteps, type WorkflowId, type WorkflowStep } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
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
    const control = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.delayed, { key: "ctrl" }));

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
    expect(steps.map((s) => s.name)).toEqual(["lifecycleWorkflows:cancelWhileRunning", "lifecycleWorkflows:recordEffect"]);
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

  test("a workflow started async can be canceled before its first poll", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.restartable, { key: "s" }, { startAsync: true, onComplete, context: 1 }),
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
