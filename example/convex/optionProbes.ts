// Numeric step options with bad values (badInput.test.ts, "numeric options by class"):
// `optionProbe` makes one step call with `value` in the named option and returns the error
// it got, or `{ ok }`. A rejected call journals nothing; an accepted one journals its step.
// `bystander` is the unrelated workflow each case checks still completes.
import { v } from "convex/values";
import { type WorkflowCtx, WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js";

export const probes = new WorkflowManager(components.workflow, {
  workpoolOptions: { maxParallelism: 10, logLevel: "ERROR" },
});

export const nothing = internalMutation({ args: {}, returns: v.null(), handler: async () => null });
export const succeeds = internalAction({ args: {}, returns: v.string(), handler: async () => "ok" });
export const failsOnce = internalAction({
  args: { message: v.string() },
  returns: v.null(),
  handler: async (_ctx, { message }) => {
    throw new Error(message);
  },
});
export const never = internalQuery({ args: {}, returns: v.boolean(), handler: async () => false });

/** A valid policy; each probe replaces one field. */
const RETRY = { maxAttempts: 2, initialBackoffMs: 10, base: 2 };

export const STEP_OPTIONS = [
  "runAfter",
  "runAt",
  "sleep",
  "awaitEvent.timeout",
  "waitUntil.timeout",
  "waitUntil.pollInterval",
  "waitUntil.maxPollInterval",
  "retry.maxAttempts",
  "retry.initialBackoffMs",
  "retry.base",
  "withOptions.retry.maxAttempts",
  "withOptions.retry.initialBackoffMs",
  "withOptions.retry.base",
] as const;
export type StepOption = (typeof STEP_OPTIONS)[number];

async function call(step: WorkflowCtx, option: string, value: any): Promise<unknown> {
  const field = option.split(".").pop()!;
  switch (option) {
    case "runAfter":
      return await step.runMutation(internal.optionProbes.nothing, {}, { runAfter: value });
    case "runAt":
      return await step.runMutation(internal.optionProbes.nothing, {}, { runAt: value });
    case "sleep":
      return await step.sleep(value);
    case "awaitEvent.timeout":
      return await step.awaitEvent({ name: "e", timeout: value });
    case "awaitEvent.name":
      return await step.awaitEvent({ name: value });
    case "waitUntil.timeout":
      return await step.waitUntil(internal.optionProbes.never, {}, { timeout: value });
    case "waitUntil.pollInterval":
      return await step.waitUntil(internal.optionProbes.never, {}, { pollInterval: value, timeout: 1_000 });
    case "waitUntil.maxPollInterval":
      return await step.waitUntil(
        internal.optionProbes.never,
        {},
        { pollInterval: 100, maxPollInterval: value, timeout: 1_000 },
      );
    case "retry":
      return await step.runAction(internal.optionProbes.succeeds, {}, { retry: value });
    case "retryFailing":
      return await step.runAction(internal.optionProbes.failsOnce, { message: "fails on purpose" }, { retry: value });
    case "retry.maxAttempts":
    case "retry.initialBackoffMs":
    case "retry.base":
      return await step.runAction(internal.optionProbes.succeeds, {}, { retry: { ...RETRY, [field]: value } });
    case "withOptions.retry":
      return await step.withOptions({ retry: value }).runAction(internal.optionProbes.succeeds, {});
    case "withOptions.retry.maxAttempts":
    case "withOptions.retry.initialBackoffMs":
    case "withOptions.retry.base":
      return await step
        .withOptions({ retry: { ...RETRY, [field]: value } })
        .runAction(internal.optionProbes.succeeds, {});
    default:
      throw new Error(`unknown probe option ${option}`);
  }
}

export const optionProbe = probes.define({
  args: { option: v.string(), value: v.any() },
  returns: v.any(),
  handler: async (step, { option, value }): Promise<unknown> => {
    try {
      return { ok: (await call(step, option, value)) ?? null };
    } catch (error) {
      return { error: error instanceof Error ? error.message.split("\n")[0] : String(error) };
    }
  },
});

/** Throws an error of `length` characters: what is stored must be capped, and stored once. */
export const throwsLong = probes.define({
  args: { length: v.number() },
  handler: async (step, { length }): Promise<null> => {
    await step.runMutation(internal.optionProbes.nothing, {});
    throw new Error("boom " + "x".repeat(length));
  },
});

/** A step that fails with an error of `length` characters, caught: the handler returns its length. */
export const stepFailsLong = probes.define({
  args: { length: v.number() },
  returns: v.number(),
  handler: async (step, { length }): Promise<number> => {
    try {
      await step.runAction(internal.optionProbes.failsOnce, { message: "y".repeat(length) });
      return -1;
    } catch (error) {
      return (error as Error).message.length;
    }
  },
});

/** The unrelated workflow: a mutation, an action with a retry policy, a sleep. */
export const bystander = probes.define({
  args: {},
  returns: v.string(),
  handler: async (step): Promise<string> => {
    await step.runMutation(internal.optionProbes.nothing, {});
    await step.runAction(internal.optionProbes.succeeds, {}, { retry: RETRY });
    await step.sleep(1_000);
    return "done";
  },
});
