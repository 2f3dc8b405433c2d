// Webhooks: an event of a workflow reachable over HTTP through a secret token.
//
//   step.createWebhook → create: an event (event.ts) and a row holding the token's SHA-256
//   POST <prefix>/<token> (client/webhooks.ts) → deliver: checks, then the event is sent
//   exactly as `event.send` sends it (sendEvent)
//
// The token is returned once (to the workflow's journal, as the step's result); the table
// holds only its hash. A webhook is closed (410) once its workflow finishes or is deleted, a
// restart deletes the `createWebhook` step that made it (cleanup.ts sets `closedAt`), its await
// times out, or it expires; delivered once, it answers 409.
import { getConvexSize, v, type ValidatorJSON } from "convex/values";
import { MAX_RETURN_VALUE_SIZE, WEBHOOK_TOKEN_BYTES } from "../shared/limits.js";
import { checkEventName, checkMs, checkWebhookValidatorJson } from "../shared/validateOptions.js";
import { checkValueAgainstValidatorJson } from "../shared/validatorJson.js";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, type MutationCtx } from "./_generated/server.js";
import { insertEvent, sendEvent } from "./event.js";
import { getWorkflowOrThrow } from "./model.js";

/** A token is base64url of WEBHOOK_TOKEN_BYTES bytes; anything much longer is not one of ours. */
const MAX_TOKEN_LENGTH = 256;

/** The statuses `deliver` answers with (the HTTP route answers with the same). */
export const vDeliveryStatus = v.union(
  v.literal(200),
  v.literal(400),
  v.literal(404),
  v.literal(409),
  v.literal(410),
  v.literal(413),
);

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The hex SHA-256 of a token: what the `webhooks` table stores and is looked up by. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export const create = mutation({
  args: {
    workflowId: v.string(),
    /** The event's name. */
    name: v.string(),
    /** The JSON (a string) of the validator's JSON form, `JSON.stringify(validator.json)`. */
    validator: v.optional(v.string()),
    /** The webhook closes (410) this many ms after it is made. */
    timeoutMs: v.optional(v.number()),
  },
  returns: v.object({ token: v.string(), eventId: v.id("events") }),
  handler: async (ctx, args) => {
    checkEventName("createWebhook", args.name);
    checkWebhookValidatorJson("createWebhook `validator`", args.validator);
    if (args.timeoutMs !== undefined) checkMs("createWebhook `timeout`", args.timeoutMs, 1);
    const workflow = await getWorkflowOrThrow(ctx, args.workflowId);
    if (workflow.runResult) {
      throw new Error(`Cannot create a webhook for workflow ${workflow._id}: it has finished`);
    }
    const token = base64url(crypto.getRandomValues(new Uint8Array(WEBHOOK_TOKEN_BYTES)));
    const event = await insertEvent(ctx, workflow._id, args.name);
    const now = Date.now();
    await ctx.db.insert("webhooks", {
      workflowId: workflow._id,
      eventId: event._id,
      tokenHash: await hashToken(token),
      name: args.name,
      validator: args.validator,
      expiresAt: args.timeoutMs === undefined ? undefined : now + args.timeoutMs,
      createdAt: now,
    });
    return { token, eventId: event._id };
  },
});

/** The webhook with this token, if any (by its hash). */
export async function findWebhookByToken(ctx: MutationCtx, token: string): Promise<Doc<"webhooks"> | null> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
  const tokenHash = await hashToken(token);
  return await ctx.db
    .query("webhooks")
    .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
    .first();
}

type Delivery = { status: 200 | 400 | 404 | 409 | 410 | 413; error?: string };

/**
 * Deliver a value to the webhook with this token: 200 (sent, exactly once), 404 (unknown
 * token), 409 (already delivered), 410 (closed: its workflow finished or was deleted, a
 * restart deleted its `createWebhook` step, its await timed out, or it expired), 413 (value over MAX_RETURN_VALUE_SIZE), 400
 * (the webhook's validator rejects the value; it stays open). Nothing is written unless 200.
 * Errors never contain the token.
 */
export const deliver = mutation({
  args: { token: v.string(), value: v.any() },
  returns: v.object({ status: vDeliveryStatus, error: v.optional(v.string()) }),
  handler: async (ctx, args): Promise<Delivery> => {
    const webhook = await findWebhookByToken(ctx, args.token);
    if (!webhook) return { status: 404, error: "unknown webhook" };
    const event = await ctx.db.get("events", webhook.eventId);
    if (event?.state.kind === "sent" || event?.state.kind === "consumed") {
      return { status: 409, error: "this webhook was already delivered" };
    }
    const workflow = await ctx.db.get("workflows", webhook.workflowId);
    if (!workflow) return { status: 410, error: "this webhook is closed: its workflow was deleted" };
    if (workflow.runResult) return { status: 410, error: "this webhook is closed: its workflow has finished" };
    if (webhook.closedAt !== undefined) {
      return { status: 410, error: "this webhook is closed: its workflow was restarted" };
    }
    if (!event) return { status: 410, error: "this webhook is closed" };
    if (event.state.kind === "timedOut") {
      return { status: 410, error: "this webhook is closed: the wait for it timed out" };
    }
    if (webhook.expiresAt !== undefined && Date.now() >= webhook.expiresAt) {
      return { status: 410, error: "this webhook is closed: it expired" };
    }
    const size = getConvexSize(args.value);
    if (size > MAX_RETURN_VALUE_SIZE) {
      return { status: 413, error: `the value is ${size} bytes; at most ${MAX_RETURN_VALUE_SIZE} are accepted` };
    }
    if (webhook.validator !== undefined) {
      const error = checkValueAgainstValidatorJson(args.value, JSON.parse(webhook.validator) as ValidatorJSON);
      if (error) return { status: 400, error };
    }
    await sendEvent(ctx, { eventId: webhook.eventId, result: { kind: "success", returnValue: args.value } });
    return { status: 200 };
  },
});
