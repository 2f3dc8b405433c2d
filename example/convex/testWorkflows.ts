// Workflows and helper functions for the behaviour tests of defining, starting, steps, replay
// and onComplete (core.test.ts, steps.test.ts, replay.test.ts). Everything goes through the
// public API of "convex-workflow". Mutation steps write rows to `effects` so tests can count
// how many times a step really ran.
import { v } from "convex/values";
import { defineWorkflow, vResultValidator, vWorkflowId, WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";

/** The manager most tests use: actions are not retried (the default). */
export const workflow = new WorkflowManager(components.workflow, {
  workpoolOptions: { maxParallelism: 10 },
});

/** A manager that retries actions by default, with a short custom default policy. */
export const retryingWorkflow = new WorkflowManager(components.workflow, {
  workpoolOptions: {
    maxParallelism: 10,
    retryActionsByDefault: true,
    defaultRetryBehavior: { maxAttempts: 3, initialBackoffMs: 10, base: 2 },
  },
});

// ---------------------------------------------------------------------------------------
// Step functions.

export const echo = internalQuery({
  args: { value: v.any() },
  returns: v.any(),
  handler: (_ctx, { value }) => value,
});

/** Writes one `effects` row and returns `value`. */
export const recordEffect = internalMutation({
  args: { key: v.string(), workflowId: v.optional(v.string()), value: v.optional(v.any()) },
  returns: v.any(),
  handler: async (ctx, { key, workflowId, value }) => {
    await ctx.db.insert("effects", { key, workflowId, value });
    return value ?? null;
  },
});

/** Writes one `effects` row holding the time it ran; returns that time. */
export const stampEffect = internalMutation({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (ctx, { key }) => {
    const now = Date.now();
    await ctx.db.insert("effects", { key, value: now });
    return now;
  },
});

/** Writes a row, then throws: the write must be rolled back with it. */
export const failingMutation = internalMutation({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (ctx, { key }) => {
    await ctx.db.insert("effects", { key, value: "should be rolled back" });
    throw new Error(`failingMutation ${key} threw`);
  },
});

export const double = internalAction({
  args: { n: v.number() },
  returns: v.number(),
  handler: (_ctx, { n }) => n * 2,
});

/** Fails its first `failTimes` attempts, then returns the attempt number. */
export const flaky = internalAction({
  args: { key: v.string(), failTimes: v.number() },
  returns: v.number(),
  handler: async (ctx, { key, failTimes }): Promise<number> => {
    const attempt: number = await ctx.runMutation(internal.attempts.countAttempt, { key });
    if (attempt <= failTimes) throw new Error(`flaky ${key} failed attempt ${attempt}`);
    return attempt;
  },
});

/** Returns a string of `kib` KiB. */
export const bigAction = internalAction({
  args: { kib: v.number() },
  returns: v.string(),
  handler: (_ctx, { kib }) => "x".repeat(kib << 10),
});

export const bigQuery = internalQuery({
  args: { kib: v.number() },
  returns: v.string(),
  handler: (_ctx, { kib }) => "y".repeat(kib << 10),
});

// ---------------------------------------------------------------------------------------
// onComplete handlers.

export const onCompleteRecorder = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("completions", args);
    return null;
  },
});

/**
 * Test instrumentation: how many times `throwingOnComplete` was called per workflow. Its
 * writes are rolled back when it throws, so a module-level counter is the only witness.
 */
const throwingCalls = new Map<string, number>();

export const throwingOnComplete = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    throwingCalls.set(args.workflowId, (throwingCalls.get(args.workflowId) ?? 0) + 1);
    await ctx.db.insert("completions", args);
    throw new Error("onComplete exploded");
  },
});

export const throwingOnCompleteCalls = internalQuery({
  args: { workflowId: v.string() },
  returns: v.number(),
  handler: (_ctx, { workflowId }) => throwingCalls.get(workflowId) ?? 0,
});

// ---------------------------------------------------------------------------------------
// Workflows: defining and starting (1.3, 1.4).

/** A query step, then a mutation step; returns `done:<name>`. */
export const basic = workflow.define({
  args: { key: v.string(), name: v.string() },
  returns: v.string(),
  handler: async (step, { key, name }): Promise<string> => {
    const greeting: string = await step.runQuery(internal.testWorkflows.echo, { value: `hi ${name}` });
    await step.runMutation(internal.testWorkflows.recordEffect, { key, workflowId: step.workflowId, value: greeting });
    return `done:${name}`;
  },
});

/** No steps at all: finishes in its first replay. */
export const pure = workflow.define({
  args: { n: v.number() },
  returns: v.number(),
  handler: (_step, { n }) => Promise.resolve(n * 2),
});

