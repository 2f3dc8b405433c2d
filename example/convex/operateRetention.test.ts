// Retention (SPEC 4.3) through the public API: the sweep deletes finished top-level workflows
// once their status's period has passed — with their nested workflows, never a nested workflow
// of a running parent — and `list` / `counts` are right after each sweep.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { counts, list, listSteps, type WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { operate, retaining } from "./operateWorkflows.js";
import { BASE_URL, workflow as webhookManager } from "./webhookWorkflows.js";
import { drain, initConvexTest, logged, type TestConvex } from "./setup.testing.js";

const HOUR = 60 * 60 * 1000;

/** Let `ms` of fake time pass, running the sweep and the deletions it schedules. */
async function pass(t: TestConvex, ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 5; i++) {
    await t.finishInProgressScheduledFunctions();
    await vi.advanceTimersByTimeAsync(1);
  }
}

async function remaining(t: TestConvex): Promise<Set<WorkflowId>> {
  const page = await t.query((ctx) =>
    list(ctx, components.workflow, { paginationOpts: { cursor: null, numItems: 1000 } }),
  );
  return new Set(page.page.map((w) => w.workflowId));
}

async function childOf(t: TestConvex, parent: WorkflowId): Promise<WorkflowId> {
  const steps = await t.query((ctx) => listSteps(ctx, components.workflow, parent));
  const step = steps.page.find((s) => s.kind === "workflow");
  if (!step || step.kind !== "workflow") throw new Error("no child");
  return step.nestedWorkflowId;
}

