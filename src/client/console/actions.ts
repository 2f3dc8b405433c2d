// The console's writes, each a POST with a JSON body: cancel, pause, resume, restart (from a
// step, with new args), send an event, cleanup, and cancel of every run a filter matches.
import type { GenericActionCtx, GenericDataModel } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import type { WorkflowComponent } from "../types.js";
import { callComponent, ConsoleRequestError } from "./errors.js";
import { filterFromBody } from "./filters.js";

type Ctx = GenericActionCtx<GenericDataModel>;
type Body = Record<string, unknown>;
const MAX_EVENT_NAME = 256;

function idOf(body: Body): string {
  const id = body.id;
  if (typeof id !== "string" || id.length === 0 || id.length > 256) {
    throw new ConsoleRequestError(400, "id must be the workflow's id (a non-empty string)");
  }
  return id;
}

function convexValue(what: string, value: unknown): Value {
  try {
    convexToJson(value as Value);
  } catch (error) {
    throw new ConsoleRequestError(
      400,
      `${what} is not a Convex value: ${error instanceof Error ? error.message : "invalid"}`,
    );
  }
  return value as Value;
}

/** `from`: a step number, "failed", or absent (the whole journal). */
function fromOf(body: Body): number | "failed" | undefined {
  if (body.from === undefined || body.from === null) return undefined;
  if (body.from !== "failed" && !(Number.isInteger(body.from) && (body.from as number) >= 0)) {
    throw new ConsoleRequestError(
      400,
      `from must be a step number (0 or more) or "failed"; got ${JSON.stringify(body.from)}`,
    );
  }
  return body.from as number | "failed";
}

async function cancel(ctx: Ctx, component: WorkflowComponent, body: Body) {
  const workflowId = idOf(body);
  await callComponent(() => ctx.runMutation(component.workflow.cancel, { workflowId }));
  return { ok: true };
}

async function restart(ctx: Ctx, component: WorkflowComponent, body: Body) {
  const workflowId = idOf(body);
  const args: Record<string, unknown> = { workflowId };
  if (body.from !== undefined && body.from !== null) {
    if (body.from !== "failed" && !(Number.isInteger(body.from) && (body.from as number) >= 0)) {
      throw new ConsoleRequestError(
        400,
        `from must be a step number (0 or more) or "failed"; got ${JSON.stringify(body.from)}`,
      );
    }
    args.from = body.from;
  }
  if (body.args !== undefined) {
    if (typeof body.args !== "object" || body.args === null || Array.isArray(body.args)) {
      throw new ConsoleRequestError(400, 'args must be a JSON object, like {"name": "Ada"}');
    }
    args.args = convexValue("args", body.args);
  }
  await callComponent(() => ctx.runMutation(component.workflow.restart, args as { workflowId: string }));
  return { ok: true };
}

async function sendEvent(ctx: Ctx, component: WorkflowComponent, body: Body) {
  const workflowId = idOf(body);
  const name = body.name;
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_EVENT_NAME) {
    throw new ConsoleRequestError(400, `name must be the event's name (1 to ${MAX_EVENT_NAME} characters)`);
  }
  const result =
    typeof body.error === "string" && body.error !== ""
      ? { kind: "failed" as const, error: body.error }
      : { kind: "success" as const, returnValue: convexValue("value", body.value ?? null) };
  const eventId = await callComponent(() => ctx.runMutation(component.event.send, { workflowId, name, result }));
  return { ok: true, eventId };
}

async function cleanup(ctx: Ctx, component: WorkflowComponent, body: Body) {
  const workflowId = idOf(body);
  const deleted = await callComponent(() => ctx.runMutation(component.workflow.cleanup, { workflowId }));
  if (!deleted)
    throw new ConsoleRequestError(400, `workflow ${workflowId} is still running or already gone: not deleted`);
  return { ok: true };
}

/**
 * Cancel every running run the filter matches, or restart every finished one (`from`: a step
 * number or "failed"), through the component's bulk jobs: `{ count }` when one batch did it
 * all, else `{ jobId }`, whose progress `GET api/bulk-progress?jobId` reads.
 */
async function cancelMany(ctx: Ctx, component: WorkflowComponent, body: Body) {
  const filter = filterFromBody(body);
  return { ok: true, ...(await callComponent(() => ctx.runMutation(component.bulk.cancelMany, { filter }))) };
}

async function restartMany(ctx: Ctx, component: WorkflowComponent, body: Body) {
  const filter = filterFromBody(body);
  const from = fromOf(body);
  return { ok: true, ...(await callComponent(() => ctx.runMutation(component.bulk.restartMany, { filter, from }))) };
}

const pause = async (ctx: Ctx, component: WorkflowComponent, body: Body) => {
  const workflowId = idOf(body);
  await callComponent(() => ctx.runMutation(component.workflow.pause, { workflowId }));
  return { ok: true };
};
const resume = async (ctx: Ctx, component: WorkflowComponent, body: Body) => {
  const workflowId = idOf(body);
  await callComponent(() => ctx.runMutation(component.workflow.resume, { workflowId }));
  return { ok: true };
};

/** POST <prefix>/api/<action>. */
export const ACTIONS: Record<string, (ctx: Ctx, component: WorkflowComponent, body: Body) => Promise<unknown>> = {
  cancel,
  pause,
  resume,
  restart,
  "send-event": sendEvent,
  cleanup,
  "cancel-many": cancelMany,
  "restart-many": restartMany,
};
