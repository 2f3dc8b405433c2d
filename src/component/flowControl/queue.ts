// Flow control: the queue of workflows waiting to begin, per (workflow name, gate key), and the
// pump that begins them while their gates have room. Whoever frees room pumps: a run that ends
// (slots.ts via lifecycle.ts) in its own transaction, a rate window that frees by ONE scheduled
// `wake` at the time it frees (`flowSlots.wakeAt` keeps it to one per key). Nothing polls.
import { refreshStatus } from "../status.js";
import { v } from "convex/values";
import { MAX_BEGINS_PER_PUMP } from "../../shared/limits.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { internalMutation, type MutationCtx, type QueryCtx } from "../_generated/server.js";
import { scheduleReplay } from "../replay.js";
import { recordTransition } from "../stats.js";
import { type FlowGates, gateKeyOf, rankOf } from "./gates.js";
import { rateRoom, recordBegin } from "./rateLimit.js";
import { adjustRunning, runningOf, slotRow } from "./slots.js";

/** Whether a workflow with these gates may begin now; if not, when a rate window frees (else null: a slot must free). */
export async function roomFor(
  ctx: QueryCtx,
  name: string,
  gates: FlowGates,
  now: number,
): Promise<{ room: true } | { room: false; wakeAt: number | null }> {
  const key = gateKeyOf(gates);
  if (key === null) return { room: true };
  if (gates.concurrency && (await runningOf(ctx, name, key)) >= gates.concurrency.limit) {
    return { room: false, wakeAt: null };
  }
  if (gates.rateLimit) {
    const { room, freeAt } = await rateRoom(ctx, name, gates.rateLimit, now);
    if (!room) return { room: false, wakeAt: freeAt };
  }
  return { room: true };
}

/** The first workflow in the (name, key) queue, if any. */
export async function queueHead(ctx: QueryCtx, name: string, key: string): Promise<Doc<"flowQueue"> | null> {
  return await ctx.db
    .query("flowQueue")
    .withIndex("by_queue", (q) => q.eq("name", name).eq("key", key))
    .first();
}

/** Take a slot (and a place in the rate window) for a run that begins now. Returns the stored gates. */
export async function takeSlot(ctx: MutationCtx, name: string, gates: FlowGates, now: number) {
  const key = gateKeyOf(gates);
  if (key === null) return gates;
  await adjustRunning(ctx, name, key, 1);
  if (gates.rateLimit) await recordBegin(ctx, name, gates.rateLimit, now);
  return { ...gates, slot: true };
}

/** Put a (queued) workflow at its place in its gate's queue. */
export async function enqueue(ctx: MutationCtx, workflow: Pick<Doc<"workflows">, "_id" | "name" | "flow">) {
  const key = gateKeyOf(workflow.flow);
  if (key === null) throw new Error(`Workflow ${workflow._id} has no flow-control gate to queue for`);
  await ctx.db.insert("flowQueue", {
    name: workflow.name ?? "",
    key,
    rank: rankOf(workflow.flow?.priority),
    workflowId: workflow._id,
  });
}

/** Take a workflow out of its queue (canceled, cleaned up); nothing if it is not in one. */
export async function dequeue(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<void> {
  const entry = await ctx.db
    .query("flowQueue")
    .withIndex("by_workflow", (q) => q.eq("workflowId", workflowId))
    .first();
  if (entry) await ctx.db.delete("flowQueue", entry._id);
}

/** A queued workflow begins: it takes its slot, leaves `queued`, and its first replay is scheduled. */
export async function beginQueued(ctx: MutationCtx, workflow: Doc<"workflows">, now: number): Promise<void> {
  const name = workflow.name ?? "";
  const flow = workflow.flow ? await takeSlot(ctx, name, workflow.flow, now) : undefined;
  await ctx.db.patch("workflows", workflow._id, { queued: undefined, flow });
  await recordTransition(ctx, workflow, "queued", "running");
  await refreshStatus(ctx, workflow._id);
  await scheduleReplay(ctx, workflow);
}

/**
 * Begin the queued workflows of (name, key) while their gates have room, highest priority
 * first, FIFO within one; at most MAX_BEGINS_PER_PUMP here, the rest in a scheduled pump. When a
 * rate window is full, one `wake` is scheduled for when it frees.
 */
export async function pump(ctx: MutationCtx, name: string, key: string): Promise<void> {
  const now = Date.now();
  for (let begun = 0; begun < MAX_BEGINS_PER_PUMP; begun++) {
    const head = await queueHead(ctx, name, key);
    if (!head) return;
    const workflow = await ctx.db.get("workflows", head.workflowId);
    if (!workflow || workflow.runResult || !workflow.queued || workflow.queued.debounceKey !== undefined) {
      // Not waiting here any more (every path that ends a wait dequeues it; this only guards).
      await ctx.db.delete("flowQueue", head._id);
      continue;
    }
    const room = await roomFor(ctx, name, workflow.flow ?? {}, now);
    if (!room.room) {
      if (room.wakeAt !== null) await ensureWake(ctx, name, key, room.wakeAt);
      return;
    }
    await ctx.db.delete("flowQueue", head._id);
    await beginQueued(ctx, workflow, now);
  }
  await ctx.scheduler.runAfter(0, internal.flowControl.queue.wake, { name, key });
}

/** One scheduled `wake` of (name, key) at `at`, unless one is already due no later. */
async function ensureWake(ctx: MutationCtx, name: string, key: string, at: number): Promise<void> {
  const row = await slotRow(ctx, name, key);
  const now = Date.now();
  if (row?.wakeAt !== undefined && row.wakeAt >= now && row.wakeAt <= at) return;
  if (row) await ctx.db.patch("flowSlots", row._id, { wakeAt: at });
  else await ctx.db.insert("flowSlots", { name, key, running: 0, wakeAt: at });
  await ctx.scheduler.runAt(at, internal.flowControl.queue.wake, { name, key, wakeAt: at });
}

/** A rate window freed (or a pump continues): begin what now fits. */
export const wake = internalMutation({
  args: { name: v.string(), key: v.string(), wakeAt: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, args) => {
    if (args.wakeAt !== undefined) {
      const row = await slotRow(ctx, args.name, args.key);
      if (row && row.wakeAt === args.wakeAt) await ctx.db.patch("flowSlots", row._id, { wakeAt: undefined });
    }
    await pump(ctx, args.name, args.key);
    return null;
  },
});