/** The fluent form of define. */
export const fluent = workflow.define({ args: { n: v.number() }, returns: v.number() }).handler(async (step, { n }) => {
  const doubled: number = await step.runAction(internal.testWorkflows.double, { n });
  return doubled + 1;
});

/** The standalone form, without a manager. */
export const standalone = defineWorkflow(components.workflow, { args: { n: v.number() }, returns: v.number() }).handler(
  async (step, { n }) => {
    const doubled: number = await step.runAction(internal.testWorkflows.double, { n });
    return doubled + 2;
  },
);

/** Validates an id against the database: must be an id of `effects`. */
export const takesEffectId = workflow.define({
  args: { effectId: v.id("effects") },
  returns: v.string(),
  handler: (_step, { effectId }) => Promise.resolve(effectId),
});

/**
 * Starts `takesEffectId` as a child with an arbitrary `effectId`: the child's args reach
 * it without passing the workflow mutation's argument validator, so they are checked when
 * the child runs. Returns the child's value or its error.
 */
export const childArgsProbe = workflow.define({
  args: { effectId: v.string() },
  returns: v.object({ ok: v.optional(v.string()), error: v.optional(v.string()) }),
  handler: async (step, { effectId }): Promise<{ ok?: string; error?: string }> => {
    try {
      const ok: string = await step.runWorkflow(internal.testWorkflows.takesEffectId, {
        effectId: effectId as Id<"effects">,
      });
      return { ok };
    } catch (error) {
      return { error: (error as Error).message };
    }
  },
});

/** Declares a number but returns a string. */
export const badReturn = workflow.define({
  args: {},
  returns: v.number(),
  handler: async (step) => {
    await step.runQuery(internal.testWorkflows.echo, { value: 1 });
    return "not a number" as unknown as number;
  },
});

/** Fails after one step with `boom <key>`. */
export const failing = workflow.define({
  args: { key: v.string() },
  handler: async (step, { key }): Promise<void> => {
    await step.runMutation(internal.testWorkflows.recordEffect, { key });
    throw new Error(`boom ${key}`);
  },
});

/** Waits `ms` (long by default) so a test can see it in progress or cancel it. */
export const waiter = workflow.define({
  args: { key: v.string(), ms: v.number() },
  returns: v.string(),
  handler: async (step, { key, ms }) => {
    await step.sleep(ms);
    await step.runMutation(internal.testWorkflows.recordEffect, { key });
    return "woke";
  },
});

// ---------------------------------------------------------------------------------------
// The step API (1.5).

/** Three steps in one batch, then one more. */
export const parallel = workflow.define({
  args: { key: v.string() },
  returns: v.any(),
  handler: async (step, { key }): Promise<{ a: unknown; b: number; c: unknown; d: number }> => {
    const [a, b, c]: [unknown, number, unknown] = await Promise.all([
      step.runQuery(internal.testWorkflows.echo, { value: "a" }),
      step.runAction(internal.testWorkflows.double, { n: 21 }),
      step.runMutation(internal.testWorkflows.recordEffect, { key, value: "c" }),
    ]);
    const d: number = await step.runAction(internal.testWorkflows.double, { n: b });
    return { a, b, c, d };
  },
});

/** Runs `flaky` with the given retry option and reports what happened. */
export const retrying = workflow.define({
  args: {
    key: v.string(),
    failTimes: v.number(),
    retry: v.optional(
      v.union(v.boolean(), v.object({ maxAttempts: v.number(), initialBackoffMs: v.number(), base: v.number() })),
    ),
  },
  returns: v.string(),
  handler: async (step, { key, failTimes, retry }): Promise<string> => {
    try {
      const attempt: number = await step.runAction(
        internal.testWorkflows.flaky,
        { key, failTimes },
        retry === undefined ? {} : { retry },
      );
      return `ok after ${attempt}`;
    } catch (error) {
      return `caught: ${(error as Error).message}`;
    }
  },
});

/** The same under a manager with `retryActionsByDefault` and a custom default policy. */
export const retryingByDefault = retryingWorkflow.define({
  args: { key: v.string(), failTimes: v.number(), retry: v.optional(v.boolean()) },
  returns: v.string(),
  handler: async (step, { key, failTimes, retry }): Promise<string> => {
    try {
      const attempt: number = await step.runAction(
        internal.testWorkflows.flaky,
        { key, failTimes },
        retry === undefined ? {} : { retry },
      );
      return `ok after ${attempt}`;
    } catch (error) {
      return `caught: ${(error as Error).message}`;
    }
  },
});

