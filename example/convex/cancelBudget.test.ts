// Stops and deletions that span several transactions (docs/limits.md): every document read
// is charged to ONE budget per transaction before the next is read, a send or notify in the
// window between a finish and its stop reaching a step never lands on an old run's step, and
// a child the cancel cascade has not reached yet starts no new work. Each test also checks
// that another caller's workflow keeps completing (blast radius).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { type WorkflowId, type WorkflowStep } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { cancelFlows } from "./cancelWorkflows.js";
import { lifecycle } from "./lifecycleWorkflows.js";
import { initConvexTest, type TestConvex } from "./setup.testing.js";

const onComplete = internal.lifecycleWorkflows.onComplete;
const KIB = 1 << 10;
/** MAX_ERROR_LENGTH (src/shared/limits.ts). */
const MAX_ERROR_LENGTH = 64 << 10;

/** Run scheduled functions until only timers far away are left (everything waits). */
async function drainUntilWaiting(t: TestConvex, rounds = 80): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await vi.advanceTimersByTimeAsync(250);
    await t.finishInProgressScheduledFunctions();
  }
}

async function allSteps(t: TestConvex, workflowId: WorkflowId): Promise<WorkflowStep[]> {
  const steps: WorkflowStep[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: { page: WorkflowStep[]; isDone: boolean; continueCursor: string } = await t.query((ctx) =>
      cancelFlows.listSteps(ctx, workflowId, { paginationOpts: { cursor, numItems: 100 } }),
    );
    steps.push(...page.page);
    if (page.isDone) return steps;
    cursor = page.continueCursor;
  }
}

async function childrenOf(t: TestConvex, workflowId: WorkflowId): Promise<WorkflowId[]> {
  return (await allSteps(t, workflowId)).flatMap((s) => (s.kind === "workflow" ? [s.nestedWorkflowId] : []));
}

async function completionsOf(t: TestConvex, workflowId: WorkflowId) {
  const rows = await t.run((ctx) => ctx.db.query("completions").collect());
  return rows.filter((row) => row.workflowId === workflowId).map((row) => row.result);
}

async function effectCount(t: TestConvex, key: string): Promise<number> {
  return (await t.run((ctx) => ctx.db.query("effects").collect())).filter((row) => row.key === key).length;
}

/** Another caller's small workflow, waiting on "go": it must complete meanwhile. */
async function startBystander(t: TestConvex): Promise<WorkflowId> {
  return await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.waiter, { key: "bystander" }));
}
async function expectBystanderCompletes(t: TestConvex, bystander: WorkflowId) {
  await t.mutation((ctx) => lifecycle.sendEvent(ctx, { workflowId: bystander, name: "go", value: 1 }));
  await drainUntilWaiting(t, 20);
  expect(await t.query((ctx) => lifecycle.status(ctx, bystander))).toEqual({ type: "completed", result: "went" });
}

/** The name of the workflow's last await the stop has not reached yet (right after a cancel). */
async function lastWaiting(t: TestConvex, workflowId: WorkflowId): Promise<string> {
  const waiting = (await allSteps(t, workflowId)).filter((s) => s.kind === "event" && !s.runResult);
  expect(waiting.length).toBeGreaterThan(0); // the stop did not reach them all in one transaction
  return waiting[waiting.length - 1].name;
}

async function expectGone(t: TestConvex, workflowId: WorkflowId) {
  await expect(t.query((ctx) => cancelFlows.status(ctx, workflowId))).rejects.toThrow(/not found/);
  expect(await allSteps(t, workflowId)).toEqual([]);
}

