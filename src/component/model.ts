// Reading workflows by the ids users hand us, with errors that name what was wrong.
import type { WithoutSystemFields } from "convex/server";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { recordTransition } from "./stats.js";
import { lifecycleStatus, refreshStatus } from "./status.js";
import { insertTags } from "./tags.js";

/** A workflow as just inserted: its fields and id (not read back, so no `_creationTime`). */
export type NewWorkflow = WithoutSystemFields<Doc<"workflows">> & { _id: Id<"workflows"> };

/** Create a workflow document (top-level or nested) and count it as running. */
export async function insertWorkflow(
  ctx: MutationCtx,
  fields: WithoutSystemFields<Doc<"workflows">>,
): Promise<NewWorkflow> {
  const workflow = { ...fields, _id: await ctx.db.insert("workflows", fields) };
  await recordTransition(ctx, workflow, null, "running");
  await insertTags(ctx, workflow, lifecycleStatus(workflow));
  const status = await refreshStatus(ctx, workflow._id);
  return { ...workflow, status: status ?? undefined };
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

export function describeStatus(workflow: Doc<"workflows">): string {
  return workflow.runResult ? workflow.runResult.kind : workflow.paused ? "paused" : "running";
}
