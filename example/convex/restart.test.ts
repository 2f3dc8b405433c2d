// Restart through the public API (docs/managing-workflows.md): only finished workflows; `from`
// as a step number, a step name (last match) or a function reference; the deleted steps (and
// only those) run again; nested workflows of deleted steps are deleted; `startAsync`.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { restart, type WorkflowId, type WorkflowStep } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { lifecycle } from "./lifecycleWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

async function effectCount(t: TestConvex, key: string): Promise<number> {
  const rows = await t.run((ctx) => ctx.db.query("effects").collect());
  return rows.filter((row) => row.key === key).length;
}

/** How often each of the five steps of `restartable` has run (its `effects` rows). */
async function runCounts(t: TestConvex, key: string): Promise<number[]> {
  const counts = [];
  for (let i = 0; i < 5; i++) counts.push(await effectCount(t, `${key}:s${i}`));
  return counts;
}

async function stepsOf(t: TestConvex, workflowId: WorkflowId): Promise<WorkflowStep[]> {
  const result = await t.query((ctx) => lifecycle.listSteps(ctx, workflowId));
  expect(result.isDone).toBe(true);
  return result.page;
}

const status = (t: TestConvex, id: WorkflowId) => t.query((ctx) => lifecycle.status(ctx, id));

/** Run `restartable` to completion: every step once. */
async function completedRestartable(t: TestConvex, key: string): Promise<WorkflowId> {
  const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.restartable, { key }));
  await drain(t);
  expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 1, 1, 1] });
  expect(await runCounts(t, key)).toEqual([1, 1, 1, 1, 1]);
  const steps = await stepsOf(t, id);
  expect(steps.map((s) => s.name)).toEqual(["alpha", "beta", "beta", "lifecycleWorkflows:effectAction", "gamma"]);
  return id;
}

