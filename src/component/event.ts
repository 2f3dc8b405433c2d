// Events: values sent to a workflow from outside, each consumed by exactly one
// `step.awaitEvent`. Either side may come first: a send with no waiter is buffered, an
// await with nothing sent waits.
//
//   created ──send──▶ sent ──await──▶ consumed
//      │                                ▲
//      └──await──▶ waiting ──send───────┘
import { type RunResult, vResultValidator } from "@convex-dev/workpool";
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import { mutation, type MutationCtx } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { getWorkflowOrThrow } from "./model.js";
import { limitResultSize, recordStepResult } from "./results.js";

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
  entry: Doc<"steps">,
  workflow: Doc<"workflows">,
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
    if (event.state.kind === "waiting" || event.state.kind === "consumed") {
      throw new Error(`Cannot await ${describe(event)}: it is already ${event.state.kind === "waiting" ? "awaited" : "consumed"}`);
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
    const console = await getLogger(ctx);
    console.event("eventConsumed", {
      workflowId: workflow._id,
      workflowName: workflow.name,
      eventName: event.name,
      stepNumber: entry.stepNumber,
      status: runResult.kind,
      durationMs: 0,
    });
    return { ...step, eventId: event._id, inProgress: false, runResult, completedAt: now };
  }
  await ctx.db.patch("events", event._id, { state: { kind: "waiting", waitingAt: now, stepId: entry._id } });
  return { ...step, eventId: event._id };
}

async function insertEvent(ctx: MutationCtx, workflowId: Id<"workflows">, name: string): Promise<Doc<"events">> {
  const id = await ctx.db.insert("events", { workflowId, name, createdAt: Date.now(), state: { kind: "created" } });
  return (await ctx.db.get("events", id))!;
}

/** A canceled or deleted waiter releases its event: nothing will wake up for it later. */
export async function closeEventsOfStep(ctx: MutationCtx, stepId: Id<"steps">): Promise<void> {
  const entry = await ctx.db.get("steps", stepId);
  if (entry?.step.kind !== "event" || !entry.step.eventId) return;
  const event = await ctx.db.get("events", entry.step.eventId);
  if (event?.state.kind === "waiting" && event.state.stepId === stepId) {
    await ctx.db.patch("events", event._id, { state: { kind: "created" } });
  }
}

export const send = mutation({
  args: {
    workflowId: v.optional(v.string()),
    eventId: v.optional(v.string()),
    name: v.optional(v.string()),
    result: vResultValidator,
  },
  returns: v.id("events"),
  handler: async (ctx, args) => {
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
      case "created":
        await ctx.db.patch("events", event._id, { state: { kind: "sent", result, sentAt: now } });
        break;
      case "waiting": {
        const { stepId, waitingAt } = event.state;
        const entry = await ctx.db.get("steps", stepId);
        const workflow = await ctx.db.get("workflows", event.workflowId);
        if (!entry || !workflow) {
          // The waiter vanished; keep the value for the next await.
          await ctx.db.patch("events", event._id, { state: { kind: "sent", result, sentAt: now } });
          break;
        }
        await ctx.db.patch("events", event._id, {
          state: { kind: "consumed", stepId, waitingAt, sentAt: now, consumedAt: now },
        });
        const outcome = await recordStepResult(ctx, {
          stepId,
          generationNumber: workflow.generationNumber,
          result,
        });
        if (outcome !== "recorded") {
          await ctx.db.patch("events", event._id, { state: { kind: "sent", result, sentAt: now } });
        } else {
          const console = await getLogger(ctx);
          console.event("eventConsumed", {
            workflowId: workflow._id,
            workflowName: workflow.name,
            eventName: event.name,
            stepNumber: entry.stepNumber,
            status: result.kind,
            durationMs: now - waitingAt,
          });
        }
        break;
      }
    }
    return event._id;
  },
});

export const create = mutation({
  args: { name: v.string(), workflowId: v.string() },
  returns: v.id("events"),
  handler: async (ctx, args) => {
    const workflow = await getWorkflowOrThrow(ctx, args.workflowId);
    const event = await insertEvent(ctx, workflow._id, args.name);
    return event._id;
  },
});
