// The chaos suite's workflows (example/chaos/, chaos.test.ts): ONE generic workflow that
// interprets a JSON "program" passed as its arguments, in standard mode (`chaos`) and in
// executor mode (`chaosExec`, with its own executor). The program is data, so the handler
// is deterministic: on every replay it requests the same steps in the same order.
//
// A program is a list of ops; an op is a leaf step or a parallel batch of leaves:
//   query / mutation (optionally inline) · action (plain → workpool, or registered with
//   `chaosExec.action` → run in-process by the executor; retried or not) · sleep · child
//   (a nested workflow running a sub-program) · event (awaitEvent by name, with or without
//   a timeout) · wait (waitUntil on a flag the runner sets, with or without a timeout) ·
//   big (a query whose result is hundreds of KiB) · webhook (createWebhook, a sleep, then
//   awaitEvent of its event by id, with or without a timeout; the runner calls the URL).
// Each leaf either lets a failure propagate (failing the workflow) or catches it.
//
// Faults are planned in table `chaosFaults` (key "<tag>/<op key>" → failTimes), which the
// step functions consult: a query or mutation with a planned fault always throws (a
// mutation's write is rolled back with it), an action throws on its first `failTimes`
// runs. Mutation steps write one `chaosEffects` row (workflowId, key) per successful run,
// so the runner can count exactly-once effects against the journal. Executor deaths and
// onComplete failures are planned in module state (`chaosControl`): the test process and
// the functions share it under convex-test.
import { v } from "convex/values";
import type { FunctionReference } from "convex/server";
import { vResultValidator, vWorkflowId, type WorkflowCtx, WorkflowManager } from "convex-workflow";
// Test-only fault injection: not part of the package's API, imported from the source.
import { withExecutorTestHooks } from "../../src/client/executor/testHooks.js";
import { components, internal } from "./_generated/api.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";

// ---------------------------------------------------------------------------------------
// Programs.

export type Leaf =
  | { t: "query"; key: string; inline?: boolean; catch: boolean }
  | { t: "mutation"; key: string; inline?: boolean; catch: boolean }
  | { t: "action"; key: string; retry: boolean; registered: boolean; catch: boolean }
  | { t: "sleep"; key: string; ms: number; catch: boolean }
  /** `pad`: characters of padding in the child's arguments (a large step in flight while it runs). */
  | { t: "child"; key: string; program: Program; catch: boolean; pad?: number }
  | { t: "event"; key: string; timeout?: number; catch: boolean }
  | { t: "wait"; key: string; timeout?: number; catch: boolean }
  /** A query returning `bytes` of data (large results); the handler keeps only the length. */
  | { t: "big"; key: string; bytes: number; catch: boolean }
  /** createWebhook, then a `gapMs` sleep (so a call can come before the await), then the await. */
  | { t: "webhook"; key: string; timeout?: number; gapMs: number; catch: boolean };
export type Op = Leaf | { t: "parallel"; ops: Leaf[] };
export type Program = { ops: Op[] };
/** What a leaf produced: its value, or the first line of the error it caught. */
export type Outcome = { ok: unknown } | { caught: string };

/** Action retry policy of ops with `retry: true` (both modes). */
export const CHAOS_RETRY = { maxAttempts: 3, initialBackoffMs: 10, base: 2 };
/** How often a `wait` op's condition is re-checked. */
export const CHAOS_WAIT_POLL_MS = 500;

/** The first line of an error's message, without the "Error: " prefixes stacked by rethrows. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].replace(/^(Uncaught )?(\w*Error: )+/, "");
}

/** The journal name of a leaf's step. */
export function stepName(op: Leaf): string | undefined {
  switch (op.t) {
    case "sleep":
      return `sleep:${op.key}`;
    case "child":
      return `child:${op.key}`;
    case "event":
      return op.key;
    case "wait":
      return `wait:${op.key}`;
    case "webhook":
      return webhookName(op.key); // the createWebhook step and the await (the gap sleep: hookgap:<key>)
    default:
      return undefined; // the function's name
  }
}

