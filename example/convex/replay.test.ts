// Replay and determinism (docs/determinism.md), the handler's environment, and the step result
// size limit — through the public API.
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
/** The whole journal: listSteps pages end early once they have read about 4 MiB. */
async function stepsOf(t: TestConvex, id: WorkflowId) {
  const steps = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await t.query(async (ctx) =>
      workflow.listSteps(ctx, id, { paginationOpts: { cursor, numItems: 100 } }),
    );
    steps.push(...page.page);
    if (page.isDone) return steps;
    cursor = page.continueCursor;
  }
}
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
    // The final replay ran the whole handler: its values must equal those recorded
    // in step args by the earlier replays (else the journal would also have mismatched).
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
    // Each line was printed once, by the replay that first got there, not by later ones.
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
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.nondeterministic, { key: "nd2" }),
    );
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
    // 700 KiB per result: the 12th replay finds 11 results, about 7.5 MiB; the 13th, over 8 MiB.
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

describe("the sandbox's clocks", () => {
  // Far from the real time, so a clock that is not journaled (Intl reads the real system
  // clock, which fake timers do not move) gives a different answer from the journal's.
  const FAKE_START = new Date("2001-02-03T04:05:06.000Z");
  const utc = (ms: number) =>
    new Intl.DateTimeFormat("en-US", {
      timeZone: "UTC",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hour12: false,
    }).format(ms);

  test("every route to `now` reads the journal: a handler branching on it returns the same on replay", async () => {
    vi.setSystemTime(FAKE_START);
    const t = initConvexTest();
    const sleepMs = 60 * 60 * 1000;
    const [id, other] = await t.mutation(async (ctx) => [
      await workflow.start(ctx, internal.testWorkflows.clockProbe, { key: "clock", sleepMs, throwAtEnd: false }),
      await workflow.start(ctx, internal.testWorkflows.basic, { key: "other-clock", name: "other" }),
    ]);
    await drain(t);
    const steps = await stepsOf(t, id);
    const startedAt = steps[0].startedAt;
    // What the first replay saw (recorded by its step) is the time of that step...
    const expected = {
      dateNow: startedAt,
      newDateConstructor: startedAt,
      prototypeConstructor: startedAt,
      instancePrototypeConstructor: startedAt,
      constructorIsDate: true,
      parentNow: null,
      dateCalled: new Date(startedAt).toString(),
      performance: startedAt,
      intlFormat: utc(startedAt),
      intlFormatToParts: utc(startedAt),
      toLocaleString: utc(startedAt),
    };
    const [recorded] = (await effectsOf(t, "clock")).map((e) => e.value);
    expect(recorded).toEqual(expected);
    // ...and so is what the last replay, an hour later, saw: the branch went the same way.
    expect(await resultOf(t, id)).toEqual({ first: expected, early: "before the sleep" });
    expect(steps[1].startedAt).toBeGreaterThanOrEqual(startedAt);
    // Blast radius: an unrelated workflow completes alongside.
    expect((await statusOf(t, other)).type).toBe("completed");
  });

  test("every patched global and prototype is restored, also after a handler throws", async () => {
    vi.setSystemTime(FAKE_START);
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const g = globalThis as Record<string, unknown>;
    const keys = ["Math", "Date", "console", "performance", "Intl", "process", "crypto"];
    const before = Object.fromEntries(keys.map((k) => [k, g[k]]));
    // Each prototype of a date (under fake timers: the fake Date's, the native Date's, Object's).
    const datePrototypes = () => {
      const chain: unknown[] = [];
      for (
        let p: object | null = Object.getPrototypeOf(new Date(0)) as object;
        p;
        p = Object.getPrototypeOf(p) as object | null
      ) {
        chain.push(Object.getOwnPropertyDescriptor(p, "constructor"));
      }
      return chain;
    };
    const dateConstructors = datePrototypes();
    const dateConstructor = new Date(0).constructor;
    const format = Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "format");
    const formatToParts = Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "formatToParts");
    const dateStatics = Object.getOwnPropertyNames(Date).map((k) => [k, Object.getOwnPropertyDescriptor(Date, k)]);
    const checkRestored = () => {
      for (const k of keys) expect(g[k], k).toBe(before[k]);
      expect(datePrototypes()).toEqual(dateConstructors);
      expect(new Date(0).constructor).toBe(dateConstructor);
      expect(Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "format")).toEqual(format);
      expect(Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "formatToParts")).toEqual(formatToParts);
      expect(Object.getOwnPropertyNames(Date).map((k) => [k, Object.getOwnPropertyDescriptor(Date, k)])).toEqual(
        dateStatics,
      );
    };
    const t = initConvexTest();
    const [thrown, immediate] = await t.mutation(async (ctx) => [
      await workflow.start(ctx, internal.testWorkflows.clockProbe, { key: "throw", sleepMs: 1000, throwAtEnd: true }),
      await workflow.start(ctx, internal.testWorkflows.throwsImmediately, {}),
    ]);
    // Right after two handlers ran (one threw) in this transaction.
    checkRestored();
    await drain(t);
    checkRestored();
    const status = await statusOf(t, thrown);
    expect(status.type).toBe("failed");
    if (status.type === "failed") expect(status.error).toContain("clockProbe throw threw");
    expect((await statusOf(t, immediate)).type).toBe("failed");
    expect(error).toHaveBeenCalled();
  });

  test("using a hidden global or a refused clock fails the workflow with a message that says why", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const t = initConvexTest();
    const [cryptoId, processId, markId, other] = await t.mutation(async (ctx) => [
      await workflow.start(ctx, internal.testWorkflows.hiddenGlobalUse, { use: "crypto" }),
      await workflow.start(ctx, internal.testWorkflows.hiddenGlobalUse, { use: "process" }),
      await workflow.start(ctx, internal.testWorkflows.hiddenGlobalUse, { use: "performance.mark" }),
      await workflow.start(ctx, internal.testWorkflows.basic, { key: "other-hidden", name: "other" }),
    ]);
    await drain(t);
    const errorOf = async (id: WorkflowId) => {
      const status = await statusOf(t, id);
      if (status.type !== "failed") throw new Error(`expected failed, got ${JSON.stringify(status)}`);
      return status.error.split("\n")[0];
    };
    expect(await errorOf(cryptoId)).toBe(
      "TypeError: Cannot read properties of undefined (reading 'randomUUID'). If this was `crypto.randomUUID`: " +
        "`crypto` is undefined inside a workflow handler, because it would make replay non-deterministic; " +
        "call it in an action or mutation step. See docs/determinism.md.",
    );
    expect(await errorOf(processId)).toContain(
      "If this was `process.env`: `process` is undefined inside a workflow handler, because it would make replay " +
        "non-deterministic; read it in an action or mutation step.",
    );
    expect(await errorOf(markId)).toBe(
      "Error: `performance.mark` is not available inside a workflow handler: it would make replay non-deterministic; " +
        "measure with performance.now() or Date.now() (both read the journal's clock), or in an action. " +
        "See docs/determinism.md.",
    );
    expect((await statusOf(t, other)).type).toBe("completed");
  });

  test("a replay that finishes without asking for its journaled steps completes (as in 0.4.8) with a warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.shrinkingHandler, { key: "shrink" }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toBe(1);
    expect(await stepsOf(t, id)).toHaveLength(1);
    const warnings = warn.mock.calls.map((args) => String(args[0]));
    expect(warnings).toContain(
      `Workflow ${id} finished without asking again for all the steps in its journal: the handler is not ` +
        "deterministic, or changed while the workflow ran. See docs/determinism.md.",
    );
    // A deterministic workflow does not warn.
    warn.mockClear();
    const ok = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.randomness, { key: "quiet" }),
    );
    await drain(t);
    expect((await statusOf(t, ok)).type).toBe("completed");
    expect(warn.mock.calls.filter((args) => String(args[0]).includes("finished without asking"))).toEqual([]);
  });
});
