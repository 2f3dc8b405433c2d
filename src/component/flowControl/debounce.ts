// Flow control: debounce. Starts of a definition with the same debounce key while its window is
// open coalesce into one queued workflow (`flowDebounce` row → its id); each start moves the
// begin to `delayMs` after it (no later than `maxDelayMs` after the first) and replaces the
// args. ONE scheduled `fire` per window: it begins the workflow, or, when a later start moved
// the begin, schedules itself again for then (so a burst of starts schedules nothing more).
import { v } from "convex/values";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "../_generated/server.js";
import { debounceBeginAt, gateKeyOf } from "./gates.js";
import { beginQueued, enqueue, pump, queueHead, roomFor } from "./queue.js";

type Debounce = { delayMs: number; maxDelayMs?: number; key: string };

async function windowOf(ctx: MutationCtx, name: string, key: string) {
  return await ctx.db
    .query("flowDebounce")
    .withIndex("by_name_key", (q) => q.eq("name", name).eq("key", key))
    .unique();
}

/**
 * A start inside an open window joins it: the workflow takes these args and begins later.
 * Returns the window's workflow, or null when no window is open.
 */
export async function joinDebounce(
  ctx: MutationCtx,
  name: string,
  debounce: Debounce,
  args: unknown,
  now: number,
): Promise<Id<"workflows"> | null> {
  const window = await windowOf(ctx, name, debounce.key);
  if (!window) return null;
  const workflow = await ctx.db.get("workflows", window.workflowId);
  if (!workflow || workflow.runResult || workflow.queued?.debounceKey === undefined) {
    // Its workflow was canceled or cleaned up (which delete the window; this only guards).
    await ctx.db.delete("flowDebounce", window._id);
    return null;
  }
  await ctx.db.patch("workflows", workflow._id, { args });
  const beginAt = debounceBeginAt(window.firstAt, now, debounce.delayMs, debounce.maxDelayMs);
  await ctx.db.patch("flowDebounce", window._id, { beginAt });
  return workflow._id;
}

/** Open the window of a workflow just inserted queued with `debounceKey`, and schedule its one `fire`. */
export async function openDebounce(
  ctx: MutationCtx,
  workflow: { _id: Id<"workflows">; name?: string },
  debounce: Debounce,
  now: number,
) {
  const beginAt = debounceBeginAt(now, now, debounce.delayMs, debounce.maxDelayMs);
  const debounceId = await ctx.db.insert("flowDebounce", {
    name: workflow.name ?? "",
    key: debounce.key,
    workflowId: workflow._id,
    firstAt: now,
    beginAt,
  });
  await ctx.scheduler.runAt(beginAt, internal.flowControl.debounce.fire, { debounceId });
}

/** Close the window of a queued workflow that ends before it begins (cancel, cleanup). */
export async function closeDebounce(ctx: MutationCtx, workflow: Doc<"workflows">, key: string): Promise<void> {
  const window = await windowOf(ctx, workflow.name ?? "", key);
  if (window && window.workflowId === workflow._id) await ctx.db.delete("flowDebounce", window._id);
}

/** The window closes: its workflow begins now, or waits in its gate's queue. */
export const fire = internalMutation({
  args: { debounceId: v.id("flowDebounce") },
  returns: v.null(),
  handler: async (ctx, args) => {
    const window = await ctx.db.get("flowDebounce", args.debounceId);
    if (!window) return null;
    const now = Date.now();
    if (now < window.beginAt) {
      await ctx.scheduler.runAt(window.beginAt, internal.flowControl.debounce.fire, args);
      return null;
    }
    await ctx.db.delete("flowDebounce", window._id);
    const workflow = await ctx.db.get("workflows", window.workflowId);
    if (!workflow || workflow.runResult || workflow.queued?.debounceKey === undefined) return null;
    const name = workflow.name ?? "";
    const key = gateKeyOf(workflow.flow);
    if (key === null || (!(await queueHead(ctx, name, key)) && (await roomFor(ctx, name, workflow.flow!, now)).room)) {
      await beginQueued(ctx, workflow, now);
      return null;
    }
    const queued = { since: workflow.queued.since, priority: workflow.queued.priority };
    await ctx.db.patch("workflows", workflow._id, { queued });
    await enqueue(ctx, workflow);
    await pump(ctx, name, key);
    return null;
  },
});
