// `list` with filters (SPEC 4.3): by name, status and tag, in creation order, through one index
// range whatever the combination — never a scan that skips rows:
//
//   filter                    index
//   (none)                    workflows by_creation_time
//   name                      workflows name
//   status                    workflows status
//   name + status             workflows name_status
//   tag                       workflowTags key_value          (then each workflow by id)
//   tag + status              workflowTags key_value_status
//   tag + name                workflowTags key_value_name
//   tag + name + status       workflowTags key_value_name_status
//
// Pages are bounded in items and bytes (paging.ts); a tag page also counts the workflows it reads.
import { paginator } from "convex-helpers/server/pagination";
import type { PaginationOptions, PaginationResult } from "convex/server";
import { getConvexSize } from "convex/values";
import { MAX_PAGE_READ_BYTES } from "../shared/limits.js";
import type { ListFilter } from "../shared/protocol.js";
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { boundedPaginationOpts, withCursorCheck } from "./paging.js";
import schema from "./schema.js";

export type ListArgs = ListFilter & { order: "asc" | "desc"; paginationOpts: PaginationOptions };

/** A page of the workflows the filter selects, in creation order. */
export async function pageOfWorkflows(ctx: QueryCtx, args: ListArgs): Promise<PaginationResult<Doc<"workflows">>> {
  const opts = boundedPaginationOpts(args.paginationOpts);
  if (args.tag) return await pageByTag(ctx, { ...args, tag: args.tag }, opts);
  const workflows = paginator(ctx.db, schema).query("workflows");
  const { name, status } = args;
  const ranged =
    name !== undefined && status !== undefined
      ? workflows.withIndex("name_status", (q) => q.eq("name", name).eq("status", status))
      : name !== undefined
        ? workflows.withIndex("name", (q) => q.eq("name", name))
        : status !== undefined
          ? workflows.withIndex("status", (q) => q.eq("status", status))
          : workflows;
  return await withCursorCheck(opts.cursor, () => ranged.order(args.order).paginate(opts));
}

function tagRows(ctx: QueryCtx, { tag, name, status }: ListFilter & { tag: { key: string; value: string } }) {
  const rows = paginator(ctx.db, schema).query("workflowTags");
  const { key, value } = tag;
  if (name !== undefined && status !== undefined) {
    return rows.withIndex("key_value_name_status", (q) =>
      q.eq("key", key).eq("value", value).eq("name", name).eq("status", status),
    );
  }
  if (name !== undefined)
    return rows.withIndex("key_value_name", (q) => q.eq("key", key).eq("value", value).eq("name", name));
  if (status !== undefined) {
    return rows.withIndex("key_value_status", (q) => q.eq("key", key).eq("value", value).eq("status", status));
  }
  return rows.withIndex("key_value", (q) => q.eq("key", key).eq("value", value));
}

/**
 * A page of tag rows, then their workflows by id. The byte budget covers both: past it the page
 * is cut after the last workflow that fit (at least one), and its cursor is found by reading the
 * same tag rows again up to there (small rows, no workflows).
 */
async function pageByTag(
  ctx: QueryCtx,
  args: ListArgs & { tag: { key: string; value: string } },
  opts: PaginationOptions & { maximumBytesRead: number },
): Promise<PaginationResult<Doc<"workflows">>> {
  const read = (o: PaginationOptions) =>
    withCursorCheck(o.cursor, () => tagRows(ctx, args).order(args.order).paginate(o));
  const rows = await read(opts);
  let bytes = rows.page.reduce((sum, row) => sum + getConvexSize(row), 0);
  const page: Doc<"workflows">[] = [];
  for (const [i, row] of rows.page.entries()) {
    if (i > 0 && bytes >= Math.min(opts.maximumBytesRead, MAX_PAGE_READ_BYTES)) {
      const cut = await read({ ...opts, numItems: i });
      return { page, isDone: false, continueCursor: cut.continueCursor };
    }
    // Tag rows are deleted with their workflow, in the same transaction: it exists.
    const workflow = await ctx.db.get("workflows", row.workflowId);
    if (!workflow) continue;
    bytes += getConvexSize(workflow);
    page.push(workflow);
  }
  return { ...rows, page };
}
