// SPEC 1.6: replay and determinism, the handler's environment, and the step result size
// limit — through the public API.
import type { WorkflowId } from "convex-workflow";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";
import { workflow } from "./testWorkflows.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const statusOf = (t: TestConvex, id: WorkflowId) => t.query(async (ctx) => workflow.status(ctx, id));
const stepsOf = async (t: TestConvex, id: WorkflowId) =>
  (await t.query(async (ctx) => workflow.listSteps(ctx, id))).page;
const effectsOf = (t: TestConvex, key: string) =>
  t.run(async (ctx) => (await ctx.db.query("effects").collect()).filter((e) => e.key === key));

async function resultOf(t: TestConvex, id: WorkflowId): Promise<unknown> {
  const status = await statusOf(t, id);
  if (status.type !== "completed") throw new Error(`expected completed, got ${JSON.stringify(status)}`);
  return status.result;
}

describe("determinism", () => {
  test("step args that change between replays fail the workflow with `Journal entry mismatch`", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.testWorkflows.nondeterministic,
        { key: "nd" },
        { onComplete: internal.testWorkflows.onCompleteRecorder, context: null },
      ),
    );
    await drain(t);
    const status = await statusOf(t, id);
    expect(status.type).toBe("failed");
    if (status.type !== "failed") throw new Error("unreachable");
    expect(status.error.startsWith("Journal entry mismatch")).toBe(true);
    // The first step ran once; the second was never journaled.
    expect(await effectsOf(t, "nd")).toHaveLength(1);
    expect(await stepsOf(t, id)).toHaveLength(1);
    const completions = await t.run((ctx) => ctx.db.query("completions").collect());
    expect(completions.map((c) => c.result.kind)).toEqual(["failed"]);
  });

  test("Math.random and Date.now are the same on every replay; console is silent while replaying", async () => {
    const t = initConvexTest();
    const log = vi.spyOn(console, "log");
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.randomness, { key: "rnd" }));
    await drain(t);
    // The final poll replayed the whole handler: its values must equal those recorded
    // in step args by the earlier polls (else the replay would also have mismatched).
    const result = (await resultOf(t, id)) as Record<"r1" | "t1" | "d1" | "r2" | "t2" | "r3" | "t3", number>;
    const [first, second] = (await effectsOf(t, "rnd")).map((e) => e.value);
    expect(first).toEqual({ r1: result.r1, t1: result.t1, d1: result.d1 });
    expect(second).toEqual({ r1: result.r1, t1: result.t1, r2: result.r2, t2: result.t2 });
    // A sequence, not a constant, and in [0, 1).
    expect(new Set([result.r1, result.r2, result.r3]).size).toBe(3);
    for (const r of [result.r1, result.r2, result.r3]) {
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(1);
    }
    // Date.now() is the time each step was first requested.
    const steps = await stepsOf(t, id);
    expect(result.t1).toBe(steps[0].startedAt);
    expect(result.d1).toBe(result.t1);
    expect(result.t2).toBe(steps[1].startedAt);
    expect(result.t3).toBeGreaterThanOrEqual(result.t2 + 5000);
    // Each line was printed once, by the poll that first got there, not by the replays.
    const printed = (text: string) => log.mock.calls.filter((args) => args[0] === text).length;
    expect(printed("randomness-before rnd")).toBe(1);
    expect(printed("randomness-middle rnd")).toBe(1);
  });

  test("Math.random is seeded per workflow: two workflows draw different numbers", async () => {
    const t = initConvexTest();
    const [a, b] = await t.mutation(async (ctx) => [
      await workflow.start(ctx, internal.testWorkflows.randomness, { key: "ra" }),
      await workflow.start(ctx, internal.testWorkflows.randomness, { key: "rb" }),
    ]);
    await drain(t);
    const ra = (await resultOf(t, a)) as { r1: number };
    const rb = (await resultOf(t, b)) as { r1: number };
    expect(ra.r1).not.toBe(rb.r1);
  });
});

