// list / listByName / listSteps pagination through the public API
// (docs/managing-workflows.md), and the errors getStatus / cancel / restart / cleanup /
// listSteps give for unknown and malformed ids.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { cancel, cleanup, getStatus, list, listByName, listSteps, restart, type WorkflowId } from "convex-workflow";
import type { PaginationResult } from "convex/server";
import { components, internal } from "./_generated/api.js";
import { lifecycle } from "./lifecycleWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const A = "lifecycleWorkflows:listA";
const B = "lifecycleWorkflows:listB";

/** Follow a paginated listing to its end; returns each page. */
async function pages<T>(
  fetch: (cursor: string | null) => Promise<PaginationResult<T>>,
): Promise<PaginationResult<T>[]> {
  const result: PaginationResult<T>[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page = await fetch(cursor);
    result.push(page);
    if (page.isDone) return result;
    cursor = page.continueCursor;
  }
  throw new Error("pagination did not finish");
}

/** Start workflows A0, B0, A1, B1, A2 (in that order); each finishes at once with its `n`. */
async function startFive(t: TestConvex): Promise<WorkflowId[]> {
  return await t.mutation(async (ctx) => {
    const ids: WorkflowId[] = [];
    ids.push(await lifecycle.start(ctx, internal.lifecycleWorkflows.listA, { n: 0 }));
    ids.push(await lifecycle.start(ctx, internal.lifecycleWorkflows.listB, { n: 1 }));
    ids.push(await lifecycle.start(ctx, internal.lifecycleWorkflows.listA, { n: 2 }));
    ids.push(await lifecycle.start(ctx, internal.lifecycleWorkflows.listB, { n: 3 }));
    ids.push(await lifecycle.start(ctx, internal.lifecycleWorkflows.listA, { n: 4 }));
    return ids;
  });
}

describe("list and listByName", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("list: every workflow with name, args, context and result; asc by default, desc on request", async () => {
    const t = initConvexTest();
    const ids = await startFive(t);
    const withContext = await t.mutation((ctx) =>
      lifecycle.start(
        ctx,
        internal.lifecycleWorkflows.waiter,
        { key: "w" },
        {
          onComplete: internal.lifecycleWorkflows.onComplete,
          context: { who: "w" },
        },
      ),
    );
    await drain(t);

    const asc = await t.query((ctx) => lifecycle.list(ctx));
    expect(asc.isDone).toBe(true);
    expect(asc.page.map((w) => w.workflowId)).toEqual([...ids, withContext]);
    expect(asc.page[0]).toMatchObject({ name: A, args: { n: 0 }, runResult: { kind: "success", returnValue: 0 } });
    expect(asc.page[1]).toMatchObject({ name: B, args: { n: 1 }, runResult: { kind: "success", returnValue: 1 } });
    expect(asc.page[5]).toMatchObject({ name: "lifecycleWorkflows:waiter", args: { key: "w" }, context: { who: "w" } });
    expect(asc.page[5].runResult).toBeUndefined();

    const desc = await t.query((ctx) => list(ctx, components.workflow, { order: "desc" }));
    expect(desc.page.map((w) => w.workflowId)).toEqual([...ids, withContext].reverse());
    expect(desc.isDone).toBe(true);
  });

  test("list: numItems and cursor continuation, both orders", async () => {
    const t = initConvexTest();
    const ids = await startFive(t);
    for (const order of ["asc", "desc"] as const) {
      const result = await pages((cursor) =>
        t.query((ctx) => lifecycle.list(ctx, { order, paginationOpts: { cursor, numItems: 2 } })),
      );
      expect(result.map((p) => p.page.length)).toEqual([2, 2, 1]);
      expect(result.map((p) => p.isDone)).toEqual([false, false, true]);
      const expected = order === "asc" ? ids : [...ids].reverse();
      expect(result.flatMap((p) => p.page.map((w) => w.workflowId))).toEqual(expected);
    }
  });

  test("listByName: only that workflow's runs, paginated, both orders", async () => {
    const t = initConvexTest();
    const [a0, b0, a1, b1, a2] = await startFive(t);
    const all = await t.query((ctx) => lifecycle.listByName(ctx, A));
    expect(all.isDone).toBe(true);
    expect(all.page.map((w) => w.workflowId)).toEqual([a0, a1, a2]);
    expect(all.page.every((w) => w.name === A)).toBe(true);

    const bDesc = await t.query((ctx) => listByName(ctx, components.workflow, B, { order: "desc" }));
    expect(bDesc.page.map((w) => w.workflowId)).toEqual([b1, b0]);

    const paged = await pages((cursor) =>
      t.query((ctx) => lifecycle.listByName(ctx, A, { order: "desc", paginationOpts: { cursor, numItems: 2 } })),
    );
    expect(paged.map((p) => p.page.map((w) => w.workflowId))).toEqual([[a2, a1], [a0]]);
    expect(paged.map((p) => p.isDone)).toEqual([false, true]);

    const none = await t.query((ctx) => lifecycle.listByName(ctx, "lifecycleWorkflows:nothing"));
    expect(none).toMatchObject({ page: [], isDone: true });
  });

  test("defaults: 100 items, oldest first", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(async (ctx) => {
      const ids: WorkflowId[] = [];
      for (let n = 0; n < 105; n++) ids.push(await lifecycle.start(ctx, internal.lifecycleWorkflows.listA, { n }));
      return ids;
    });
    const first = await t.query((ctx) => lifecycle.list(ctx));
    expect(first.page.map((w) => w.workflowId)).toEqual(ids.slice(0, 100));
    expect(first.isDone).toBe(false);
    const rest = await t.query((ctx) =>
      lifecycle.list(ctx, { paginationOpts: { cursor: first.continueCursor, numItems: 100 } }),
    );
    expect(rest.page.map((w) => w.workflowId)).toEqual(ids.slice(100));
    expect(rest.isDone).toBe(true);

    const byName = await t.query((ctx) => lifecycle.listByName(ctx, A));
    expect(byName.page.map((w) => w.workflowId)).toEqual(ids.slice(0, 100));
    expect(byName.isDone).toBe(false);
  });
});

