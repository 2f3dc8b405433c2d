/// <reference types="vite/client" />
// The retention sweep when its batch does not fit one transaction's deletion budget.
import { convexTest } from "convex-test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import schema from "./schema.js";

const modules = import.meta.glob(["./**/*.ts", "!./**/*.test.ts"]);

describe("retention sweep", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("a batch larger than the deletion budget: the rest waits for the next sweep, no workflow is deleted twice", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true });
    const big = "x".repeat(300 << 10); // a workflow of 300 KiB: reading and deleting it costs 600 KiB
    const n = 30;
    for (let i = 0; i < n; i++) {
      await t.run(async (ctx) => {
        await ctx.db.insert("workflows", {
          name: "w",
          workflowHandle: "function://w",
          args: { big },
          generationNumber: 0,
          runResult: { kind: "success", returnValue: null },
          finishedAt: 1,
          status: "completed",
        });
      });
    }
    await t.mutation(api.retention.configure, { retention: { completed: 0 } });
    const left = async () => await t.run(async (ctx) => (await ctx.db.query("workflows").collect()).length);
    const pendingDeletions = async () =>
      await t.run(async (ctx) =>
        (await ctx.db.system.query("_scheduled_functions").collect())
          .filter((s) => s.name.includes("deleteWorkflows") && s.state.kind === "pending")
          .flatMap((s) => (s.args[0] as { workflowIds: string[] }).workflowIds),
      );

    // Three sweeps one after the other, the continuations not run yet.
    for (let i = 0; i < 3; i++) await t.mutation(internal.retention.sweep, {});
    const scheduled = await pendingDeletions();
    expect(new Set(scheduled).size).toBe(scheduled.length); // no workflow in two jobs
    const deleted = (await t.query(api.retention.retentionStatus, {})).deleted;
    expect(deleted).toBe(n - (await left())); // counts the workflows whose deletion began
    expect(deleted).toBeGreaterThan(0);
    expect(deleted).toBeLessThan(n); // the budget held each sweep to a part of the batch

    await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
    expect(await left()).toBe(0);
    expect((await t.query(api.retention.retentionStatus, {})).deleted).toBe(n);
  });
});
