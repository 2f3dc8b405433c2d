// Small event workflows, one pattern each; events.test.ts and waiting.test.ts drive them.
//
// - `awaitByName`: wait for the first event of a name (send-first or await-first).
// - `awaitById`: hand out an id ahead of time (`createEvent`, in a step), then wait for it.
// - `awaitSequence`: several events of one name, consumed in the order they were sent.
// - `awaitAll`: several awaits at once with Promise.all.
// - `awaitIdTwice`: two awaits of one id (an error: an event has exactly one consumer).
// - `awaitAfterTimeout`: a wait with a deadline, then a second wait for the same name.
//
// Every handler catches what the await throws and returns it as `{ error, timedOut }`, so a
// test can see the message and whether `isTimeoutError` recognised it.
import { type Infer, v } from "convex/values";
import {
  defineEvent,
  type EventId,
  isTimeoutError,
  vEventId,
  vResultValidator,
  vWorkflowId,
  WorkflowManager,
} from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";

export const workflow = new WorkflowManager(components.workflow, {
  workpoolOptions: { logLevel: "WARN" },
});

/** The validated shape events.test.ts uses: `{ n: number }`. */
export const counterEvent = defineEvent({
  name: "counter",
  validator: v.object({ n: v.number() }),
});

export const vOutcome = v.union(v.object({ ok: v.any() }), v.object({ error: v.string(), timedOut: v.boolean() }));
export type Outcome = Infer<typeof vOutcome>;

/** What an await resolved to, or what it threw. */
async function outcome(wait: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: (await wait) ?? null };
  } catch (error) {
    return {
      error: error instanceof Error ? error.message : String(error),
      timedOut: isTimeoutError(error),
    };
  }
}

export const awaitByName = workflow.define({
  args: {
    name: v.string(),
    timeoutMs: v.optional(v.number()),
    validated: v.optional(v.boolean()),
  },
  returns: vOutcome,
  handler: async (step, { name, timeoutMs, validated }): Promise<Outcome> =>
    outcome(
      step.awaitEvent({
        name,
        timeout: timeoutMs,
        validator: validated ? counterEvent.validator : undefined,
      }),
    ),
});

export const awaitById = workflow.define({
  args: {
    name: v.string(),
    timeoutMs: v.optional(v.number()),
    validated: v.optional(v.boolean()),
    /** Sleep this long between handing out the id and awaiting it. */
    delayMs: v.optional(v.number()),
    /** Await this id instead of issuing one (tests use it for foreign and malformed ids). */
    id: v.optional(v.string()),
  },
  returns: vOutcome,
  handler: async (step, args): Promise<Outcome> => {
    const { name, timeoutMs, validated, delayMs } = args;
    const [id] = args.id
      ? [args.id as EventId]
      : await step.runMutation(internal.events.issueEventIds, {
          workflowId: step.workflowId,
          name,
          count: 1,
        });
    if (delayMs !== undefined) await step.sleep(delayMs);
    return await outcome(
      step.awaitEvent({
        id,
        timeout: timeoutMs,
        validator: validated ? counterEvent.validator : undefined,
      }),
    );
  },
});

export const awaitSequence = workflow.define({
  args: { name: v.string(), count: v.number() },
  returns: v.array(vOutcome),
  handler: async (step, { name, count }): Promise<Outcome[]> => {
    const results: Outcome[] = [];
    for (let i = 0; i < count; i++) results.push(await outcome(step.awaitEvent({ name })));
    return results;
  },
});

export const awaitAll = workflow.define({
  args: { names: v.array(v.string()), ids: v.optional(v.number()) },
  returns: v.array(vOutcome),
  handler: async (step, { names, ids }): Promise<Outcome[]> => {
    // Optionally also `ids` events handed out ahead of time, named "ticket".
    const tickets: EventId[] = ids
      ? await step.runMutation(internal.events.issueEventIds, {
          workflowId: step.workflowId,
          name: "ticket",
          count: ids,
        })
      : [];
    return await Promise.all([
      ...names.map((name) => outcome(step.awaitEvent({ name }))),
      ...tickets.map((id) => outcome(step.awaitEvent({ id }))),
    ]);
  },
});

export const awaitIdTwice = workflow.define({
  args: { parallel: v.boolean() },
  returns: v.array(vOutcome),
  handler: async (step, { parallel }): Promise<Outcome[]> => {
    const [id] = await step.runMutation(internal.events.issueEventIds, {
      workflowId: step.workflowId,
      name: "once",
      count: 1,
    });
    if (parallel) return await Promise.all([outcome(step.awaitEvent({ id })), outcome(step.awaitEvent({ id }))]);
    const first = await outcome(step.awaitEvent({ id }));
    return [first, await outcome(step.awaitEvent({ id }))];
  },
});

export const awaitAfterTimeout = workflow.define({
  args: { name: v.string(), timeoutMs: v.number(), pauseMs: v.number() },
  returns: v.object({ first: vOutcome, second: vOutcome }),
  handler: async (step, { name, timeoutMs, pauseMs }) => {
    const first = await outcome(step.awaitEvent({ name, timeout: timeoutMs }));
    await step.sleep(pauseMs);
    const second = await outcome(step.awaitEvent({ name }));
    return { first, second };
  },
});

/**
 * Step: make `count` events ahead of time (so their ids can be handed out, e.g. in an email
 * link) and record them in `effects` under key `eventIds`.
 */
export const issueEventIds = internalMutation({
  args: { workflowId: vWorkflowId, name: v.string(), count: v.number() },
  returns: v.array(vEventId()),
  handler: async (ctx, { workflowId, name, count }) => {
    const ids: EventId[] = [];
    for (let i = 0; i < count; i++) ids.push(await workflow.createEvent(ctx, { name, workflowId }));
    await ctx.db.insert("effects", { key: "eventIds", workflowId, value: ids });
    return ids;
  },
});

/** onComplete: record what was delivered (tests check it happens exactly once). */
export const recordCompletion = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("completions", args);
    return null;
  },
});