/** A webhook op's event name: its createWebhook and awaitEvent steps are journaled under it. */
export const webhookName = (key: string) => `hook:${key}`;
/** A webhook op's gap sleep. */
export const webhookGapName = (key: string) => `hookgap:${key}`;

/**
 * The interpreter, shared by both modes (and by the runner's offline replay, with a fake
 * `step`). `self` is the workflow to run children with: the same definition, same mode.
 */
export async function interpret(
  step: WorkflowCtx,
  { tag, program }: { tag: string; program: Program },
  self: FunctionReference<"mutation", "internal">,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const op of program.ops) {
    if (op.t === "parallel") out.push(await Promise.all(op.ops.map((leaf) => runLeaf(step, tag, leaf, self))));
    else out.push(await runLeaf(step, tag, op, self));
  }
  return out;
}

async function runLeaf(
  step: WorkflowCtx,
  tag: string,
  op: Leaf,
  self: FunctionReference<"mutation", "internal">,
): Promise<Outcome> {
  try {
    return { ok: (await callLeaf(step, tag, op, self)) ?? null };
  } catch (error) {
    if (!op.catch) throw error;
    return { caught: firstLine(error) };
  }
}

function callLeaf(
  step: WorkflowCtx,
  tag: string,
  op: Leaf,
  self: FunctionReference<"mutation", "internal">,
): Promise<unknown> {
  const key = `${tag}/${op.key}`;
  switch (op.t) {
    case "query":
      return step.runQuery(internal.chaosWorkflows.chaosQuery, { key }, op.inline ? { inline: true } : {});
    case "mutation":
      return step.runMutation(
        internal.chaosWorkflows.chaosMutation,
        { key, workflowId: step.workflowId },
        op.inline ? { inline: true } : {},
      );
    case "action":
      return step.runAction(
        op.registered ? internal.chaosWorkflows.chaosExecAction : internal.chaosWorkflows.chaosAction,
        { key },
        { retry: op.retry ? CHAOS_RETRY : false },
      );
    case "sleep":
      return step.sleep(op.ms, { name: stepName(op) });
    case "child":
      return step.runWorkflow(
        self,
        { tag: key, program: op.program, ...(op.pad ? { pad: "p".repeat(op.pad) } : {}) },
        { name: stepName(op) },
      );
    case "event":
      return step.awaitEvent({ name: op.key, timeout: op.timeout });
    case "wait":
      return step.waitUntil(
        internal.chaosWorkflows.chaosFlag,
        { key },
        { timeout: op.timeout, pollInterval: CHAOS_WAIT_POLL_MS, name: stepName(op) },
      );
    case "big":
      return step
        .runQuery(internal.chaosWorkflows.chaosBigResult, { key, bytes: op.bytes })
        .then((value: string) => value.length);
    case "webhook":
      return (async () => {
        const { eventId } = await step.createWebhook({ name: webhookName(op.key) });
        if (op.gapMs > 0) await step.sleep(op.gapMs, { name: webhookGapName(op.key) });
        return await step.awaitEvent({ name: webhookName(op.key), id: eventId, timeout: op.timeout });
      })();
  }
}

// ---------------------------------------------------------------------------------------
// Fault plan in module state (shared with the runner under convex-test).