describe("environment", () => {
  test("process and crypto are hidden from the handler; globals are restored after success and after a throw", async () => {
    const g = globalThis as Record<string, unknown>;
    const keys = ["Math", "Date", "console", "process", "crypto", "Crypto", "CryptoKey", "SubtleCrypto"];
    const before = Object.fromEntries(keys.map((k) => [k, g[k]]));
    const present = Object.fromEntries(keys.map((k) => [k, k in g]));
    const random = Math.random;
    const now = Date.now;
    const log = console.log;
    expect(before.crypto).toBeDefined(); // otherwise the hiding below proves nothing

    const t = initConvexTest();
    const [ok, thrown, immediate] = await t.mutation(async (ctx) => [
      await workflow.start(ctx, internal.testWorkflows.globalsProbe, { key: "ok", throwAtEnd: false }),
      await workflow.start(ctx, internal.testWorkflows.globalsProbe, { key: "throw", throwAtEnd: true }),
      await workflow.start(ctx, internal.testWorkflows.throwsImmediately, {}),
    ]);
    // Right after handlers ran (and one threw) inside this transaction.
    for (const k of keys) expect(g[k], k).toBe(before[k]);
    await drain(t);
    for (const k of keys) {
      expect(g[k], k).toBe(before[k]);
      expect(k in g, k).toBe(present[k]);
    }
    expect(Math.random).toBe(random);
    expect(Date.now).toBe(now);
    expect(console.log).toBe(log);

    const hidden = {
      process: "undefined",
      crypto: "undefined",
      Crypto: "undefined",
      CryptoKey: "undefined",
      SubtleCrypto: "undefined",
    };
    expect(await resultOf(t, ok)).toEqual({ first: hidden, afterStep: hidden });
    expect((await effectsOf(t, "throw")).map((e) => e.value)).toEqual([hidden]);
    const thrownStatus = await statusOf(t, thrown);
    expect(thrownStatus.type).toBe("failed");
    if (thrownStatus.type === "failed") expect(thrownStatus.error).toContain("globalsProbe throw threw");
    const immediateStatus = await statusOf(t, immediate);
    expect(immediateStatus.type).toBe("failed");
    if (immediateStatus.type === "failed") expect(immediateStatus.error).toContain("thrown before any step");
  });

  test("globals are restored after a determinism failure", async () => {
    const g = globalThis as Record<string, unknown>;
    const keys = ["Math", "Date", "console", "process", "crypto"];
    const before = Object.fromEntries(keys.map((k) => [k, g[k]]));
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.nondeterministic, { key: "nd2" }));
    await drain(t);
    expect((await statusOf(t, id)).type).toBe("failed");
    for (const k of keys) expect(g[k], k).toBe(before[k]);
  });
});

describe("limits", () => {
  test("a step result over 800 KiB becomes a catchable failure: `Step return value too large`", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.bigResult, { kib: 820 }));
    await drain(t);
    const result = (await resultOf(t, id)) as { action: string; inline: string };
    expect(result.action.startsWith("Step return value too large")).toBe(true);
    expect(result.inline.startsWith("Step return value too large")).toBe(true);
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => s.runResult?.kind)).toEqual(["failed", "failed"]);
  });

  test("a journal over 8 MiB fails its workflow with the journal size error", async () => {
    const t = initConvexTest();
    // 700 KiB per result: the 12th poll finds 11 results, about 7.5 MiB; the 13th, over 8 MiB.
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.growingJournal, { kib: 700, count: 20 }),
    );
    await drain(t);
    const status = await statusOf(t, id);
    expect(status.type).toBe("failed");
    expect((status as { error: string }).error).toMatch(
      new RegExp(`^Workflow ${id} journal size limit exceeded \\(\\d+ bytes > 8388608 bytes\\)`),
    );
    const steps = await stepsOf(t, id);
    expect(steps.length).toBeGreaterThan(11);
    expect(steps.length).toBeLessThan(20);
    // Nothing is left running once the workflow has failed.
    expect(steps.every((s) => s.runResult !== undefined)).toBe(true);
  });

  test("a step result just under the limit is delivered", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.bigResult, { kib: 700 }));
    await drain(t);
    expect(await resultOf(t, id)).toEqual({ action: "no error", inline: "no error" });
  });
});
