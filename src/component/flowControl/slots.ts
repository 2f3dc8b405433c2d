// Flow control: slots. One row per (workflow name, gate key) in `flowSlots` counts the workflows
// holding a slot (running) under it. A workflow's `flow.slot` says it holds one: set when its run
// begins (takeSlot), cleared when that run ends (releaseSlot), so each run takes and releases a
// slot exactly once. The row is a hot document per key: that is what an exact limit costs.
import type { Doc } from "../_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "../_generated/server.js";

export async function slotRow(ctx: QueryCtx, name: string, key: string): Promise<Doc<"flowSlots"> | null> {
  return await ctx.db
    .query("flowSlots")
    .withIndex("by_name_key", (q) => q.eq("name", name).eq("key", key))
    .unique();
}

/** Add `delta` to the (name, key) running count (creating its row on first use). */
export async function adjustRunning(ctx: MutationCtx, name: string, key: string, delta: number): Promise<void> {
  const row = await slotRow(ctx, name, key);
  if (row) await ctx.db.patch("flowSlots", row._id, { running: Math.max(0, row.running + delta) });
  else await ctx.db.insert("flowSlots", { name, key, running: Math.max(0, delta) });
}

/** How many hold a slot of (name, key) now. */
export async function runningOf(ctx: QueryCtx, name: string, key: string): Promise<number> {
  return (await slotRow(ctx, name, key))?.running ?? 0;
}