/** Per-definition workpoolOptions win over the manager's (which does not retry). */
export const retryingPerDefinition = workflow.define({
  args: { key: v.string(), failTimes: v.number() },
  returns: v.string(),
  workpoolOptions: {
    retryActionsByDefault: true,
    defaultRetryBehavior: { maxAttempts: 2, initialBackoffMs: 10, base: 2 },
  },
  handler: async (step, { key, failTimes }): Promise<string> => {
    try {
      return `ok after ${await step.runAction(internal.testWorkflows.flaky, { key, failTimes })}`;
    } catch (error) {
      return `caught: ${(error as Error).message}`;
    }
  },
});

/** A mutation step delayed with runAfter or runAt. */
export const delayed = workflow.define({
  args: { key: v.string(), runAfter: v.optional(v.number()), runAt: v.optional(v.number()) },
  returns: v.number(),
  handler: async (step, { key, runAfter, runAt }): Promise<number> => {
    const options = runAt !== undefined ? { runAt } : { runAfter: runAfter ?? 0 };
    return await step.runMutation(internal.testWorkflows.stampEffect, { key }, options);
  },
});

/** Sleeps (default name, then a custom one), stamping the time after each. */
export const sleeper = workflow.define({
  args: { key: v.string(), ms: v.number() },
  returns: v.null(),
  handler: async (step, { key, ms }) => {
    await step.sleep(ms);
    await step.runMutation(internal.testWorkflows.stampEffect, { key });
    await step.sleep(ms, { name: "nap" });
    await step.runMutation(internal.testWorkflows.stampEffect, { key });
    return null;
  },
});

/** Inline query and mutation steps, a failing inline mutation, then a sleep to force a replay. */
export const inlineSteps = workflow.define({
  args: { key: v.string() },
  returns: v.any(),
  handler: async (step, { key }): Promise<{ q: number; m: number; failure: string }> => {
    const q: number = await step.runQuery(internal.testWorkflows.echo, { value: 7 }, { inline: true });
    const m: number = await step.runMutation(
      internal.testWorkflows.recordEffect,
      { key, workflowId: step.workflowId, value: q * 2 },
      { inline: true, transactionLimits: { documentsWritten: 100 } },
    );
    let failure = "";
    try {
      await step.runMutation(internal.testWorkflows.failingMutation, { key }, { inline: true });
    } catch (error) {
      failure = (error as Error).message;
    }
    await step.sleep(1000);
    return { q, m, failure };
  },
});

/** Tries one invalid option combination; returns the error message. */
export const badOptions = workflow.define({
  args: {
    which: v.union(
      v.literal("inlineRunAfter"),
      v.literal("inlineRunAt"),
      v.literal("inlineAction"),
      v.literal("limits"),
    ),
  },
  returns: v.string(),
  handler: async (step, { which }) => {
    try {
      switch (which) {
        case "inlineRunAfter":
          await step.runQuery(internal.testWorkflows.echo, { value: 1 }, { inline: true, runAfter: 1000 } as never);
          break;
        case "inlineRunAt":
          await step.runMutation(internal.testWorkflows.recordEffect, { key: "never" }, {
            inline: true,
            runAt: Date.now() + 1000,
          } as never);
          break;
        case "inlineAction":
          await step.runAction(internal.testWorkflows.double, { n: 1 }, { inline: true } as never);
          break;
        case "limits":
          await step.runMutation(
            internal.testWorkflows.recordEffect,
            { key: "never" },
            { transactionLimits: { documentsWritten: 5 } },
          );
          break;
      }
      return "no error";
    } catch (error) {
      return (error as Error).message;
    }
  },
});

let unstableCounter = 0;

/** withOptions: retry for actions and unstableArgs, chained. */
export const withOptionsWorkflow = workflow.define({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (step, { key }): Promise<string> => {
    const s = step.withOptions({ unstableArgs: true }).withOptions({ retry: true });
    // Different args on every replay: fine with unstableArgs.
    await s.runMutation(internal.testWorkflows.recordEffect, { key, value: unstableCounter++ });
    // Retried by the ctx's default (the manager does not retry by default).
    const attempt: number = await s.runAction(internal.testWorkflows.flaky, { key, failTimes: 2 });
    // The original ctx is unaffected: no retry here.
    try {
      await step.runAction(internal.testWorkflows.flaky, { key: `${key}-plain`, failTimes: 1 });
      return `attempt ${attempt}, plain ok`;
    } catch {
      return `attempt ${attempt}, plain failed`;
    }
  },
});