export const chaosControl = {
  /** Executor death: the n-th call of each hook (1-based, counted per seed) throws. */
  killClaimAt: new Set<number>(),
  killFlushAt: new Set<number>(),
  claimCalls: 0,
  flushCalls: 0,
  claimKills: 0,
  flushKills: 0,
  /** A failed transaction, not a death: the n-th group of mutation steps commits nothing. */
  failMutationGroupAt: new Set<number>(),
  mutationGroupCalls: 0,
  mutationGroupFails: 0,
  /** onComplete invocations per workflow id (including ones that threw and rolled back). */
  onCompleteCalls: new Map<string, number>(),
};
export function resetChaosControl(plan?: {
  killClaimAt?: number[];
  killFlushAt?: number[];
  failMutationGroupAt?: number[];
}): void {
  chaosControl.killClaimAt = new Set(plan?.killClaimAt ?? []);
  chaosControl.killFlushAt = new Set(plan?.killFlushAt ?? []);
  chaosControl.claimCalls = 0;
  chaosControl.flushCalls = 0;
  chaosControl.claimKills = 0;
  chaosControl.flushKills = 0;
  chaosControl.failMutationGroupAt = new Set(plan?.failMutationGroupAt ?? []);
  chaosControl.mutationGroupCalls = 0;
  chaosControl.mutationGroupFails = 0;
  chaosControl.onCompleteCalls = new Map();
}

// ---------------------------------------------------------------------------------------
// Managers and the generic workflow.

/** Webhook URLs of the chaos workflows start with this (the runner calls their paths). */
export const CHAOS_SITE_URL = "https://chaos.convex.site";

/** Standard mode: steps through the workpool, replays scheduled by the component. */
export const chaos = new WorkflowManager(components.workflow, {
  workpoolOptions: { maxParallelism: 10, logLevel: "ERROR" },
  webhooks: { baseUrl: CHAOS_SITE_URL },
});

/** Executor mode: queries, mutations and registered actions run by per-shard executors. */
export const chaosExec = new WorkflowManager(components.workflow, {
  executorShards: 2,
  workpoolOptions: { maxParallelism: 10, logLevel: "ERROR" },
  webhooks: { baseUrl: CHAOS_SITE_URL },
});

const vChaosArgs = { tag: v.string(), program: v.any(), pad: v.optional(v.string()) };

export const standardFlow = chaos.define({
  args: vChaosArgs,
  returns: v.any(),
  handler: (step, args): Promise<unknown[]> => interpret(step, args, internal.chaosWorkflows.standardFlow),
});

export const executorFlow = chaosExec.define({
  args: vChaosArgs,
  returns: v.any(),
  handler: (step, args): Promise<unknown[]> => interpret(step, args, internal.chaosWorkflows.executorFlow),
});

// Flow control (docs/flow-control.md): the same programs under a concurrency limit of 1 or 2 per
// `gate` (the chaos generator's `RootPlan.flow`). Nested workflows they start are exempt.
const vGatedArgs = { ...vChaosArgs, gate: v.string() };
const gateOf = (args: { gate: string }) => args.gate;

export const gated1Standard = chaos.define({
  args: vGatedArgs,
  returns: v.any(),
  concurrency: { limit: 1, key: gateOf },
  handler: (step, args): Promise<unknown[]> => interpret(step, args, internal.chaosWorkflows.standardFlow),
});
export const gated2Standard = chaos.define({
  args: vGatedArgs,
  returns: v.any(),
  concurrency: { limit: 2, key: gateOf },
  handler: (step, args): Promise<unknown[]> => interpret(step, args, internal.chaosWorkflows.standardFlow),
});
export const gated1Exec = chaosExec.define({
  args: vGatedArgs,
  returns: v.any(),
  concurrency: { limit: 1, key: gateOf },
  handler: (step, args): Promise<unknown[]> => interpret(step, args, internal.chaosWorkflows.executorFlow),
});
export const gated2Exec = chaosExec.define({
  args: vGatedArgs,
  returns: v.any(),
  concurrency: { limit: 2, key: gateOf },
  handler: (step, args): Promise<unknown[]> => interpret(step, args, internal.chaosWorkflows.executorFlow),
});