describe("listSteps", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("the journal with names, args, results and times; numItems, cursor, both orders", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.restartable, { key: "s" }));
    await drain(t);

    const all = await t.query((ctx) => lifecycle.listSteps(ctx, id));
    expect(all.isDone).toBe(true);
    expect(all.page.map((s) => [s.stepNumber, s.name, s.kind])).toEqual([
      [0, "alpha", "function"],
      [1, "beta", "function"],
      [2, "beta", "function"],
      [3, "lifecycleWorkflows:effectAction", "function"],
      [4, "gamma", "function"],
    ]);
    for (const [i, step] of all.page.entries()) {
      expect(step.workflowId).toBe(id);
      expect(step.args).toEqual({ key: `s:s${i}` });
      expect(step.runResult).toEqual({ kind: "success", returnValue: 1 });
      expect(step.completedAt).toBeGreaterThanOrEqual(step.startedAt);
    }

    for (const order of ["asc", "desc"] as const) {
      const result = await pages((cursor) =>
        t.query((ctx) => listSteps(ctx, components.workflow, id, { order, paginationOpts: { cursor, numItems: 2 } })),
      );
      expect(result.map((p) => p.page.map((s) => s.stepNumber))).toEqual(
        order === "asc" ? [[0, 1], [2, 3], [4]] : [[4, 3], [2, 1], [0]],
      );
      expect(result.map((p) => p.isDone)).toEqual([false, false, true]);
    }
  });

  test("defaults: 100 steps, first first", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.manySteps, { steps: 105 }));
    expect(await t.query((ctx) => lifecycle.status(ctx, id))).toEqual({ type: "completed", result: 105 });
    const first = await t.query((ctx) => lifecycle.listSteps(ctx, id));
    expect(first.page.map((s) => s.stepNumber)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(first.isDone).toBe(false);
    const rest = await t.query((ctx) =>
      lifecycle.listSteps(ctx, id, { paginationOpts: { cursor: first.continueCursor, numItems: 100 } }),
    );
    expect(rest.page.map((s) => s.stepNumber)).toEqual([100, 101, 102, 103, 104]);
    expect(rest.isDone).toBe(true);
  });
});

describe("unknown and malformed workflow ids", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("unknown (well-formed) ids: errors that name the id", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.listA, { n: 1 }));
    expect(await t.mutation((ctx) => lifecycle.cleanup(ctx, id))).toBe(true);
    await drain(t);

    const notFound = new RegExp(`Workflow not found.*${id}`);
    await expect(t.query((ctx) => lifecycle.status(ctx, id))).rejects.toThrow(notFound);
    await expect(t.query((ctx) => getStatus(ctx, components.workflow, id))).rejects.toThrow(notFound);
    await expect(t.mutation((ctx) => lifecycle.cancel(ctx, id))).rejects.toThrow(id);
    await expect(t.mutation((ctx) => cancel(ctx, components.workflow, id))).rejects.toThrow(id);
    await expect(t.mutation((ctx) => lifecycle.restart(ctx, id))).rejects.toThrow(id);
    await expect(t.mutation((ctx) => restart(ctx, components.workflow, id, { from: 0 }))).rejects.toThrow(id);
    // Not errors: nothing to clean up, nothing to list.
    expect(await t.mutation((ctx) => cleanup(ctx, components.workflow, id))).toBe(false);
    expect(await t.query((ctx) => lifecycle.listSteps(ctx, id))).toMatchObject({ page: [], isDone: true });
  });

  test("malformed ids: errors that name the id", async () => {
    const t = initConvexTest();
    const bad = "no-such-workflow-id" as WorkflowId;
    await expect(t.query((ctx) => lifecycle.status(ctx, bad))).rejects.toThrow(bad);
    await expect(t.mutation((ctx) => lifecycle.cancel(ctx, bad))).rejects.toThrow(bad);
    await expect(t.mutation((ctx) => lifecycle.restart(ctx, bad))).rejects.toThrow(bad);
    await expect(t.mutation((ctx) => lifecycle.cleanup(ctx, bad))).rejects.toThrow(bad);
    await expect(t.query((ctx) => lifecycle.listSteps(ctx, bad))).rejects.toThrow(bad);
    // An id of another table is not a workflow id either.
    const effectId = await t.run((ctx) => ctx.db.insert("effects", { key: "x" }));
    await expect(t.query((ctx) => lifecycle.status(ctx, effectId as unknown as WorkflowId))).rejects.toThrow(effectId);
  });
});

describe("bad cursors", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  test("a cursor that was not handed out gets an error naming it", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.waiter, { key: "cursor" }));
    await expect(
      t.query((ctx) => lifecycle.listSteps(ctx, id, { paginationOpts: { cursor: "not-a-cursor", numItems: 1 } })),
    ).rejects.toThrow('Invalid pagination cursor: "not-a-cursor"');
    await expect(
      t.query((ctx) => lifecycle.list(ctx, { paginationOpts: { cursor: "{oops", numItems: 1 } })),
    ).rejects.toThrow("Invalid pagination cursor");
  });
});