describe("budgets and fencing across transactions", { timeout: 300_000 }, () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("cleanup of a workflow with 25 buffered events of 790 KiB never reads too much in one transaction", async () => {
    const t = initConvexTest();
    const bystander = await startBystander(t);
    const id = await t.mutation((ctx) => cancelFlows.start(ctx, internal.cancelWorkflows.goThenEffect, { key: "ev" }));
    await drainUntilWaiting(t, 10);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, id));
    // Sent, never awaited: ~19 MiB of buffered values (before the fix: `Read too much data`, every time).
    const value = "v".repeat(790 * KIB);
    for (let i = 0; i < 25; i++) {
      await t.mutation((ctx) => cancelFlows.sendEvent(ctx, { workflowId: id, name: `big${i}`, value }));
    }
    expect(await t.mutation((ctx) => cancelFlows.cleanup(ctx, id))).toBe(true);
    await drainUntilWaiting(t, 20);
    await expectGone(t, id);
    // The events are gone too: sending to the deleted workflow is refused.
    await expect(
      t.mutation((ctx) => cancelFlows.sendEvent(ctx, { workflowId: id, name: "big0", value: 1 })),
    ).rejects.toThrow(/not found/i);
    await expectBystanderCompletes(t, bystander);
  });

  test("a workflow that failed for a too-large journal (22 × 790 KiB results) can be restarted and cleaned up", async () => {
    const t = initConvexTest();
    const bystander = await startBystander(t);
    const id = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.bigResults,
        { count: 22, kib: 790 },
        { onComplete, context: "big" },
      ),
    );
    await drainUntilWaiting(t, 20);
    const failed = await t.query((ctx) => cancelFlows.status(ctx, id));
    expect(failed.type).toBe("failed");
    expect(failed.type === "failed" && failed.error).toMatch(/journal/i);
    // Restart from the start: the old journal (~17 MiB) is deleted a budget at a time.
    await t.mutation((ctx) => cancelFlows.restart(ctx, id, { from: 0 }));
    await drainUntilWaiting(t, 40);
    expect((await t.query((ctx) => cancelFlows.status(ctx, id))).type).toBe("failed");
    expect(await completionsOf(t, id)).toHaveLength(2);
    expect(await t.mutation((ctx) => cancelFlows.cleanup(ctx, id))).toBe(true);
    await drainUntilWaiting(t, 20);
    await expectGone(t, id);
    await expectBystanderCompletes(t, bystander);
  });

  test("one app transaction cancels six big trees: one budget for all, the rest continues later", async () => {
    const t = initConvexTest();
    const bystander = await startBystander(t);
    const pad = "x".repeat(300 * KIB);
    const roots: WorkflowId[] = [];
    for (let i = 0; i < 6; i++) {
      roots.push(
        await t.mutation((ctx) =>
          cancelFlows.start(
            ctx,
            internal.cancelWorkflows.bigFanOut,
            { children: 2, steps: 8, pad },
            { onComplete, context: i },
          ),
        ),
      );
    }
    await drainUntilWaiting(t, 30);
    // ~29 MiB of step arguments in flight. Before the fix each cancel had a budget of its own
    // (4 MiB): together they read more than a transaction may (16 MiB).
    await t.mutation(internal.cancelWorkflows.cancelMany, { workflowIds: roots });
    for (const root of roots)
      expect(await t.query((ctx) => cancelFlows.status(ctx, root))).toEqual({ type: "canceled" });
    await drainUntilWaiting(t, 40);
    for (const root of roots) {
      for (const child of await childrenOf(t, root)) {
        expect(await t.query((ctx) => cancelFlows.status(ctx, child))).toEqual({ type: "canceled" });
        expect((await allSteps(t, child)).filter((s) => !s.runResult)).toEqual([]);
      }
      expect(await completionsOf(t, root)).toEqual([{ kind: "canceled" }]);
    }
    await expectBystanderCompletes(t, bystander);
  });

  test("a send while a cancel's stop is under way stays buffered for the next run", async () => {
    const t = initConvexTest();
    const bystander = await startBystander(t);
    // A child with 200 awaits, and 199 of its own: more than one transaction stops; its last
    // awaits are reached by the continuation.
    const id = await t.mutation((ctx) =>
      cancelFlows.start(ctx, internal.cancelWorkflows.chain, { depth: 1, awaits: 200 }),
    );
    await drainUntilWaiting(t, 10);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, id));
    const name = await lastWaiting(t, id);
    await t.mutation((ctx) => cancelFlows.sendEvent(ctx, { workflowId: id, name, value: "kept" }));
    await drainUntilWaiting(t, 10);
    expect((await allSteps(t, id)).find((s) => s.name === name)!.runResult).toEqual({ kind: "canceled" });
    // The restarted run's await of "e299" gets the buffered value at once.
    await t.mutation((ctx) => cancelFlows.restart(ctx, id, { from: 0 }));
    await drainUntilWaiting(t, 10);
    const again = (await allSteps(t, id)).find((s) => s.name === name)!;
    expect(again.runResult).toEqual({ kind: "success", returnValue: "kept" });
    await expectBystanderCompletes(t, bystander);
  });

  test("a send between a restart and its stop of the old run lands on the new run, not an old step", async () => {
    const t = initConvexTest();
    const bystander = await startBystander(t);
    const id = await t.mutation((ctx) =>
      cancelFlows.start(ctx, internal.cancelWorkflows.chain, { depth: 1, awaits: 200 }),
    );
    await drainUntilWaiting(t, 10);
    await t.mutation((ctx) => cancelFlows.cancel(ctx, id));
    const name = await lastWaiting(t, id);
    // Restarted while the old run's awaits are still in flight (restartContinue stops them first).
    await t.mutation((ctx) => cancelFlows.restart(ctx, id, { from: 0 }));
    expect((await t.query((ctx) => cancelFlows.status(ctx, id))).type).toBe("inProgress");
    await t.mutation((ctx) => cancelFlows.sendEvent(ctx, { workflowId: id, name, value: "new run" }));
    await drainUntilWaiting(t, 20);
    const steps = await allSteps(t, id);
    expect(steps).toHaveLength(200);
    // Before the fix the old step consumed it and the deletion dropped it: the new run waited forever.
    expect(steps.find((s) => s.name === name)!.runResult).toEqual({ kind: "success", returnValue: "new run" });
    expect(steps.filter((s) => s.runResult)).toHaveLength(1);
    expect((await t.query((ctx) => cancelFlows.status(ctx, id))).type).toBe("inProgress");
    await expectBystanderCompletes(t, bystander);
  });

  test("a child the cascade has not reached yet starts no new work: it is canceled when it journals", async () => {
    const t = initConvexTest();
    const bystander = await startBystander(t);
    const parent = await t.mutation((ctx) =>
      cancelFlows.start(
        ctx,
        internal.cancelWorkflows.orphanParent,
        { children: 3, awaits: 300, key: "orphan" },
        { onComplete, context: "o" },
      ),
    );
    await drainUntilWaiting(t, 10);
    const children = await childrenOf(t, parent);
    expect(children).toHaveLength(4);
    const late = children[3];
    await t.mutation((ctx) => cancelFlows.cancel(ctx, parent));
    expect((await t.query((ctx) => cancelFlows.status(ctx, late))).type).toBe("inProgress"); // not reached yet
    // Woken before the cascade reaches it: it must not start its next step.
    await t.mutation((ctx) => cancelFlows.sendEvent(ctx, { workflowId: late, name: "go", value: 1 }));
    await drainUntilWaiting(t, 40);
    expect(await effectCount(t, "orphan")).toBe(0);
    expect(await t.query((ctx) => cancelFlows.status(ctx, late))).toEqual({ type: "canceled" });
    for (const child of children) expect((await allSteps(t, child)).filter((s) => !s.runResult)).toEqual([]);
    expect(await completionsOf(t, parent)).toEqual([{ kind: "canceled" }]);
    await expectBystanderCompletes(t, bystander);
  });

  test("a failed result reported to `complete` is stored capped at MAX_ERROR_LENGTH", async () => {
    const t = initConvexTest();
    const bystander = await startBystander(t);
    const id = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.waiter, { key: "cap" }, { onComplete, context: "cap" }),
    );
    await drainUntilWaiting(t, 10);
    const huge = "E".repeat(300 * KIB);
    await t.mutation(async (ctx) => {
      const { workflow } = await ctx.runQuery(components.workflow.workflow.getStatus, { workflowId: id });
      await ctx.runMutation(components.workflow.workflow.complete, {
        workflowId: workflow._id,
        generationNumber: workflow.generationNumber,
        runResult: { kind: "failed", error: huge },
      });
    });
    const status = await t.query((ctx) => lifecycle.status(ctx, id));
    expect(status.type).toBe("failed");
    const error = status.type === "failed" ? status.error : "";
    expect(error.length).toBeLessThanOrEqual(MAX_ERROR_LENGTH);
    expect(error).toMatch(/characters cut/);
    const completions = await completionsOf(t, id);
    expect(completions).toHaveLength(1);
    expect(completions[0].kind === "failed" && completions[0].error.length).toBeLessThanOrEqual(MAX_ERROR_LENGTH);
    await expectBystanderCompletes(t, bystander);
  });
});