/** Steps with default and custom names. */
export const named = workflow.define({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (step, { key }) => {
    await step.runQuery(internal.testWorkflows.echo, { value: 1 });
    await step.runMutation(internal.testWorkflows.recordEffect, { key }, { name: "custom-name" });
    await step.sleep(10);
    await step.runAction(internal.testWorkflows.double, { n: 1 });
    await step.runWorkflow(internal.testWorkflows.child, { n: 1, fail: false });
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Nested workflows and onComplete (1.5, 1.8).

export const child = workflow.define({
  args: { n: v.number(), fail: v.boolean() },
  returns: v.number(),
  handler: async (step, { n, fail }) => {
    const value: number = await step.runQuery(internal.testWorkflows.echo, { value: n });
    if (fail) throw new Error(`child ${n} failed`);
    return value * 10;
  },
});

export const parent = workflow.define({
  args: { catchFailure: v.boolean() },
  returns: v.object({ value: v.number(), caught: v.string() }),
  handler: async (step, { catchFailure }): Promise<{ value: number; caught: string }> => {
    const value: number = await step.runWorkflow(internal.testWorkflows.child, { n: 4, fail: false });
    let caught = "";
    try {
      await step.runWorkflow(internal.testWorkflows.child, { n: 5, fail: true });
    } catch (error) {
      if (!catchFailure) throw error;
      caught = (error as Error).message;
    }
    return { value, caught };
  },
});

// ---------------------------------------------------------------------------------------
// Replay, determinism, environment (1.6).

let nondeterministicCounter = 0;

/** Its step args depend on a module-level counter: the second replay does not match. */
export const nondeterministic = workflow.define({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (step, { key }) => {
    await step.runMutation(internal.testWorkflows.recordEffect, { key, value: nondeterministicCounter++ });
    await step.runMutation(internal.testWorkflows.recordEffect, { key, value: "second" });
    return null;
  },
});

/** Records Math.random and Date.now in step args, and returns them again at the end. */
export const randomness = workflow.define({
  args: { key: v.string() },
  returns: v.any(),
  handler: async (step, { key }) => {
    console.log(`randomness-before ${key}`);
    const r1 = Math.random();
    const t1 = Date.now();
    const d1 = new Date().getTime();
    await step.runMutation(internal.testWorkflows.recordEffect, { key, value: { r1, t1, d1 } });
    console.log(`randomness-middle ${key}`);
    const r2 = Math.random();
    const t2 = Date.now();
    await step.runMutation(internal.testWorkflows.recordEffect, { key, value: { r1, t1, r2, t2 } });
    await step.sleep(5000);
    const r3 = Math.random();
    const t3 = Date.now();
    return { r1, t1, d1, r2, t2, r3, t3 };
  },
});

/** What the handler sees of the removed globals; throws at the end if asked. */
export const globalsProbe = workflow.define({
  args: { key: v.string(), throwAtEnd: v.boolean() },
  returns: v.any(),
  handler: async (step, { key, throwAtEnd }) => {
    const seen = () => ({
      process: typeof process,
      crypto: typeof crypto,
      Crypto: typeof (globalThis as Record<string, unknown>).Crypto,
      CryptoKey: typeof (globalThis as Record<string, unknown>).CryptoKey,
      SubtleCrypto: typeof (globalThis as Record<string, unknown>).SubtleCrypto,
    });
    const first = seen();
    await step.runMutation(internal.testWorkflows.recordEffect, { key, value: first });
    if (throwAtEnd) throw new Error(`globalsProbe ${key} threw`);
    return { first, afterStep: seen() };
  },
});

/** Throws before any step, in the caller's transaction when started inline. */
export const throwsImmediately = workflow.define({
  args: {},
  handler: (): Promise<void> => Promise.reject(new Error("thrown before any step")),
});

/** `count` actions one after another, each returning `kib` KiB: a journal that keeps growing. */
export const growingJournal = workflow.define({
  args: { kib: v.number(), count: v.number() },
  returns: v.number(),
  handler: async (step, { kib, count }) => {
    let total = 0;
    for (let i = 0; i < count; i++) total += (await step.runAction(internal.testWorkflows.bigAction, { kib })).length;
    return total;
  },
});

/** Oversized step results, from an action and from an inline query. */
export const bigResult = workflow.define({
  args: { kib: v.number() },
  returns: v.object({ action: v.string(), inline: v.string() }),
  handler: async (step, { kib }) => {
    let action = "no error";
    let inline = "no error";
    try {
      await step.runAction(internal.testWorkflows.bigAction, { kib });
    } catch (error) {
      action = (error as Error).message.slice(0, 200);
    }
    try {
      await step.runQuery(internal.testWorkflows.bigQuery, { kib }, { inline: true });
    } catch (error) {
      inline = (error as Error).message.slice(0, 200);
    }
    return { action, inline };
  },
});

// ---------------------------------------------------------------------------------------
// The sandbox's clocks and hidden globals (docs/determinism.md, "The handler's environment").

/** One UTC format, to the second: the same instant always gives the same text. */
const CLOCK_FORMAT: Intl.DateTimeFormatOptions = {
  timeZone: "UTC",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
};

/** Every route to "now" a handler can take without a step. */
function readClocks() {
  const dateConstructor = new Date().constructor as DateConstructor;
  const parent = Object.getPrototypeOf(Date) as { now?: () => number };
  return {
    dateNow: Date.now(),
    newDateConstructor: new dateConstructor().getTime(),
    prototypeConstructor: new (Date.prototype.constructor as DateConstructor)().getTime(),
    instancePrototypeConstructor: new ((Object.getPrototypeOf(new Date()) as Date)
      .constructor as DateConstructor)().getTime(),
    constructorIsDate: dateConstructor === Date,
    parentNow: typeof parent.now === "function" ? parent.now() : null,
    dateCalled: Date(),
    performance: performance.timeOrigin + performance.now(),
    intlFormat: new Intl.DateTimeFormat("en-US", CLOCK_FORMAT).format(),
    intlFormatToParts: new Intl.DateTimeFormat("en-US", CLOCK_FORMAT)
      .formatToParts()
      .map((part) => part.value)
      .join(""),
    toLocaleString: new Date().toLocaleString("en-US", CLOCK_FORMAT),
  };
}

/**
 * Reads every clock before its first step and records what it saw (unstableArgs: the
 * replay must not fail on a mismatch, it must see the same), sleeps, then returns what the
 * replay read: a handler that branches on the clock returns the same on every replay.
 */
export const clockProbe = workflow.define({
  args: { key: v.string(), sleepMs: v.number(), throwAtEnd: v.boolean() },
  returns: v.any(),
  handler: async (step, { key, sleepMs, throwAtEnd }) => {
    const first = readClocks();
    await step.runMutation(internal.testWorkflows.recordEffect, { key, value: first }, { unstableArgs: true });
    await step.sleep(sleepMs);
    if (throwAtEnd) throw new Error(`clockProbe ${key} threw`);
    return { first, early: first.performance < Date.now() - sleepMs / 2 ? "before the sleep" : "after the sleep" };
  },
});

/** Uses a hidden global or a refused clock; fails with the sandbox's explanation. */
export const hiddenGlobalUse = workflow.define({
  args: { use: v.union(v.literal("crypto"), v.literal("process"), v.literal("performance.mark")) },
  returns: v.any(),
  handler: async (step, { use }) => {
    await step.runQuery(internal.testWorkflows.echo, { value: use });
    switch (use) {
      case "crypto":
        return crypto.randomUUID();
      case "process":
        return process.env.SECRET ?? null;
      case "performance.mark":
        return performance.mark("here").startTime;
    }
  },
});

/** Test instrumentation: runs of `shrinkingHandler` per key. */
const shrinkingRuns = new Map<string, number>();

/**
 * Asks for a step on its first run only, like a handler whose trailing step was removed by a
 * deploy while the workflow waited on it: the replay finishes without consuming the journal.
 */
export const shrinkingHandler = workflow.define({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (step, { key }) => {
    const run = shrinkingRuns.get(key) ?? 0;
    shrinkingRuns.set(key, run + 1);
    if (run === 0) await step.runMutation(internal.testWorkflows.recordEffect, { key, value: run });
    return run;
  },
});

// ---------------------------------------------------------------------------------------
// Log levels (docs/limits.md, "Logging"): a manager with no options at all, so neither it nor
// `utils:updateConfig` has set a log level (core.test.ts, "logging").

const unconfigured = new WorkflowManager(components.workflow);

/** One action step through the workpool, at the default log levels. */
export const quietByDefault = unconfigured.define({
  args: { n: v.number() },
  returns: v.number(),
  handler: async (step, { n }): Promise<number> => await step.runAction(internal.testWorkflows.double, { n }),
});

/** The same, on a manager that sets the workpool's log level. */
export const reportingWorkpool = new WorkflowManager(components.workflow, {
  workpoolOptions: { logLevel: "REPORT" },
}).define({
  args: { n: v.number() },
  returns: v.number(),
  handler: async (step, { n }): Promise<number> => await step.runAction(internal.testWorkflows.double, { n }),
});
