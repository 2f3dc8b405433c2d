// Events: values sent to a workflow from outside, each consumed by exactly one
// `step.awaitEvent`. Either side may come first: a send with no waiter is buffered, an
// await with nothing sent waits.
//
//   created ──send──▶ sent ──await──▶ consumed
//      │                                ▲
//      └──await──▶ waiting ──send───────┘
//                     │
//                     └──deadline──▶ timedOut   (only with `timeout`; closed to sends by id)
import { type RunResult, vResultValidator } from "@convex-dev/workpool";
import { getConvexSize, type ObjectType, v } from "convex/values";
import { timeoutError } from "../shared/errors.js";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { StepEntry } from "./schema.js";
import { internalMutation, mutation, type MutationCtx } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { getWorkflowOrThrow } from "./model.js";
import { limitResultSize, recordStepResult } from "./results.js";
import { checkEventError } from "../shared/validateOptions.js";
import { cancelTimer, nudgeConditionWaits } from "./wait.js";

function describe(event: Doc<"events">): string {
  return `event ${event._id} ("${event.name}") of workflow ${event.workflowId}`;
}

async function findByName(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  name: string,
  kind: Doc<"events">["state"]["kind"],
): Promise<Doc<"events"> | null> {
  return await ctx.db
    .query("events")
    .withIndex("workflowId_state", (q) => q.eq("workflowId", workflowId).eq("state.kind", kind).eq("name", name))
    .first();
}

async function getEventOrThrow(ctx: MutationCtx, eventId: string, context: string): Promise<Doc<"events">> {
  const id = ctx.db.normalizeId("events", eventId);
  if (!id) throw new Error(`Invalid event ID: ${eventId}${context}`);
  const event = await ctx.db.get("events", id);
  if (!event) throw new Error(`Event not found: ${eventId}${context}`);
  return event;
}

/**
 * Attach an event step (just inserted, in progress) to its event. If the event was already
 * sent, the step completes at once and the returned step carries the result.
 */
export async function attachEventStep(
  ctx: MutationCtx,
  entry: StepEntry,
  workflow: Doc<"workflows">,
  timeoutMs: number | undefined,
): Promise<Doc<"steps">["step"]> {
  const step = entry.step;
  if (step.kind !== "event") throw new Error(`Step ${entry._id} is not an event step`);
  const now = Date.now();
  let event: Doc<"events">;
  if (step.args.eventId) {
    event = await getEventOrThrow(ctx, step.args.eventId, ` (awaited as "${step.name}" by workflow ${workflow._id})`);
    if (event.workflowId !== workflow._id) {
      throw new Error(`Cannot await ${describe(event)} from workflow ${workflow._id}: it belongs to another workflow`);
    }
    if (event.state.kind === "waiting" || event.state.kind === "consumed" || event.state.kind === "timedOut") {
      const why = { waiting: "awaited by another step", consumed: "consumed", timedOut: "closed: its wait timed out" };
      throw new Error(`Cannot await ${describe(event)}: it is already ${why[event.state.kind]}`);
    }
  } else {
    event =
      (await findByName(ctx, workflow._id, step.name, "sent")) ??
      (await findByName(ctx, workflow._id, step.name, "created")) ??
      (await insertEvent(ctx, workflow._id, step.name));
  }
  if (event.state.kind === "sent") {
    await ctx.db.patch("events", event._id, {
      state: { kind: "consumed", sentAt: event.state.sentAt, waitingAt: now, consumedAt: now, stepId: entry._id },
    });
    const runResult = limitResultSize(event.state.result);
    await logConsumed(ctx, workflow, event, entry, runResult, 0);
    return { ...step, eventId: event._id, inProgress: false, runResult, completedAt: now };
  }
  await ctx.db.patch("events", event._id, {
    state: { kind: "waiting", waitingAt: now, stepId: entry._id, generationNumber: workflow.generationNumber },
  });
  if (timeoutMs === undefined) return { ...step, eventId: event._id };
  const deadline = now + timeoutMs;
  const timerId = await ctx.scheduler.runAt(deadline, internal.event.timeOut, {
    stepId: entry._id,
    generationNumber: workflow.generationNumber,
  });
  return { ...step, eventId: event._id, deadline, timerId };
}

/** The deadline of an awaited event: unless the event arrived first, the await fails. */
export const timeOut = internalMutation({
  args: { stepId: v.id("steps"), generationNumber: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const entry = await ctx.db.get("steps", args.stepId);
    if (!entry || entry.step.kind !== "event" || !entry.step.inProgress || !entry.step.eventId) return null;
    const event = await ctx.db.get("events", entry.step.eventId);
    if (!event || event.state.kind !== "waiting" || event.state.stepId !== entry._id) return null;
    const now = Date.now();
    const outcome = await recordStepResult(ctx, {
      stepId: entry._id,
      generationNumber: args.generationNumber,
      result: {
        kind: "failed",
        error: timeoutError(`awaitEvent for ${describe(event)}`, (entry.step.deadline ?? now) - entry.step.queuedAt),
      },
    });
    if (outcome === "recorded") {
      await ctx.db.patch("events", event._id, {
        state: { kind: "timedOut", waitingAt: event.state.waitingAt, timedOutAt: now, stepId: entry._id },
      });
    }
    return null;
  },
});

