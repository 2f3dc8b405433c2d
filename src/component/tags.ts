// Tags (SPEC 4.3): given at start, stored on the workflow and as rows of `workflowTags` (one
// per pair, with the workflow's name and status copied) so that `list({ tag })` reads only the
// matching rows. Rows are written at start, their status by status.ts, and
// deleted with the workflow (cleanup.ts).
import { MAX_TAGS } from "../shared/limits.js";
import type { LifecycleStatus } from "../shared/protocol.js";
import type { TagPairs } from "../shared/validateOptions.js";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";

/** Insert the tag rows of a workflow just created (its status as stored). */
export async function insertTags(
  ctx: MutationCtx,
  workflow: { _id: Id<"workflows">; name?: string; tags?: TagPairs },
  status: LifecycleStatus,
): Promise<void> {
  for (const { key, value } of workflow.tags ?? []) {
    await ctx.db.insert("workflowTags", { workflowId: workflow._id, key, value, name: workflow.name ?? "", status });
  }
}

/** The workflow's status changed: copy it to its tag rows (at most MAX_TAGS). */
export async function copyStatusToTags(
  ctx: MutationCtx,
  workflowId: Id<"workflows">,
  status: LifecycleStatus,
): Promise<void> {
  for (const row of await ctx.db
    .query("workflowTags")
    .withIndex("workflow", (q) => q.eq("workflowId", workflowId))
    .take(MAX_TAGS)) {
    if (row.status !== status) await ctx.db.patch("workflowTags", row._id, { status });
  }
}

/** Delete the workflow's tag rows (it is being deleted). Returns how many. */
export async function deleteTags(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<number> {
  const rows = await ctx.db
    .query("workflowTags")
    .withIndex("workflow", (q) => q.eq("workflowId", workflowId))
    .take(MAX_TAGS);
  for (const row of rows) await ctx.db.delete("workflowTags", row._id);
  return rows.length;
}