export const chaosExecutor = withExecutorTestHooks(
  {
    beforeClaim: () => {
      const n = ++chaosControl.claimCalls;
      if (chaosControl.killClaimAt.has(n)) {
        chaosControl.claimKills++;
        throw new Error(`chaos: executor killed before claim #${n}`);
      }
    },
    beforeFlush: (count) => {
      const n = ++chaosControl.flushCalls;
      if (chaosControl.killFlushAt.has(n)) {
        chaosControl.flushKills++;
        throw new Error(`chaos: executor killed before flush #${n} of ${count} results`);
      }
    },
    beforeMutationGroup: (count) => {
      const n = ++chaosControl.mutationGroupCalls;
      if (chaosControl.failMutationGroupAt.has(n)) {
        chaosControl.mutationGroupFails++;
        throw new Error(`chaos: transaction of mutation group #${n} (${count} steps) failed`);
      }
    },
  },
  () => chaosExec.executor(),
);
chaosExec.setExecutorRef(internal.chaosWorkflows.chaosExecutor);

// ---------------------------------------------------------------------------------------
// Step functions.

async function plannedFailures(ctx: { db: any }, key: string): Promise<number> {
  const row = await ctx.db
    .query("chaosFaults")
    .withIndex("key", (q: any) => q.eq("key", key))
    .unique();
  return row?.failTimes ?? 0;
}

export const chaosQuery = internalQuery({
  args: { key: v.string() },
  returns: v.string(),
  handler: async (ctx, { key }) => {
    if ((await plannedFailures(ctx, key)) > 0) throw new Error(`planned fault: query ${key}`);
    return `q:${key}`;
  },
});

/** Writes its effect row, then throws if a fault is planned (the write rolls back with it). */
export const chaosMutation = internalMutation({
  args: { key: v.string(), workflowId: v.string() },
  returns: v.string(),
  handler: async (ctx, { key, workflowId }) => {
    await ctx.db.insert("chaosEffects", { workflowId, key });
    if ((await plannedFailures(ctx, key)) > 0) throw new Error(`planned fault: mutation ${key}`);
    return `m:${key}`;
  },
});

/** Counts one run of an action; returns the run number and the planned failures. */
export const countAttempt = internalMutation({
  args: { key: v.string() },
  returns: v.object({ attempt: v.number(), failTimes: v.number() }),
  handler: async (ctx, { key }) => {
    const row = await ctx.db
      .query("chaosAttempts")
      .withIndex("key", (q) => q.eq("key", key))
      .unique();
    const attempt = (row?.count ?? 0) + 1;
    if (row) await ctx.db.patch("chaosAttempts", row._id, { count: attempt });
    else await ctx.db.insert("chaosAttempts", { key, count: attempt });
    return { attempt, failTimes: await plannedFailures(ctx, key) };
  },
});

async function actionBody(ctx: { runMutation: any }, key: string): Promise<string> {
  const { attempt, failTimes } = (await ctx.runMutation(internal.chaosWorkflows.countAttempt, { key })) as {
    attempt: number;
    failTimes: number;
  };
  if (attempt <= failTimes) throw new Error(`planned fault: action ${key} run ${attempt} of ${failTimes} failing`);
  return `a:${key}`;
}

/** A plain action: the workpool runs it (in both modes). */
export const chaosAction = internalAction({
  args: { key: v.string() },
  returns: v.string(),
  handler: (ctx, { key }) => actionBody(ctx, key),
});

/** Registered with the executor-mode manager: its executor runs it in-process. */
export const chaosExecAction = chaosExec.action("chaosExecAction", {
  args: { key: v.string() },
  returns: v.string(),
  handler: (ctx, { key }) => actionBody(ctx, key),
});

/** A `big` op: `b:<key>` padded to `bytes` characters. */
export const chaosBigResult = internalQuery({
  args: { key: v.string(), bytes: v.number() },
  returns: v.string(),
  handler: (_ctx, { key, bytes }) => Promise.resolve(`b:${key}`.padEnd(bytes, ".")),
});

