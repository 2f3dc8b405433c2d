// Counts of workflows by name and status, kept as sharded counters so reading them costs a
// few dozen documents however many workflows there are.
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { type MutationCtx, query } from "./_generated/server.js";

export const COUNT_SLOTS = 16;
export type CountStatus = Doc<"workflowCounts">["status"];
const STATUSES: CountStatus[] = ["running", "success", "failed", "canceled"];

function slotOf(workflowId: string): number {
  let hash = 0;
  for (let i = 0; i < workflowId.length; i++) hash = (hash * 31 + workflowId.charCodeAt(i)) | 0;
  return (hash >>> 0) % COUNT_SLOTS;
}

export function statusOf(workflow: Pick<Doc<"workflows">, "runResult">): CountStatus {
  return workflow.runResult?.kind ?? "running";
}

/** Add `delta` to the count of (name, status). */
export async function adjustCount(
  ctx: MutationCtx,
  workflow: Pick<Doc<"workflows">, "_id" | "name">,
  status: CountStatus,
  delta: number,
): Promise<void> {
  const name = workflow.name ?? "";
  const slot = slotOf(workflow._id);
  const row = await ctx.db
    .query("workflowCounts")
    .withIndex("by_name_status_slot", (q) => q.eq("name", name).eq("status", status).eq("slot", slot))
    .unique();
  if (row) await ctx.db.patch("workflowCounts", row._id, { count: row.count + delta });
  else await ctx.db.insert("workflowCounts", { name, status, slot, count: delta });
}

/** A workflow moved from one status to another (or appeared: from null; vanished: to null). */
export async function recordTransition(
  ctx: MutationCtx,
  workflow: Pick<Doc<"workflows">, "_id" | "name">,
  from: CountStatus | null,
  to: CountStatus | null,
): Promise<void> {
  if (from === to) return;
  if (from) await adjustCount(ctx, workflow, from, -1);
  if (to) await adjustCount(ctx, workflow, to, 1);
}

const vCounts = v.object({ running: v.number(), success: v.number(), failed: v.number(), canceled: v.number() });

/** How many workflows there are, per status, overall and per workflow name (up to 200 names). */
export const counts = query({
  args: { name: v.optional(v.string()) },
  returns: v.object({ total: vCounts, byName: v.array(v.object({ name: v.string(), counts: vCounts })) }),
  handler: async (ctx, args) => {
    const rows =
      args.name === undefined
        ? await ctx.db.query("workflowCounts").take(200 * STATUSES.length * COUNT_SLOTS)
        : await ctx.db
            .query("workflowCounts")
            .withIndex("by_name_status_slot", (q) => q.eq("name", args.name!))
            .take(STATUSES.length * COUNT_SLOTS);
    const empty = () => ({ running: 0, success: 0, failed: 0, canceled: 0 });
    const total = empty();
    const byName = new Map<string, ReturnType<typeof empty>>();
    for (const row of rows) {
      total[row.status] += row.count;
      const c = byName.get(row.name) ?? empty();
      c[row.status] += row.count;
      byName.set(row.name, c);
    }
    return { total, byName: [...byName].map(([name, counts]) => ({ name, counts })) };
  },
});
