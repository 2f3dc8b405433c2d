// A workflow's lifecycle status, stored on the document (`workflows.status`) so that `list`
// can filter by it through an index. `lifecycleStatus` derives it from the fields that decide
// it. Besides the insert (model.ts, which stores it with the new workflow), `refreshStatus` and
// `patchWithStatus` are its only writers, used by every transition (complete, cancel, restart,
// pause, resume, and a queued workflow beginning). The copies on the workflow's tag rows
// (tags.ts) are written here too, in the same transaction.
import type { LifecycleStatus } from "../shared/protocol.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { copyStatusToTags } from "./tags.js";

/** The fields the status is derived from. `queued` belongs to flow control (#14), when present. */
type StatusFields = Pick<Doc<"workflows">, "runResult" | "paused"> & { queued?: unknown };

/**
 * queued (waiting to begin, flow control) → finished (completed / failed / canceled, from
 * `runResult`) → paused → running. A finished workflow is never reported paused.
 */
export function lifecycleStatus(doc: StatusFields): LifecycleStatus {
  if (doc.runResult) {
    switch (doc.runResult.kind) {
      case "success":
        return "completed";
      case "failed":
        return "failed";
      case "canceled":
        return "canceled";
    }
  }
  if (doc.queued !== undefined && doc.queued !== null) return "queued";
  if (doc.paused) return "paused";
  return "running";
}

/**
 * Patch a workflow with `fields` and, in the same write, the status they leave it in (and the
 * copies on its tag rows when that changed). For a transition that already patches the
 * workflow: one write instead of the patch plus `refreshStatus`'s second read and write.
 */
export async function patchWithStatus(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  fields: Partial<Doc<"workflows">>,
): Promise<LifecycleStatus> {
  const status = lifecycleStatus({ ...workflow, ...fields });
  const changed = status !== workflow.status;
  await ctx.db.patch("workflows", workflow._id, changed ? { ...fields, status } : fields);
  if (changed && workflow.tags?.length) await copyStatusToTags(ctx, workflow._id, status);
  return status;
}

/**
 * Store the workflow's status as its fields now say (after a transition's patch, in the same
 * transaction), on the workflow and its tag rows. No write when it has not changed.
 */
export async function refreshStatus(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<LifecycleStatus | null> {
  const workflow = await ctx.db.get("workflows", workflowId);
  if (!workflow) return null;
  const status = lifecycleStatus(workflow);
  if (workflow.status !== status) {
    await ctx.db.patch("workflows", workflowId, { status });
    if (workflow.tags?.length) await copyStatusToTags(ctx, workflowId, status);
  }
  return status;
}