/** A `wait` op's condition: met once the runner has set the flag. */
export const chaosFlag = internalQuery({
  args: { key: v.string() },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { key }) => {
    const row = await ctx.db
      .query("chaosFlags")
      .withIndex("key", (q) => q.eq("key", key))
      .first();
    return row ? `f:${key}` : null;
  },
});

/** The runner sets a `wait` op's flag. */
export const setFlag = internalMutation({
  args: { key: v.string() },
  returns: v.null(),
  handler: async (ctx, { key }) => {
    await ctx.db.insert("chaosFlags", { key });
    return null;
  },
});

/** The runner plans faults before a run. */
export const planFaults = internalMutation({
  args: { faults: v.array(v.object({ key: v.string(), failTimes: v.number() })) },
  returns: v.null(),
  handler: async (ctx, { faults }) => {
    for (const fault of faults) await ctx.db.insert("chaosFaults", fault);
    return null;
  },
});

/**
 * onComplete of root workflows: records what it got. Throws on the invocations listed in
 * `context.throwOn` (1-based, per workflow): its write rolls back and the engine records
 * the failure; the workflow's result must stand.
 */
export const chaosOnComplete = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const n = (chaosControl.onCompleteCalls.get(args.workflowId) ?? 0) + 1;
    chaosControl.onCompleteCalls.set(args.workflowId, n);
    await ctx.db.insert("chaosCompletions", args);
    const throwOn = (args.context as { throwOn?: number[] } | null)?.throwOn ?? [];
    if (throwOn.includes(n)) throw new Error(`planned fault: onComplete #${n} of ${args.workflowId}`);
    return null;
  },
});

/** Everything the runner needs to read from the app's tables, in one transaction. */
export const snapshot = internalQuery({
  args: {},
  returns: v.any(),
  handler: async (ctx) => ({
    effects: (await ctx.db.query("chaosEffects").collect()).map((r) => ({ workflowId: r.workflowId, key: r.key })),
    attempts: (await ctx.db.query("chaosAttempts").collect()).map((r) => ({ key: r.key, count: r.count })),
    completions: (await ctx.db.query("chaosCompletions").collect()).map((r) => ({
      workflowId: r.workflowId,
      result: r.result,
      context: r.context,
    })),
  }),
});

// ---------------------------------------------------------------------------------------
// Bad input through the step API (badInput.test.ts): `probe` makes one bad step call,
// chosen by `call`, and returns the error it got (or what the step returned). Errors that
// reject a step call before anything is journaled leave the journal empty.

/** A query whose result is `bytes` long: over 800 KiB it must fail the step, catchably. */
export const chaosBig = internalQuery({
  args: { bytes: v.number() },
  returns: v.string(),
  handler: (_ctx, { bytes }) => "x".repeat(bytes),
});

export const PROBE_CALLS = [
  "sleepTooLong",
  "sleepNaN",
  "awaitTimeoutZero",
  "awaitTimeoutString",
  "waitTimeoutNegative",
  "waitPollTooSmall",
  "waitMaxBelowPoll",
  "inlineRunAfter",
  "inlineRunAt",
  "inlineAction",
  "limitsWithoutInline",
  "argsTooLarge",
  "childArgsTooLarge",
  "resultTooLarge",
  "childBadArgs",
  "awaitEventById",
  "retryNonsense",
  "runAfterNaN",
  "runAtString",
  "nameNotString",
] as const;
export type ProbeCall = (typeof PROBE_CALLS)[number];

