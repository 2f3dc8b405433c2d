// Tags on start and `list` filters (SPEC 4.3) through the public API: name, status, tag and
// their combinations, the new `PublicWorkflow` fields, bad tags refused with nothing written,
// and a read count showing a tag filter reads only the matching page.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { counts, list, start, type WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { operate } from "./operateWorkflows.js";
import { drain, initConvexTest, logged, type TestConvex } from "./setup.testing.js";

const QUICK = "operateWorkflows:quick";
const FAILS = "operateWorkflows:fails";

async function idsOf(t: TestConvex, filter: Parameters<typeof list>[2]): Promise<WorkflowId[]> {
  const page = await t.query((ctx) => list(ctx, components.workflow, filter));
  return page.page.map((w) => w.workflowId);
}

describe("tags and list filters", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("tags from every way to start; list by tag, name, status and their combinations", async () => {
    const t = initConvexTest();
    const [q1, q2, f1, w1] = await t.mutation(async (ctx) => [
      await operate.start(ctx, internal.operateWorkflows.quick, { n: 1 }, { tags: { team: "red", env: "prod" } }),
      // The direct call (it returns the id), and workflows with other names.
      (await ctx.runMutation(internal.operateWorkflows.quick, {
        args: { n: 2 },
        tags: { team: "blue" },
      })) as WorkflowId,
      await start(ctx, internal.operateWorkflows.fails, { n: 3 }, { tags: { team: "red" } }),
      await operate.start(ctx, internal.operateWorkflows.waiter, { key: "w" }, { tags: { team: "red" } }),
    ]);
    await drain(t);
    const all = await t.query((ctx) => list(ctx, components.workflow));
    expect(all.page.map((w) => [w.workflowId, w.status, w.tags])).toEqual([
      [q1, "completed", { team: "red", env: "prod" }],
      [q2, "completed", { team: "blue" }],
      [f1, "failed", { team: "red" }],
      [w1, "running", { team: "red" }],
    ]);
    for (const w of all.page) expect(w.createdAt).toBeGreaterThan(0);
    expect(all.page[0].finishedAt).toBeGreaterThanOrEqual(Math.floor(all.page[0].createdAt));
    expect(logged("error")).toEqual([`Workflow ${f1} failed: Error: fails 3`]);
    expect(all.page[3].finishedAt).toBeUndefined();

    const red = { key: "team", value: "red" };
    expect(await idsOf(t, { tag: red })).toEqual([q1, f1, w1]);
    expect(await idsOf(t, { tag: red, order: "desc" })).toEqual([w1, f1, q1]);
    expect(await idsOf(t, { tag: red, status: "failed" })).toEqual([f1]);
    expect(await idsOf(t, { tag: red, name: QUICK })).toEqual([q1]);
    expect(await idsOf(t, { tag: red, name: QUICK, status: "completed" })).toEqual([q1]);
    expect(await idsOf(t, { tag: red, name: QUICK, status: "failed" })).toEqual([]);
    expect(await idsOf(t, { tag: { key: "env", value: "prod" } })).toEqual([q1]);
    expect(await idsOf(t, { name: QUICK })).toEqual([q1, q2]);
    expect(await idsOf(t, { name: FAILS, status: "failed" })).toEqual([f1]);
    expect(await idsOf(t, { status: "running" })).toEqual([w1]);
    expect(await idsOf(t, { status: "completed" })).toEqual([q1, q2]);
    // The tag rows follow the status: cancel the waiter.
    await t.mutation((ctx) => operate.cancel(ctx, w1));
    expect(await idsOf(t, { tag: red, status: "running" })).toEqual([]);
    expect(await idsOf(t, { tag: red, status: "canceled" })).toEqual([w1]);
    expect(await idsOf(t, { status: "canceled" })).toEqual([w1]);
    // listByName keeps working, with the new fields.
    const byName = await t.query((ctx) => operate.listByName(ctx, QUICK));
    expect(byName.page.map((w) => w.status)).toEqual(["completed", "completed"]);
    // Cleanup deletes the tag rows with the workflow.
    expect(await t.mutation((ctx) => operate.cleanup(ctx, q1))).toBe(true);
    await drain(t);
    expect(await idsOf(t, { tag: red })).toEqual([f1, w1]);
    expect(await idsOf(t, { tag: { key: "env", value: "prod" } })).toEqual([]);
    const c = await t.query((ctx) => counts(ctx, components.workflow));
    expect(c.total).toEqual({ running: 0, success: 1, failed: 1, canceled: 1, queued: 0, paused: 0 });
  });

  test("bad tags are refused with a clear error and nothing written; another workflow still runs", async () => {
    const t = initConvexTest();
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    const cases: [Record<string, string>, RegExp][] = [
      [tooMany, /at most 16 tags per workflow; got 17/],
      [{ ["k".repeat(65)]: "v" }, /tag key must be 1 to 64 printable ASCII characters/],
      [{ "": "v" }, /tag key must be 1 to 64/],
      [{ k: "v".repeat(257) }, /the value of tag "k" must be a string of at most 256 characters/],
      [{ k: 5 as unknown as string }, /the value of tag "k" must be a string/],
    ];
    for (const [tags, error] of cases) {
      await expect(
        t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.quick, { n: 0 }, { tags })),
      ).rejects.toThrow(error);
    }
    // The direct call checks too (a 17th pair passes the mutation's validator).
    await expect(
      t.mutation((ctx) => ctx.runMutation(internal.operateWorkflows.quick, { args: { n: 0 }, tags: tooMany })),
    ).rejects.toThrow(/at most 16 tags/);
    // The component checks what reaches it directly.
    await expect(
      t.mutation((ctx) =>
        ctx.runMutation(components.workflow.workflow.create, {
          workflowName: "x",
          workflowHandle: "x",
          workflowArgs: {},
          tags: [{ key: "$bad", value: "v" }],
        }),
      ),
    ).rejects.toThrow(/not starting with "\$"/);
    expect((await t.query((ctx) => list(ctx, components.workflow))).page).toEqual([]);
    const ok = await t.mutation((ctx) =>
      operate.start(ctx, internal.operateWorkflows.quick, { n: 7 }, { tags: { ["k".repeat(64)]: "v".repeat(256) } }),
    );
    expect(await t.query((ctx) => operate.status(ctx, ok))).toEqual({ type: "completed", result: 7 });
  });

  test("filtering 1,000 workflows by tag reads only the matching page", async () => {
    const t = initConvexTest();
    // 1,000 workflows, every 100th tagged batch=rare (10 of them), created through the
    // component's `create` (what `start` calls) without running them, to keep the test quick.
    for (let chunk = 0; chunk < 4; chunk++) {
      await t.mutation(async (ctx) => {
        for (let i = 0; i < 250; i++) {
          const n = chunk * 250 + i;
          await ctx.runMutation(components.workflow.workflow.create, {
            workflowName: QUICK,
            workflowHandle: "unused",
            workflowArgs: { n },
            createOnly: true,
            tags: [{ key: "batch", value: n % 100 === 0 ? "rare" : "common" }],
          });
        }
      });
    }
    const rare = await t.query(async (ctx) => {
      const page = await list(ctx, components.workflow, { tag: { key: "batch", value: "rare" } });
      return { n: page.page.map((w) => w.args.n as number), metrics: await ctx.meta.getTransactionMetrics() };
    });
    expect(rare.n).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    // 10 tag rows and their 10 workflows (plus a handful of index ranges): not 1,000.
    expect(rare.metrics.documentsRead.used).toBeLessThanOrEqual(25);
    const page = await t.query(async (ctx) => {
      const page = await list(ctx, components.workflow, {
        tag: { key: "batch", value: "common" },
        paginationOpts: { cursor: null, numItems: 5 },
      });
      return {
        n: page.page.map((w) => w.args.n as number),
        isDone: page.isDone,
        metrics: await ctx.meta.getTransactionMetrics(),
      };
    });
    expect(page.n).toEqual([1, 2, 3, 4, 5]);
    expect(page.isDone).toBe(false);
    expect(page.metrics.documentsRead.used).toBeLessThanOrEqual(15);
  }, 30_000);
});
