// The console's writes, each a POST with a JSON body: cancel, pause, resume, restart (from a
// step, with new args), send an event, cleanup, and cancel of every run a filter matches.
import type { GenericActionCtx, GenericDataModel } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import type { WorkflowComponent } from "../types.js";
import { callComponent, ConsoleRequestError } from "./errors.js";
import { filterFromBody } from "./filters.js";
import { pageOfWorkflows, statusOf } from "./runs.js";

type Ctx = GenericActionCtx<GenericDataModel>;
type Body = Record<string, unknown>;
/** Bulk cancel: runs canceled per request at most; the answer says whether more match. */
export const MAX_BULK_CANCEL = 100;
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
 * Cancel every unfinished run the filter matches, up to MAX_BULK_CANCEL per request (the
 * answer's `more` says to send it again). Uses the component's `cancelMany` once it has one.
 */
async function cancelMany(ctx: Ctx, component: WorkflowComponent, body: Body) {
  const filter = filterFromBody(body);
  let canceled = 0;
  let cursor: string | null = null;
  for (;;) {
    const page = await pageOfWorkflows(ctx, component, filter, { order: "asc", cursor, numItems: 100 });
    for (const w of page.page) {
      if (!["running", "paused", "queued"].includes(statusOf(w))) continue;
      if (canceled >= MAX_BULK_CANCEL) return { ok: true, canceled, more: true };
      try {
        await ctx.runMutation(component.workflow.cancel, { workflowId: w.workflowId });
        canceled++;
      } catch {
        // Finished between the read and the cancel: nothing to do.
      }
    }
    if (page.isDone) return { ok: true, canceled, more: false };
    cursor = page.continueCursor;
  }
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
};
