// cancelMany / restartMany (SPEC 4.3) through the public API: a filter's workflows in bounded,
// self-continuing batches, `{ count }` when one batch did it all, else `{ jobId }` whose
// progress can be read; safe while workflows start; unrelated workflows unaffected.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { bulkProgress, cancelMany, list, restartMany, type WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { operate } from "./operateWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

async function startWaiters(t: TestConvex, n: number, tags: Record<string, string>): Promise<WorkflowId[]> {
  return await t.mutation(async (ctx) => {
    const ids: WorkflowId[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(await operate.start(ctx, internal.operateWorkflows.waiter, { key: `w${i}` }, { tags }));
    }
    return ids;
  });
}

async function statusCount(t: TestConvex, filter: Parameters<typeof list>[2]): Promise<number> {
  const page = await t.query((ctx) =>
    list(ctx, components.workflow, { ...filter, paginationOpts: { cursor: null, numItems: 1000 } }),
  );
  return page.page.length;
}

describe("bulk actions", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("cancelMany over more than one batch returns a job; workflows started meanwhile are reached; others untouched", async () => {
    const t = initConvexTest();
    const tag = { key: "job", value: "a" };
    await startWaiters(t, 60, { job: "a" });
    const [other] = await startWaiters(t, 1, { job: "b" });
    const result = await t.mutation((ctx) => cancelMany(ctx, components.workflow, { tag, status: "running" }));
    if (!("jobId" in result)) throw new Error("expected a job");
    const first = await t.query((ctx) => bulkProgress(ctx, components.workflow, result.jobId));
    expect(first).toMatchObject({ kind: "cancel", count: 50, skipped: 0, batches: 1, done: false });
    // Started while the job runs: created after its cursor, so the job reaches them too.
    await startWaiters(t, 3, { job: "a" });
    await drain(t);
    const done = await t.query((ctx) => operate.bulkProgress(ctx, result.jobId));
    expect(done).toMatchObject({ count: 63, skipped: 0, done: true });
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt);
    expect(await statusCount(t, { tag, status: "canceled" })).toBe(63);
    expect(await statusCount(t, { tag, status: "running" })).toBe(0);
    expect(await t.query((ctx) => operate.status(ctx, other))).toMatchObject({ type: "inProgress" });
    const counts = await t.query((ctx) => operate.counts(ctx));
    expect(counts.total).toEqual({ running: 1, success: 0, failed: 0, canceled: 63, queued: 0, paused: 0 });
    // Nothing left to cancel: done in one batch.
    expect(await t.mutation((ctx) => operate.cancelMany(ctx, { tag, status: "running" }))).toEqual({ count: 0 });
  });

  test("restartMany re-runs finished workflows of a filter; running ones are skipped", async () => {
    const t = initConvexTest();
    const ids = await startWaiters(t, 4, { job: "r" });
    await t.mutation((ctx) => operate.cancel(ctx, ids[0]));
    await t.mutation((ctx) => operate.cancel(ctx, ids[1]));
    // Every one of the tag: two canceled (restarted), two running (skipped).
    const result = await t.mutation((ctx) =>
      restartMany(ctx, components.workflow, { tag: { key: "job", value: "r" } }),
    );
    expect(result).toEqual({ count: 2 });
    await drain(t);
    expect(await statusCount(t, { tag: { key: "job", value: "r" }, status: "running" })).toBe(4);
    for (const id of ids) await t.mutation((ctx) => operate.sendEvent(ctx, { workflowId: id, name: "go" }));
    await drain(t);
    expect(await statusCount(t, { status: "completed" })).toBe(4);
    await expect(t.mutation((ctx) => operate.restartMany(ctx, { status: "completed" }, { from: -1 }))).rejects.toThrow(
      'restartMany: from must be a step number (a whole number from 0) or "failed"; got -1',
    );
    await expect(t.query((ctx) => operate.bulkProgress(ctx, "nope"))).rejects.toThrow("Bulk job not found: nope");
  });
});
