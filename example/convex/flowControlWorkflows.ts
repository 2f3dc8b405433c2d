// Flow control (docs/flow-control.md) for flowControl.test.ts: workflows with `concurrency`,
// `rateLimit` and `debounce`, and starts with `idempotencyKey` and `priority`. Each workflow
// records when it begins and ends as `effects` rows, so the tests can check order and how many
// ran at once (inline steps: recorded in the transaction of the replay that asks for them, so a
// begin is recorded when the workflow begins). `flowExec` runs the same in executor mode.
import { v } from "convex/values";
import { WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";

export const flow = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "ERROR" } });

/**
 * A begin or an end: one `effects` row with key `flow:<key>:begin|end`. A begin's value holds how
 * many of the key had begun and not ended before it (so at most the limit − 1).
 */
export const mark = internalMutation({
  args: { key: v.string(), what: v.union(v.literal("begin"), v.literal("end")), n: v.number() },
  returns: v.number(),
  handler: async (ctx, { key, what, n }) => {
    const count = async (w: string) =>
      (
        await ctx.db
          .query("effects")
          .withIndex("key", (q) => q.eq("key", `flow:${key}:${w}`))
          .collect()
      ).length;
    const runningBefore = what === "begin" ? (await count("begin")) - (await count("end")) : 0;
    await ctx.db.insert("effects", { key: `flow:${key}:${what}`, value: { n, runningBefore, at: Date.now() } });
    return runningBefore;
  },
});

const vArgs = { key: v.string(), n: v.number(), fail: v.optional(v.boolean()) };

/** At most 2 at once per `key`: begin, sleep a second, (fail if asked), end. */
export const limited = flow.define({
  args: vArgs,
  concurrency: { limit: 2, key: (args) => args.key },
  handler: async (step, args): Promise<number> => {
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: args.key, what: "begin", n: args.n },
      { inline: true },
    );
    await step.sleep(1_000);
    if (args.fail) throw new Error(`limited ${args.n} failed on purpose`);
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: args.key, what: "end", n: args.n },
      { inline: true },
    );
    return args.n;
  },
});

/** One at a time per `key` (the `.handler()` form): for priority, cancel and failure tests. */
export const single = flow
  .define({ args: vArgs, concurrency: { limit: 1, key: (args) => args.key } })
  .handler(async (step, args): Promise<number> => {
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: args.key, what: "begin", n: args.n },
      { inline: true },
    );
    await step.sleep(1_000);
    if (args.fail) throw new Error(`single ${args.n} failed on purpose`);
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: args.key, what: "end", n: args.n },
      { inline: true },
    );
    return args.n;
  });

/** At most 5 begin per minute (one key for all). */
export const rateLimited = flow.define({
  args: vArgs,
  rateLimit: { count: 5, periodMs: 60_000 },
  handler: async (step, args): Promise<number> => {
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: args.key, what: "begin", n: args.n },
      { inline: true },
    );
    return args.n;
  },
});

/** Starts with the same `doc` within 1 s coalesce (at most 5 s after the first). */
export const reindex = flow.define({
  args: { doc: v.string(), version: v.number() },
  debounce: { delayMs: 1_000, maxDelayMs: 5_000, key: (args) => args.doc },
  handler: async (step, args): Promise<number> => {
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: args.doc, what: "begin", n: args.version },
      { inline: true },
    );
    return args.version;
  },
});

/** No flow options on the definition: for `idempotencyKey` alone, and as the unrelated workflow. */
export const plain = flow.define({
  args: vArgs,
  handler: async (step, args): Promise<number> => {
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: args.key, what: "begin", n: args.n },
      { inline: true },
    );
    return args.n;
  },
});

/** A key function that throws for `n < 0` and returns a non-string for `n === 0`. */
export const badKey = flow.define({
  args: vArgs,
  concurrency: {
    limit: 1,
    key: (args) => {
      if (args.n < 0) throw new Error("no key for negative n");
      return (args.n === 0 ? 42 : args.key) as string;
    },
  },
  handler: async (_step, args): Promise<number> => args.n,
});

// ---------------------------------------------------------------------------------------
// Executor mode: the same limit, the steps run by an executor.

export const flowExec = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { logLevel: "ERROR" },
});

export const limitedExec = flowExec.define({
  args: vArgs,
  concurrency: { limit: 2, key: (args) => args.key },
  handler: async (step, args): Promise<number> => {
    await step.runMutation(internal.flowControlWorkflows.mark, { key: args.key, what: "begin", n: args.n });
    await step.sleep(1_000);
    await step.runMutation(internal.flowControlWorkflows.mark, { key: args.key, what: "end", n: args.n });
    return args.n;
  },
});

export const execExecutor = flowExec.executor();
flowExec.setExecutorRef(internal.flowControlWorkflows.execExecutor);

// ---------------------------------------------------------------------------------------
// The same body with and without a concurrency limit, for the cost per start
// (bench/flowControl.bench.test.ts).

export const costPlain = flow.define({
  args: { key: v.string() },
  handler: async (step): Promise<null> => {
    await step.sleep(1_000);
    return null;
  },
});

export const costLimited = flow.define({
  args: { key: v.string() },
  concurrency: { limit: 100, key: (args) => args.key },
  handler: async (step): Promise<null> => {
    await step.sleep(1_000);
    return null;
  },
});

/** Options combined: debounced per `key`, then one at a time and at most 2 begins a minute for the definition. */
export const combined = flow.define({
  args: vArgs,
  debounce: { delayMs: 1_000, key: (args) => args.key },
  concurrency: { limit: 1 },
  rateLimit: { count: 2, periodMs: 60_000 },
  handler: async (step, args): Promise<number> => {
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: "combined", what: "begin", n: args.n },
      { inline: true },
    );
    await step.sleep(1_000);
    await step.runMutation(
      internal.flowControlWorkflows.mark,
      { key: "combined", what: "end", n: args.n },
      { inline: true },
    );
    return args.n;
  },
});
