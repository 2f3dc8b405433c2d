// Cleanup through the public API (docs/managing-workflows.md): false while running or unknown;
// deletes the workflow, its steps, events and nested workflows, in bounded batches that
// continue in scheduled functions, so a journal bigger than one transaction can delete is
// fully removed.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { cleanup, type WorkflowId, type WorkflowStep } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { lifecycle } from "./lifecycleWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const status = (t: TestConvex, id: WorkflowId) => t.query((ctx) => lifecycle.status(ctx, id));

async function effectCount(t: TestConvex, key: string): Promise<number> {
  const rows = await t.run((ctx) => ctx.db.query("effects").collect());
  return rows.filter((row) => row.key === key).length;
}

/** Every step of a workflow, page by page. */
async function allSteps(t: TestConvex, id: WorkflowId, numItems = 100): Promise<WorkflowStep[]> {
  const steps: WorkflowStep[] = [];
  let cursor: string | null = null;
  for (;;) {
    const result = await t.query((ctx) => lifecycle.listSteps(ctx, id, { paginationOpts: { cursor, numItems } }));
    steps.push(...result.page);
    if (result.isDone) return steps;
    cursor = result.continueCursor;
  }
}

function nestedIdOf(step: WorkflowStep): WorkflowId {
  if (step.kind !== "workflow") throw new Error(`step ${step.stepNumber} is a ${step.kind}, not a workflow`);
  return step.nestedWorkflowId;
}

describe("cleanup", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("false while running; then deletes the workflow, its steps, its events and its nested workflow", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.eventThenChild, { key: "c" }),
    );
    await drain(t);
    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, id))).toBe(false);
    expect(await t.mutation((ctx) => cleanup(ctx, components.workflow, id))).toBe(false);
    expect((await status(t, id)).type).toBe("inProgress");
    expect((await allSteps(t, id)).map((s) => s.kind)).toEqual(["event"]);

    // An event made ahead of time that no step will ever await: cleanup must delete it too.
    const unawaited = await t.mutation((ctx) => lifecycle.createEvent(ctx, { name: "later", workflowId: id }));
    const eventId = await t.mutation((ctx) => lifecycle.sendEvent(ctx, { workflowId: id, name: "go" }));
    await drain(t);
    expect(await status(t, id)).toEqual({ type: "completed", result: 1 });
    const steps = await allSteps(t, id);
    expect(steps.map((s) => s.kind)).toEqual(["event", "workflow"]);
    const child = nestedIdOf(steps[1]);
    expect(await status(t, child)).toEqual({ type: "completed", result: 1 });
    expect((await t.query((ctx) => lifecycle.list(ctx))).page).toHaveLength(2);

    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, id))).toBe(true);
    await expect(status(t, id)).rejects.toThrow(/Workflow not found/);
    expect(await allSteps(t, id)).toEqual([]);
    await drain(t);
    await expect(status(t, child)).rejects.toThrow(/Workflow not found/);
    expect(await allSteps(t, child)).toEqual([]);
    expect((await t.query((ctx) => lifecycle.list(ctx))).page).toEqual([]);
    // Its events went with it: sending by their ids fails, naming the id. (A created event
    // that still existed would accept the send.)
    await expect(t.mutation((ctx) => lifecycle.sendEvent(ctx, { id: unawaited }))).rejects.toThrow(unawaited);
    await expect(t.mutation((ctx) => lifecycle.sendEvent(ctx, { id: eventId }))).rejects.toThrow(eventId);
    // The app's own data is untouched.
    expect(await effectCount(t, "c:leaf")).toBe(1);

    // The id is well-formed but now unknown: false, not an error.
    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, id))).toBe(false);
    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, child))).toBe(false);
  });

  test("a malformed id is a clear error that names it", async () => {
    const t = initConvexTest();
    await expect(t.mutation((ctx) => lifecycle.cleanup(ctx, "not-a-workflow-id" as WorkflowId))).rejects.toThrow(
      /not-a-workflow-id/,
    );
  });

  test("a canceled workflow with canceled nested workflows is cleaned up entirely", async () => {
    const t = initConvexTest();
    const parent = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.treeParent, { key: "t" }),
    );
    await drain(t);
    const child = nestedIdOf((await allSteps(t, parent))[0]);
    const grandchild = nestedIdOf((await allSteps(t, child))[0]);
    await t.mutation((ctx) => lifecycle.cancel(ctx, parent));
    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, parent))).toBe(true);
    await drain(t);
    for (const id of [parent, child, grandchild]) {
      await expect(status(t, id)).rejects.toThrow(/Workflow not found/);
      expect(await allSteps(t, id)).toEqual([]);
    }
    expect((await t.query((ctx) => lifecycle.list(ctx))).page).toEqual([]);
  });

  test("a journal larger than one deletion transaction is deleted completely", async () => {
    // 2,500 steps: the first cleanup transaction deletes 1,000 of them; scheduled
    // continuations delete the rest. The journal is built in the start transaction itself
    // (inline mutation steps, ten per batch), within Convex's transaction limits, which
    // initConvexTest enforces.
    const STEPS = 2500;
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      lifecycle.start(ctx, internal.lifecycleWorkflows.bigJournal, { key: "big", steps: STEPS }),
    );
    expect(await status(t, id)).toEqual({ type: "completed", result: (STEPS * (STEPS - 1)) / 2 });
    expect(await effectCount(t, "big")).toBe(STEPS);
    const steps = await allSteps(t, id, 1000);
    expect(steps.map((s) => s.stepNumber)).toEqual(Array.from({ length: STEPS }, (_, i) => i));

    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, id))).toBe(true);
    await expect(status(t, id)).rejects.toThrow(/Workflow not found/);
    // One transaction could not delete it all; the rest is left to scheduled functions.
    const left = (await allSteps(t, id, 1000)).length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(STEPS);

    await drain(t);
    expect(await allSteps(t, id)).toEqual([]);
    expect((await t.query((ctx) => lifecycle.list(ctx))).page).toEqual([]);
    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, id))).toBe(false);
  });

  // Slow (~30 s): a thousand nested workflows have to run before there is anything to clean.
  test(
    "a workflow with a thousand nested workflows is deleted completely, children included",
    { timeout: 240_000 },
    async () => {
      const CHILDREN = 1000;
      const t = initConvexTest();
      const id = await t.mutation((ctx) =>
        lifecycle.start(ctx, internal.lifecycleWorkflows.fanOut, { children: CHILDREN }),
      );
      await t.finishAllScheduledFunctions(vi.runAllTimers, 100_000);
      expect(await status(t, id)).toEqual({ type: "completed", result: (CHILDREN * (CHILDREN - 1)) / 2 });
      const steps = await allSteps(t, id, 1000);
      expect(steps).toHaveLength(CHILDREN);
      const children = steps.map(nestedIdOf);

      // The first cleanup transaction fills its 1000-entry budget with nested-workflow entries;
      // deleting their workflows and continuing must still fit the per-transaction limits
      // (at most 1000 scheduled functions).
      expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, id))).toBe(true);
      await drain(t);
      await expect(status(t, id)).rejects.toThrow(/Workflow not found/);
      expect(await allSteps(t, id)).toEqual([]);
      for (const child of [children[0], children[CHILDREN - 1]]) {
        await expect(status(t, child)).rejects.toThrow(/Workflow not found/);
      }
      expect((await t.query((ctx) => lifecycle.list(ctx))).page).toEqual([]);
    },
  );
});