describe("retention", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("Retention deletes exactly what it should in a test with parents, children and 3 statuses", async () => {
    const t = initConvexTest();
    const start = (fn: Parameters<typeof operate.start>[1], args: Record<string, unknown>) =>
      t.mutation((ctx) => operate.start(ctx, fn, args));
    const completed = await start(internal.operateWorkflows.quick, { n: 1 });
    const failed = await start(internal.operateWorkflows.fails, { n: 2 });
    const canceled = await start(internal.operateWorkflows.waiter, { key: "x" });
    await t.mutation((ctx) => operate.cancel(ctx, canceled));
    // A completed parent with its completed child.
    const doneParent = await start(internal.operateWorkflows.parent, { key: "d" });
    await drain(t);
    const doneChild = await childOf(t, doneParent);
    await t.mutation((ctx) => operate.sendEvent(ctx, { workflowId: doneChild, name: "go" }));
    // A canceled parent, its child canceled with it.
    const canceledParent = await start(internal.operateWorkflows.parent, { key: "c" });
    await drain(t);
    const canceledChild = await childOf(t, canceledParent);
    await t.mutation((ctx) => operate.cancel(ctx, canceledParent));
    // A running parent whose child completed: the child must never be deleted.
    const runningParent = await start(internal.operateWorkflows.parentThenWait, { key: "r" });
    const running = await start(internal.operateWorkflows.waiter, { key: "unrelated" });
    await drain(t);
    const finishedChild = await childOf(t, runningParent);
    expect(await t.query((ctx) => operate.status(ctx, finishedChild))).toEqual({ type: "completed", result: 0 });
    expect(await t.query((ctx) => operate.status(ctx, doneParent))).toMatchObject({ type: "completed" });
    expect(logged("error")).toContain(`Workflow ${failed} failed: Error: fails 2`);
    const all = [
      completed,
      failed,
      canceled,
      doneParent,
      doneChild,
      canceledParent,
      canceledChild,
      runningParent,
      finishedChild,
      running,
    ];
    expect(await remaining(t)).toEqual(new Set(all));

    // completed after 1 h, failed after 2 h, canceled after 3 h.
    await t.mutation((ctx) => retaining.configureRetention(ctx));
    await pass(t, 0);
    expect(await remaining(t)).toEqual(new Set(all));
    await pass(t, HOUR + 1_000);
    const afterCompleted = all.filter((id) => ![completed, doneParent, doneChild].includes(id));
    expect(await remaining(t)).toEqual(new Set(afterCompleted));
    expect((await t.query((ctx) => counts(ctx, components.workflow))).total).toEqual({
      running: 2,
      success: 1,
      failed: 1,
      canceled: 3,
      queued: 0,
      paused: 0,
    });
    await pass(t, HOUR);
    expect(await remaining(t)).toEqual(new Set(afterCompleted.filter((id) => id !== failed)));
    await pass(t, HOUR);
    expect(await remaining(t)).toEqual(new Set([runningParent, finishedChild, running]));
    expect((await t.query((ctx) => counts(ctx, components.workflow))).total).toEqual({
      running: 2,
      success: 1,
      failed: 0,
      canceled: 0,
      queued: 0,
      paused: 0,
    });
    // Status filters agree.
    const completedNow = await t.query((ctx) => list(ctx, components.workflow, { status: "completed" }));
    expect(completedNow.page.map((w) => w.workflowId)).toEqual([finishedChild]);

    // Nothing finished is left: the sweep stopped. A workflow that finishes now schedules it.
    expect((await t.query((ctx) => retaining.retentionStatus(ctx))).nextSweepAt).toBeUndefined();
    await t.mutation((ctx) => operate.sendEvent(ctx, { workflowId: running, name: "go" }));
    // (drain runs every timer: the sweep the finish scheduled an hour out, too.)
    await drain(t);
    expect(await remaining(t)).toEqual(new Set([runningParent, finishedChild]));
    const status = await t.query((ctx) => retaining.retentionStatus(ctx));
    expect(status).toMatchObject({ retention: { completed: HOUR, failed: 2 * HOUR, canceled: 3 * HOUR }, deleted: 6 });
  });

  test("a manager with retention stores it at its first start; bad periods are refused", async () => {
    const t = initConvexTest();
    expect((await t.query((ctx) => retaining.retentionStatus(ctx))).retention).toEqual({});
    await t.mutation((ctx) => retaining.start(ctx, internal.operateWorkflows.retainedQuick, { n: 1 }));
    expect((await t.query((ctx) => retaining.retentionStatus(ctx))).retention).toEqual({
      completed: HOUR,
      failed: 2 * HOUR,
      canceled: 3 * HOUR,
    });
    await expect(
      t.mutation((ctx) => ctx.runMutation(components.workflow.retention.configure, { retention: { completed: -1 } })),
    ).rejects.toThrow("retention: retention.completed must be a number of milliseconds from 0 to");
    const { WorkflowManager } = await import("convex-workflow");
    expect(() => new WorkflowManager(components.workflow, { retention: { failed: Number.NaN } })).toThrow(
      "WorkflowManager: retention.failed must be a number of milliseconds",
    );
  });

  test("retention purges the webhook rows of the workflows it deletes (cleanup keeps them: 410, then 404)", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => webhookManager.start(ctx, internal.webhookWorkflows.waitForWebhook, {}));
    await drain(t);
    const rows = await t.run((ctx) => ctx.db.query("effects").collect());
    const { url } = rows.find((r) => r.key === "webhookUrl" && r.workflowId === id)!.value as { url: string };
    await t.mutation((ctx) => webhookManager.cancel(ctx, id));
    const post = () => t.fetch(url.slice(BASE_URL.length), { method: "POST", body: "{}" });
    expect((await post()).status).toBe(410); // the workflow finished: gone
    await t.mutation((ctx) => ctx.runMutation(components.workflow.retention.configure, { retention: { canceled: 0 } }));
    await pass(t, 1);
    expect(await remaining(t)).toEqual(new Set());
    expect((await post()).status).toBe(404); // its row purged with it
  });

  test("retention purges the webhook rows of nested workflows too", async () => {
    const t = initConvexTest();
    const parent = await t.mutation((ctx) => webhookManager.start(ctx, internal.webhookWorkflows.parentOfWebhook, {}));
    await drain(t);
    const child = await childOf(t, parent);
    const rows = await t.run((ctx) => ctx.db.query("effects").collect());
    const { url } = rows.find((r) => r.key === "webhookUrl" && r.workflowId === child)!.value as { url: string };
    await t.mutation((ctx) => webhookManager.cancel(ctx, parent));
    await drain(t);
    const post = () => t.fetch(url.slice(BASE_URL.length), { method: "POST", body: "{}" });
    expect((await post()).status).toBe(410);
    await t.mutation((ctx) => ctx.runMutation(components.workflow.retention.configure, { retention: { canceled: 0 } }));
    await pass(t, 1);
    expect(await remaining(t)).toEqual(new Set());
    expect(await t.query((ctx) => webhookManager.status(ctx, child)).catch((e: Error) => e.message)).toMatch(
      /not found/i,
    );
    expect((await post()).status).toBe(404);
    const runInComponent = (
      t as unknown as { runInComponent: (p: string, f: (ctx: any) => Promise<unknown>) => Promise<unknown> }
    ).runInComponent;
    expect(await runInComponent("workflow", (ctx) => ctx.db.query("webhooks").collect())).toEqual([]);
  });

  test("more than one batch: a full sweep schedules the next at once; a running workflow stays", async () => {
    const t = initConvexTest();
    const running = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.waiter, { key: "keep" }));
    await t.mutation(async (ctx) => {
      for (let n = 0; n < 60; n++) await operate.start(ctx, internal.operateWorkflows.quick, { n });
    });
    await drain(t);
    await t.mutation((ctx) =>
      ctx.runMutation(components.workflow.retention.configure, { retention: { completed: 0 } }),
    );
    await pass(t, 1);
    expect(await remaining(t)).toEqual(new Set([running]));
    expect((await t.query((ctx) => retaining.retentionStatus(ctx))).deleted).toBe(60);
    expect((await t.query((ctx) => counts(ctx, components.workflow))).total).toEqual({
      running: 1,
      success: 0,
      failed: 0,
      canceled: 0,
      queued: 0,
      paused: 0,
    });
  });
});