async function probeCall(step: WorkflowCtx, call: ProbeCall, eventId: string | undefined): Promise<unknown> {
  const key = `probe/${call}`;
  const any = (x: unknown) => x as never;
  switch (call) {
    case "sleepTooLong":
      return await step.sleep(4 * 365 * 24 * 60 * 60 * 1000 + 1);
    case "sleepNaN":
      return await step.sleep(Number.NaN);
    case "awaitTimeoutZero":
      return await step.awaitEvent({ name: "e", timeout: 0 });
    case "awaitTimeoutString":
      return await step.awaitEvent({ name: "e", timeout: any("10") });
    case "waitTimeoutNegative":
      return await step.waitUntil(internal.chaosWorkflows.chaosFlag, { key }, { timeout: -1 });
    case "waitPollTooSmall":
      return await step.waitUntil(internal.chaosWorkflows.chaosFlag, { key }, { pollInterval: 50 });
    case "waitMaxBelowPoll":
      return await step.waitUntil(
        internal.chaosWorkflows.chaosFlag,
        { key },
        { pollInterval: 5_000, maxPollInterval: 1_000 },
      );
    case "inlineRunAfter":
      return await step.runMutation(
        internal.chaosWorkflows.chaosMutation,
        { key, workflowId: step.workflowId },
        any({ inline: true, runAfter: 10 }),
      );
    case "inlineRunAt":
      return await step.runQuery(
        internal.chaosWorkflows.chaosQuery,
        { key },
        any({ inline: true, runAt: Date.now() + 10 }),
      );
    case "inlineAction":
      return await step.runAction(internal.chaosWorkflows.chaosAction, { key }, any({ inline: true }));
    case "limitsWithoutInline":
      return await step.runQuery(
        internal.chaosWorkflows.chaosQuery,
        { key },
        any({ transactionLimits: { bytesRead: 1000 } }),
      );
    case "argsTooLarge":
      return await step.runMutation(internal.chaosWorkflows.chaosMutation, {
        key: "x".repeat(900 << 10),
        workflowId: step.workflowId,
      });
    case "childArgsTooLarge":
      return await step.runWorkflow(internal.chaosWorkflows.standardFlow, {
        tag: "x".repeat(900 << 10),
        program: { ops: [] },
      });
    case "resultTooLarge":
      return await step.runQuery(internal.chaosWorkflows.chaosBig, { bytes: 900 << 10 });
    case "childBadArgs":
      return await step.runWorkflow(internal.chaosWorkflows.standardFlow, any({ tag: 5, program: { ops: [] } }));
    case "awaitEventById":
      return await step.awaitEvent({ id: any(eventId) });
    case "retryNonsense":
      return await step.runAction(
        internal.chaosWorkflows.chaosAction,
        { key },
        { retry: any({ maxAttempts: 0, initialBackoffMs: -5, base: 0 }) },
      );
    case "runAfterNaN":
      return await step.runQuery(internal.chaosWorkflows.chaosQuery, { key }, { runAfter: Number.NaN });
    case "runAtString":
      return await step.runQuery(internal.chaosWorkflows.chaosQuery, { key }, { runAt: any("tomorrow") });
    case "nameNotString":
      return await step.runQuery(internal.chaosWorkflows.chaosQuery, { key }, { name: any(42) });
  }
}

export const probe = chaos.define({
  args: { call: v.string(), eventId: v.optional(v.string()) },
  returns: v.any(),
  handler: async (step, { call, eventId }): Promise<unknown> => {
    try {
      return { ok: (await probeCall(step, call as ProbeCall, eventId)) ?? null };
    } catch (error) {
      return { error: error instanceof Error ? error.message.split("\n")[0] : String(error) };
    }
  },
});

/** Declares `returns: v.number()` and returns a string: the workflow must fail, naming why. */
export const probeReturns = chaos.define({
  args: {},
  returns: v.number(),
  handler: async (): Promise<number> => "not a number" as unknown as number,
});

/**
 * Returns without awaiting its step (chaos regression for seeds 35 and 163): the handler
 * settles while the replay is still journaling the step it asked for.
 */
export const fireAndForget = chaos.define({
  args: { key: v.string() },
  handler: async (step, { key }): Promise<string> => {
    void step.runMutation(internal.chaosWorkflows.chaosMutation, { key, workflowId: step.workflowId }).catch(() => {});
    return "returned";
  },
});
