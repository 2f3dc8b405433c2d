// restart with new `args` (validated like a start, by the workflow's own mutation) and
// `from: "failed"` (SPEC 4.3), through the public API.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { listSteps, restart } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { operate } from "./operateWorkflows.js";
import { drain, initConvexTest, logged, type TestConvex } from "./setup.testing.js";

async function effects(t: TestConvex, key: string): Promise<number> {
  return await t.run(
    async (ctx) =>
      (
        await ctx.db
          .query("effects")
          .withIndex("key", (q) => q.eq("key", key))
          .collect()
      ).length,
  );
}

describe("restart with args and from failed", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("restart with new args runs the handler on them; invalid args throw and change nothing", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.double, { x: 2 }));
    await drain(t);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "completed", result: 4 });
    await expect(
      t.mutation((ctx) => restart(ctx, components.workflow, id, { from: 0, args: { x: "three" } })),
    ).rejects.toThrow(`Invalid args to restart workflow ${id} with:`);
    await expect(t.mutation((ctx) => operate.restart(ctx, id, { args: { x: 1, extra: true } }))).rejects.toThrow(
      /extra/,
    );
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "completed", result: 4 });
    const [before] = (await t.query((ctx) => operate.list(ctx))).page;
    expect(before.args).toEqual({ x: 2 });
    // From an action too (the check goes through the workflow's stored handle).
    await t.action((ctx) => operate.restart(ctx, id, { from: 0, args: { x: 5, label: "five" } }));
    await drain(t);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "completed", result: 10 });
    const [after] = (await t.query((ctx) => operate.list(ctx))).page;
    expect(after.args).toEqual({ x: 5, label: "five" });
    expect(await effects(t, "double:5")).toBe(1);
  });

  test('from "failed" re-runs from the first failed step, keeping the steps before it', async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.gated, { key: "g" }));
    const other = await t.mutation((ctx) => operate.start(ctx, internal.operateWorkflows.quick, { n: 1 }));
    await drain(t);
    const status = await t.query((ctx) => operate.status(ctx, id));
    expect(status.type).toBe("failed");
    // The step's own error (logged by the workpool), then the workflow's.
    expect(logged("error")).toEqual([
      expect.stringContaining("gate g is closed"),
      `Workflow ${id} failed: Error: gate g is closed`,
    ]);
    await t.run((ctx) => ctx.db.insert("effects", { key: "g:open" }));
    await t.mutation((ctx) => operate.restart(ctx, id, { from: "failed" }));
    await drain(t);
    expect(await t.query((ctx) => operate.status(ctx, id))).toEqual({ type: "completed", result: "through" });
    expect(await effects(t, "g:a")).toBe(1); // the step before the failed one did not run again
    expect(await effects(t, "g:c")).toBe(1);
    const steps = await t.query((ctx) => listSteps(ctx, components.workflow, id));
    expect(steps.page.map((s) => [s.name, s.runResult?.kind])).toEqual([
      ["operateWorkflows:effect", "success"],
      ["gate", "success"],
      ["operateWorkflows:effect", "success"],
    ]);
    // No failed step: a clear error, nothing changed.
    await expect(t.mutation((ctx) => operate.restart(ctx, id, { from: "failed" }))).rejects.toThrow(
      `No failed step in workflow ${id}: restart from "failed" needs one.`,
    );
    expect(await t.query((ctx) => operate.status(ctx, other))).toEqual({ type: "completed", result: 1 });
  });
});
