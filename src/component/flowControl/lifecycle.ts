// Flow control's hooks in the workflow lifecycle, one call each from start.ts (a start),
// completion.ts (a run ends), cleanup.ts (a workflow is deleted) and workflow.ts (restart).
// See docs/flow-control.md for the semantics and src/component/README.md for the states.
import { refreshStatus } from "../status.js";
import type { StartFlow } from "../../shared/protocol.js";
import { checkStartFlow } from "../../shared/validateOptions.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import type { MutationCtx } from "../_generated/server.js";
import { recordTransition } from "../stats.js";
import { closeDebounce, joinDebounce, openDebounce } from "./debounce.js";
import { type FlowGates, gateKeyOf } from "./gates.js";
import { dequeue, enqueue, pump, queueHead, roomFor, takeSlot } from "./queue.js";
import { adjustRunning } from "./slots.js";

/**
 * A start that resolves to a workflow that exists: the one started with its idempotency key
 * (until cleanup), or the one whose debounce window is open (which takes these args).
 */
export async function existingStart(
  ctx: MutationCtx,
  name: string,
  flow: StartFlow,
  args: unknown,
): Promise<Id<"workflows"> | null> {
  checkStartFlow(flow);
  const { idempotencyKey } = flow;
  if (idempotencyKey !== undefined) {
    const existing = await ctx.db
      .query("workflows")
      .withIndex("idempotencyKey", (q) => q.eq("name", name).eq("idempotencyKey", idempotencyKey))
      .first();
    if (existing) return existing._id;
  }
  if (flow.debounce) return await joinDebounce(ctx, name, flow.debounce, args, Date.now());
  return null;
}

const gatesOf = (flow: StartFlow): FlowGates | undefined =>
  flow.concurrency || flow.rateLimit
    ? { priority: flow.priority, concurrency: flow.concurrency, rateLimit: flow.rateLimit }
    : undefined;

/**
 * A finished workflow restarted with new args: its gates with the keys computed from them
 * (priority kept). Unchanged (undefined) for a workflow without gates.
 */
export function regate(workflow: Doc<"workflows">, flow: StartFlow | undefined): Doc<"workflows">["flow"] {
  if (!workflow.flow) return undefined;
  return { priority: workflow.flow.priority, concurrency: flow?.concurrency, rateLimit: flow?.rateLimit };
}

/**
 * A new workflow's flow-control fields, and whether it begins now (then its slot is taken
 * here). It does not when it is debounced, or when its gate's queue is not empty or has no room.
 */
export async function admitStart(
  ctx: MutationCtx,
  name: string,
  flow: StartFlow,
): Promise<{ fields: Partial<Doc<"workflows">>; begins: boolean }> {
  const now = Date.now();
  const gates = gatesOf(flow);
  const fields: Partial<Doc<"workflows">> = { idempotencyKey: flow.idempotencyKey, flow: gates };
  const queued = { since: now, priority: flow.priority ?? 0 };
  if (flow.debounce)
    return { fields: { ...fields, queued: { ...queued, debounceKey: flow.debounce.key } }, begins: false };
  const key = gateKeyOf(gates);
  if (key === null) return { fields, begins: true };
  if (!(await queueHead(ctx, name, key)) && (await roomFor(ctx, name, gates!, now)).room) {
    return { fields: { ...fields, flow: await takeSlot(ctx, name, gates!, now) }, begins: true };
  }
  return { fields: { ...fields, queued }, begins: false };
}

/** After inserting a workflow that does not begin now: open its debounce window, or queue it. */
export async function afterQueuedInsert(
  ctx: MutationCtx,
  workflow: Doc<"workflows"> | Omit<Doc<"workflows">, "_creationTime">,
  flow: StartFlow,
) {
  if (flow.debounce) {
    await openDebounce(ctx, workflow, flow.debounce, Date.now());
    return;
  }
  await enqueue(ctx, workflow);
  await pump(ctx, workflow.name ?? "", gateKeyOf(workflow.flow)!);
}

/**
 * A run ends (completed, failed, canceled) or the workflow is deleted: a queued one leaves its
 * queue or debounce window; a running one releases its slot (once: `flow.slot` is cleared) and
 * the next queued workflow of its key begins, here.
 */
export async function releaseFlow(ctx: MutationCtx, workflow: Doc<"workflows">, { deleting = false } = {}) {
  const name = workflow.name ?? "";
  if (workflow.queued) {
    if (workflow.queued.debounceKey !== undefined) await closeDebounce(ctx, workflow, workflow.queued.debounceKey);
    else await dequeue(ctx, workflow._id);
    if (!deleting) await ctx.db.patch("workflows", workflow._id, { queued: undefined });
    return;
  }
  if (!workflow.flow?.slot) return;
  const key = gateKeyOf(workflow.flow)!;
  if (!deleting) await ctx.db.patch("workflows", workflow._id, { flow: { ...workflow.flow, slot: undefined } });
  await adjustRunning(ctx, name, key, -1);
  await pump(ctx, name, key);
}

/**
 * A restarted workflow is about to replay: with flow control it takes a slot first, or waits
 * queued (then false: the pump schedules its replay when it begins).
 */
export async function admitRestart(ctx: MutationCtx, workflow: Doc<"workflows">): Promise<boolean> {
  const gates = workflow.flow;
  const key = gateKeyOf(gates);
  if (key === null || gates?.slot) return true;
  const name = workflow.name ?? "";
  const now = Date.now();
  if (!(await queueHead(ctx, name, key)) && (await roomFor(ctx, name, gates!, now)).room) {
    await ctx.db.patch("workflows", workflow._id, { flow: await takeSlot(ctx, name, gates!, now) });
    return true;
  }
  const queued = { since: now, priority: gates!.priority ?? 0 };
  await ctx.db.patch("workflows", workflow._id, { queued });
  await recordTransition(ctx, workflow, "running", "queued");
  await refreshStatus(ctx, workflow._id);
  await enqueue(ctx, workflow);
  await pump(ctx, name, key);
  return false;
}
