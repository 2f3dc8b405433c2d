// Reading workflows by the ids users hand us, with errors that name what was wrong.
import type { WithoutSystemFields } from "convex/server";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { recordTransition, statusOf } from "./stats.js";
import { lifecycleStatus } from "./status.js";
import { insertTags } from "./tags.js";

/** A workflow as just inserted: its fields and id (not read back, so no `_creationTime`). */
export type NewWorkflow = WithoutSystemFields<Doc<"workflows">> & { _id: Id<"workflows"> };

/** Create a workflow document (top-level or nested) and count it as running (or queued: flow control). */
export async function insertWorkflow(
  ctx: MutationCtx,
  fields: WithoutSystemFields<Doc<"workflows">>,
): Promise<NewWorkflow> {
  // The stored status (status.ts) is written with the insert: refreshStatus would read it back.
  const withStatus = { ...fields, status: lifecycleStatus(fields) };
  const workflow = { ...withStatus, _id: await ctx.db.insert("workflows", withStatus) };
  await recordTransition(ctx, workflow, null, statusOf(workflow));
  await insertTags(ctx, workflow, workflow.status);
  return workflow;
}

/** Parse a workflow id from user input; throws a clear error for a malformed one. */
export function parseWorkflowId(ctx: QueryCtx, workflowId: string): Id<"workflows"> {
  const id = ctx.db.normalizeId("workflows", workflowId);
  if (!id) throw new Error(`Invalid workflow ID: ${workflowId}`);
  return id;
}

/** Load a workflow that must exist. */
export async function getWorkflowOrThrow(ctx: QueryCtx, workflowId: string): Promise<Doc<"workflows">> {
  const id = parseWorkflowId(ctx, workflowId);
  const workflow = await ctx.db.get("workflows", id);
  if (!workflow) throw new Error(`Workflow not found: ${workflowId}`);
  return workflow;
}

/** A workflow's status in an error message: its lifecycle status (`completed`, not `success`). */
export function describeStatus(workflow: Doc<"workflows">): string {
  return lifecycleStatus(workflow);
}