async function logConsumed(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  event: Doc<"events">,
  entry: StepEntry,
  result: RunResult,
  durationMs: number,
): Promise<void> {
  const console = await getLogger(ctx);
  console.event("eventConsumed", {
    workflowId: workflow._id,
    workflowName: workflow.name,
    eventName: event.name,
    stepNumber: entry.stepNumber,
    status: result.kind,
    durationMs,
  });
}

export async function insertEvent(ctx: MutationCtx, workflowId: Id<"workflows">, name: string): Promise<Doc<"events">> {
  const id = await ctx.db.insert("events", { workflowId, name, createdAt: Date.now(), state: { kind: "created" } });
  return (await ctx.db.get("events", id))!;
}

/**
 * A canceled or deleted waiter releases its event: nothing will wake up for it later.
 * Returns the bytes of the event document read (and patched), for the caller's budget.
 */
export async function closeEventsOfStep(ctx: MutationCtx, entry: Doc<"steps">): Promise<number> {
  const stepId = entry._id;
  if (entry.step.kind !== "event") return 0;
  if (entry.step.timerId) await cancelTimer(ctx, entry.step.timerId);
  if (!entry.step.eventId) return 0;
  const event = await ctx.db.get("events", entry.step.eventId);
  if (event?.state.kind === "waiting" && event.state.stepId === stepId) {
    await ctx.db.patch("events", event._id, { state: { kind: "created" } });
    return 2 * getConvexSize(event);
  }
  return event ? getConvexSize(event) : 0;
}

const vSendArgs = {
  workflowId: v.optional(v.string()),
  eventId: v.optional(v.string()),
  name: v.optional(v.string()),
  result: vResultValidator,
};

export const send = mutation({
  args: vSendArgs,
  returns: v.id("events"),
  handler: async (ctx, args) => await sendEvent(ctx, args),
});

/**
 * Send an event (created → sent, or waiting → consumed): `send`, and a webhook's delivery
 * (webhooks.ts). Throws, writing nothing, for an event already sent, consumed or timed out.
 */
export async function sendEvent(ctx: MutationCtx, args: ObjectType<typeof vSendArgs>): Promise<Id<"events">> {
  if (args.result.kind === "failed") checkEventError(args.result.error);
  const result: RunResult = limitResultSize(args.result);
  let event: Doc<"events">;
  if (args.eventId) {
    event = await getEventOrThrow(
      ctx,
      args.eventId,
      args.name || args.workflowId ? ` (sending "${args.name ?? ""}" to workflow ${args.workflowId ?? "?"})` : "",
    );
    if (args.workflowId && args.workflowId !== event.workflowId) {
      throw new Error(`Cannot send ${describe(event)} to workflow ${args.workflowId}: it belongs to another workflow`);
    }
    if (args.name && args.name !== event.name) {
      throw new Error(`Cannot send ${describe(event)} as "${args.name}": the event's name is "${event.name}"`);
    }
  } else {
    if (!args.workflowId || !args.name) {
      throw new Error("sendEvent needs either an event `id`, or both `workflowId` and `name`");
    }
    const workflow = await getWorkflowOrThrow(ctx, args.workflowId);
    event =
      (await findByName(ctx, workflow._id, args.name, "waiting")) ??
      (await findByName(ctx, workflow._id, args.name, "created")) ??
      (await insertEvent(ctx, workflow._id, args.name));
  }
  const now = Date.now();
  switch (event.state.kind) {
    case "sent":
      throw new Error(`Cannot send ${describe(event)}: it was already sent`);
    case "consumed":
      throw new Error(`Cannot send ${describe(event)}: it was already consumed`);
    case "timedOut":
      throw new Error(`Cannot send ${describe(event)}: the wait for it timed out, so the event is closed`);
    case "created":
      await ctx.db.patch("events", event._id, { state: { kind: "sent", result, sentAt: now } });
      break;
    case "waiting": {
      const { stepId, waitingAt } = event.state;
      const entry = await ctx.db.get("steps", stepId);
      const workflow = await ctx.db.get("workflows", event.workflowId);
      // Only a step of the workflow's current run consumes a send: not one of a finished
      // workflow whose stop has not reached it yet, nor one of a run before a restart
      // (events waited on before generations were stored: the workflow's current one).
      const generationNumber = event.state.generationNumber ?? workflow?.generationNumber;
      const current = entry && workflow && !workflow.runResult && workflow.generationNumber === generationNumber;
      const outcome = current ? await recordStepResult(ctx, { stepId, generationNumber, result }) : "stale";
      if (!entry || !workflow || outcome !== "recorded") {
        // The waiter vanished or will never take it: keep the value for the next await.
        await ctx.db.patch("events", event._id, { state: { kind: "sent", result, sentAt: now } });
        break;
      }
      await ctx.db.patch("events", event._id, {
        state: { kind: "consumed", stepId, waitingAt, sentAt: now, consumedAt: now },
      });
      if (entry.step.kind === "event" && entry.step.timerId) await cancelTimer(ctx, entry.step.timerId);
      await logConsumed(ctx, workflow, event, entry, result, now - waitingAt);
      break;
    }
  }
  // Something changed for this workflow: conditions it waits on may hold now.
  const workflow = await ctx.db.get("workflows", event.workflowId);
  if (workflow) await nudgeConditionWaits(ctx, workflow);
  return event._id;
}

export const create = mutation({
  args: { name: v.string(), workflowId: v.string() },
  returns: v.id("events"),
  handler: async (ctx, args) => {
    const workflow = await getWorkflowOrThrow(ctx, args.workflowId);
    const event = await insertEvent(ctx, workflow._id, args.name);
    return event._id;
  },
});