describe("restart", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("a running workflow cannot be restarted; a canceled one can", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.waiter, { key: "w" }));
    await drain(t);
    await expect(t.mutation((ctx) => lifecycle.restart(ctx, id))).rejects.toThrow(/still running/);
    await expect(t.mutation((ctx) => lifecycle.restart(ctx, id, { from: 0 }))).rejects.toThrow(/still running/);
    expect((await status(t, id)).type).toBe("inProgress");
    expect((await stepsOf(t, id)).map((s) => s.kind)).toEqual(["function", "event"]);

    await t.mutation((ctx) => lifecycle.cancel(ctx, id));
    // Restart from the canceled event step (named after its event): it waits again.
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: "go" }));
    await drain(t);
    expect((await status(t, id)).type).toBe("inProgress");
    await t.mutation((ctx) => lifecycle.sendEvent(ctx, { workflowId: id, name: "go" }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: "went" });
    expect(await effectCount(t, "w:before")).toBe(1);
    expect(await effectCount(t, "w:after")).toBe(1);
  });

  test("from a step number: that step and the later ones run again, the earlier ones do not", async () => {
    const t = initConvexTest();
    const id = await completedRestartable(t, "n");
    const before = await stepsOf(t, id);
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: 2 }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 2, 2, 2] });
    expect(await runCounts(t, "n")).toEqual([1, 1, 2, 2, 2]);
    const after = await stepsOf(t, id);
    expect(after.map((s) => s.stepNumber)).toEqual([0, 1, 2, 3, 4]);
    // Steps before `from` are the same journal entries; the rest are new.
    expect(after.slice(0, 2).map((s) => s.stepId)).toEqual(before.slice(0, 2).map((s) => s.stepId));
    for (let i = 2; i < 5; i++) expect(after[i].stepId).not.toBe(before[i].stepId);
  });

  test("from a fractional step number: as in 0.4.8, the steps numbered at or above it", async () => {
    const t = initConvexTest();
    const id = await completedRestartable(t, "q");
    const before = await stepsOf(t, id);
    // 1.5 keeps steps 0 and 1 and deletes 2..4, like `from: 2`.
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: 1.5 }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 2, 2, 2] });
    expect(await runCounts(t, "q")).toEqual([1, 1, 2, 2, 2]);
    const after = await stepsOf(t, id);
    expect(after.slice(0, 2).map((s) => s.stepId)).toEqual(before.slice(0, 2).map((s) => s.stepId));
  });

  test("from a step name: the last step with that name", async () => {
    const t = initConvexTest();
    const id = await completedRestartable(t, "b");
    // Steps 1 and 2 are both "beta": restart from step 2.
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: "beta" }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 2, 2, 2] });
    expect(await runCounts(t, "b")).toEqual([1, 1, 2, 2, 2]);

    // And again, from the first step, by its name (the standalone function).
    await t.mutation((ctx) => restart(ctx, components.workflow, id, { from: "alpha" }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 2, 2, 2].map((n) => n + 1) });
    expect(await runCounts(t, "b")).toEqual([2, 2, 3, 3, 3]);
  });

  test("from a function reference: the step that called it", async () => {
    const t = initConvexTest();
    const id = await completedRestartable(t, "f");
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: internal.lifecycleWorkflows.effectAction }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 1, 2, 2] });
    expect(await runCounts(t, "f")).toEqual([1, 1, 1, 2, 2]);
  });

  test("without `from` the journal is replayed and no step runs again", async () => {
    const t = initConvexTest();
    const id = await completedRestartable(t, "r");
    const before = await stepsOf(t, id);
    await t.mutation((ctx) => lifecycle.restart(ctx, id));
    // The replay ran in the restart's transaction: the journal answered every step.
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 1, 1, 1] });
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 1, 1, 1] });
    expect(await runCounts(t, "r")).toEqual([1, 1, 1, 1, 1]);
    expect(await stepsOf(t, id)).toEqual(before);
  });

  test("an unknown step name, a negative step number: errors, and nothing changes", async () => {
    const t = initConvexTest();
    const id = await completedRestartable(t, "e");
    const before = await stepsOf(t, id);
    await expect(t.mutation((ctx) => lifecycle.restart(ctx, id, { from: "nope" }))).rejects.toThrow(
      'Step "nope" not found',
    );
    // The message is 0.4.8's, word for word.
    for (const from of [-1, -0.5]) {
      await expect(t.mutation((ctx) => lifecycle.restart(ctx, id, { from }))).rejects.toThrow(
        `Step number cannot be negative: ${from}`,
      );
    }
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: [1, 1, 1, 1, 1] });
    expect(await stepsOf(t, id)).toEqual(before);
    expect(await runCounts(t, "e")).toEqual([1, 1, 1, 1, 1]);
  });

  test("a failed workflow restarted from its failing step, after the cause is fixed, completes", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.gated, { key: "g" }));
    await drain(t);
    const failed = await status(t, id);
    expect(failed.type).toBe("failed");
    expect(failed.type === "failed" && failed.error).toContain("gate g is closed");

    await t.run((ctx) => ctx.db.insert("effects", { key: "g:open" }));
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: "gate" }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: "passed" });
    expect(await effectCount(t, "g:before")).toBe(1);
    expect(await effectCount(t, "g:after")).toBe(1);
    expect((await stepsOf(t, id)).map((s) => [s.name, s.runResult?.kind])).toEqual([
      ["lifecycleWorkflows:recordEffect", "success"],
      ["gate", "success"],
      ["lifecycleWorkflows:recordEffect", "success"],
    ]);
  });

  test("inline restart runs the first replay at once; startAsync only schedules it", async () => {
    const t = initConvexTest();
    const inline = await completedRestartable(t, "i");
    await t.mutation((ctx) => lifecycle.restart(ctx, inline, { from: 0 }));
    const inlineStatus = await status(t, inline);
    expect(inlineStatus.type).toBe("inProgress");
    expect(inlineStatus.type === "inProgress" && inlineStatus.running.map((s) => s.name)).toEqual(["alpha"]);
    expect((await stepsOf(t, inline)).map((s) => s.name)).toEqual(["alpha"]);

    const async = await completedRestartable(t, "a");
    await t.mutation((ctx) => lifecycle.restart(ctx, async, { from: 0, startAsync: true }));
    expect(await status(t, async)).toEqual({ type: "inProgress", running: [] });
    expect(await stepsOf(t, async)).toEqual([]);
    expect(await runCounts(t, "a")).toEqual([1, 1, 1, 1, 1]);

    await drain(t);
    expect(await status(t, inline)).toEqual({ type: "completed", result: [2, 2, 2, 2, 2] });
    expect(await status(t, async)).toEqual({ type: "completed", result: [2, 2, 2, 2, 2] });
    expect(await runCounts(t, "i")).toEqual([2, 2, 2, 2, 2]);
    expect(await runCounts(t, "a")).toEqual([2, 2, 2, 2, 2]);
  });

  test("nested workflows of deleted steps are deleted; those of kept steps stay", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.withChild, { key: "c" }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: 1 });
    const childOf = async () => {
      const step = (await stepsOf(t, id))[0];
      if (step.kind !== "workflow") throw new Error(`step 0 is a ${step.kind}`);
      return step.nestedWorkflowId;
    };
    const child = await childOf();
    expect(await status(t, child)).toEqual({ type: "completed", result: 1 });

    // Keeping step 0 keeps its child.
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: 1 }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: 1 });
    expect(await childOf()).toBe(child);
    expect(await status(t, child)).toEqual({ type: "completed", result: 1 });
    expect(await effectCount(t, "c:leaf")).toBe(1);
    expect(await effectCount(t, "c:parent")).toBe(2);

    // Deleting step 0 deletes its child; a new child runs.
    await t.mutation((ctx) => lifecycle.restart(ctx, id, { from: 0 }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: 2 });
    const newChild = await childOf();
    expect(newChild).not.toBe(child);
    expect(await status(t, newChild)).toEqual({ type: "completed", result: 2 });
    await expect(status(t, child)).rejects.toThrow(/Workflow not found/);
    expect((await t.query((ctx) => lifecycle.listSteps(ctx, child))).page).toEqual([]);
    const all = await t.query((ctx) => lifecycle.list(ctx));
    expect(all.page.map((w) => w.workflowId).sort()).toEqual([id, newChild].sort());
    expect(await effectCount(t, "c:leaf")).toBe(2);
    expect(await effectCount(t, "c:parent")).toBe(3);
  });
});
