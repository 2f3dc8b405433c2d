// Workflows for the bad-id and wrong-state catalogue (badInputIds.test.ts): small waiters
// that sit in a known state until the test sends them an event, so every public function
// can be called on a workflow (and an event) in each state. They use the app's manager
// (example.ts), the one the catalogue's bystander, `greeting`, runs on too.
import { v } from "convex/values";
import { type EventId, isTimeoutError } from "convex-workflow";
import { internal } from "./_generated/api.js";
import { internalQuery } from "./_generated/server.js";
import { workflow } from "./example.js";

/**
 * Awaits the events `names` one after another by name and returns their values. With
 * `firstTimeout`, the first await gives up after it and yields "timed out" instead.
 */
export const waitFor = workflow.define({
  args: { names: v.array(v.string()), firstTimeout: v.optional(v.number()) },
  returns: v.array(v.any()),
  handler: async (step, { names, firstTimeout }): Promise<unknown[]> => {
    const values: unknown[] = [];
    for (const [i, name] of names.entries()) {
      try {
        values.push(await step.awaitEvent({ name, timeout: i === 0 ? firstTimeout : undefined }));
      } catch (error) {
        if (!isTimeoutError(error)) throw error;
        values.push("timed out");
      }
    }
    return values;
  },
});

/** Awaits one event by the id it is given (made with createEvent, or a bad one). */
export const awaitById = workflow.define({
  args: { eventId: v.string() },
  returns: v.any(),
  handler: async (step, { eventId }): Promise<unknown> => await step.awaitEvent({ id: eventId as EventId }),
});

/**
 * Awaits `first` by name (giving up after `firstTimeout`, if set), then an event id sent as
 * the value of "which", then that event by id: so a test can make it await, by id, an event
 * of its own that is already consumed or closed.
 */
export const awaitThenById = workflow.define({
  args: { first: v.string(), firstTimeout: v.optional(v.number()) },
  returns: v.any(),
  handler: async (step, { first, firstTimeout }): Promise<unknown> => {
    try {
      await step.awaitEvent({ name: first, timeout: firstTimeout });
    } catch (error) {
      if (!isTimeoutError(error)) throw error;
    }
    const eventId = await step.awaitEvent({ name: "which", validator: v.string() });
    return await step.awaitEvent({ id: eventId as EventId });
  },
});

/** Runs `waitFor(["c"])` as a nested workflow, then awaits "after" itself. */
export const parentOf = workflow.define({
  args: {},
  returns: v.any(),
  handler: async (step): Promise<unknown> => {
    let child: unknown;
    try {
      child = await step.runWorkflow(internal.badInputWorkflows.waitFor, { names: ["c"] });
    } catch (error) {
      child = { caught: (error as Error).message };
    }
    const after = await step.awaitEvent({ name: "after" });
    return { child, after };
  },
});

/** A condition that never holds, for `waitUntil` and `notify`. */
export const never = internalQuery({
  args: {},
  returns: v.boolean(),
  handler: async () => false,
});

/** Waits on a condition that never holds, until its deadline. */
export const waitsOnCondition = workflow.define({
  args: {},
  returns: v.string(),
  handler: async (step): Promise<string> => {
    try {
      await step.waitUntil(internal.badInputWorkflows.never, {}, { timeout: 60_000 });
      return "met";
    } catch (error) {
      return isTimeoutError(error) ? "timed out" : "failed";
    }
  },
});
