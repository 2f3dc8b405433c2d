// Retention (SPEC 4.3): finished top-level workflows older than their status's period are
// deleted by one self-scheduling sweep.
//
// - The periods live in the config row (`config.retention`), written by `configure` (the
//   manager's `configureRetention`) or by the first start of a workflow of a manager with a
//   `retention` option (`workflow.create` gets it) whenever they differ from the stored ones.
// - One sweep at a time: the `retentionSweep` row holds the id of the one scheduled sweep;
//   `ensureSweep` schedules one only if that one is not pending or running.
// - Each sweep reads at most RETENTION_BATCH_SIZE due workflows and deletes as many of them as
//   its transaction has room for through cleanup's deletion path (`deleteWhileRoom`: steps,
//   events, tags, nested workflows; one begun but not finished continues in a scheduled
//   function), which also keeps the counts right. Those it had no room for keep their rows,
//   so the next sweep (scheduled at once) finds them: no workflow is deleted by two jobs. It
//   reads the `retention` index: by status, top-level only (no `parent`), by when they
//   finished; so a nested workflow is never deleted on its own, only with its (finished)
//   parent. It also deletes the `webhooks` rows of the workflow and of its nested ones (cleanup
//   keeps them so a late call gets 410; after retention it gets 404), as part of the same
//   bounded deletion.
// - A full batch schedules the next sweep now; otherwise the next one runs when the oldest
//   finished top-level workflow left becomes due. None left (or no periods): the sweep stops,
//   and the next workflow to finish with a period schedules it (`noteFinished`, completion.ts).
import { getConvexSize, v } from "convex/values";
import { RETENTION_BATCH_READ_BYTES, RETENTION_BATCH_SIZE } from "../shared/limits.js";
import { checkRetention } from "../shared/validateOptions.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx, query } from "./_generated/server.js";
import { deleteWhileRoom } from "./cleanup.js";
import { getConfig, updateConfigRow } from "./config.js";

export const vRetention = v.object({
  completed: v.optional(v.number()),
  failed: v.optional(v.number()),
  canceled: v.optional(v.number()),
});
export type Retention = typeof vRetention.type;
const STATUSES = ["completed", "failed", "canceled"] as const;

function sameRetention(a: Retention | undefined, b: Retention | undefined): boolean {
  return STATUSES.every((s) => a?.[s] === b?.[s]);
}

/** Store the periods (if they changed) and make sure a sweep is scheduled while any is set. */
export async function configureRetention(
  ctx: MutationCtx,
  retention: Retention,
  { always = false }: { always?: boolean } = {},
): Promise<void> {
  const checked = checkRetention("retention", retention) ?? {};
  const config = await getConfig(ctx);
  const changed = !sameRetention(config?.retention, checked);
  if (changed) await updateConfigRow(ctx, { retention: checked });
  // The sweep works out when it is next needed.
  if ((changed || always) && hasPeriods(checked)) await ensureSweep(ctx, Date.now());
}

/**
 * A workflow finished (completion.ts): with a period for its status, make sure a sweep runs by
 * the time it is due. Top-level only. Costs the config row (read anyway) and, with retention
 * on, the guard row and its scheduled function.
 */
export async function noteFinished(
  ctx: MutationCtx,
  workflow: Pick<Doc<"workflows">, "parent">,
  status: string,
  finishedAt: number,
): Promise<void> {
  if (workflow.parent) return;
  const retention = (await getConfig(ctx))?.retention;
  if (!retention) return;
  if (status !== "completed" && status !== "failed" && status !== "canceled") return;
  const period = retention[status];
  if (period === undefined) return;
  await ensureSweep(ctx, finishedAt + period);
}

const hasPeriods = (retention: Retention) => STATUSES.some((s) => retention[s] !== undefined);

/**
 * Make sure the one sweep runs by `at`: keep a pending sweep due by then, else (re)schedule it
 * (the `retentionSweep` row guards it: one scheduled at a time).
 */
async function ensureSweep(ctx: MutationCtx, at: number): Promise<void> {
  const row = await ctx.db.query("retentionSweep").first();
  if (row?.scheduledId) {
    const scheduled = await ctx.db.system.get("_scheduled_functions", row.scheduledId);
    const kind = scheduled?.state.kind;
    if (kind === "inProgress") return; // it schedules the next one itself
    if (kind === "pending") {
      if (row.nextAt <= at) return;
      await ctx.scheduler.cancel(row.scheduledId);
    }
  }
  await scheduleSweep(ctx, row, at);
}

async function scheduleSweep(
  ctx: MutationCtx,
  row: Doc<"retentionSweep"> | null,
  at: number,
  patch: Partial<Doc<"retentionSweep">> = {},
): Promise<void> {
  const scheduledId = await ctx.scheduler.runAt(at, internal.retention.sweep, {});
  if (row) await ctx.db.patch("retentionSweep", row._id, { ...patch, scheduledId, nextAt: at });
  else await ctx.db.insert("retentionSweep", { deleted: 0, ...patch, scheduledId, nextAt: at });
}

/** Set (or clear, with `{}`) the retention periods, in ms per finished status. */
export const configure = mutation({
  args: { retention: vRetention },
  returns: v.null(),
  handler: async (ctx, { retention }) => {
    await configureRetention(ctx, retention, { always: true });
    return null;
  },
});

/** The periods in force and the sweep's state. */
export const retentionStatus = query({
  args: {},
  returns: v.object({
    retention: vRetention,
    nextSweepAt: v.optional(v.number()),
    lastSweptAt: v.optional(v.number()),
    deleted: v.number(),
  }),
  handler: async (ctx) => {
    const config = await getConfig(ctx);
    const row = await ctx.db.query("retentionSweep").first();
    return {
      retention: config?.retention ?? {},
      ...(row?.scheduledId ? { nextSweepAt: row.nextAt } : {}),
      ...(row?.lastSweptAt !== undefined ? { lastSweptAt: row.lastSweptAt } : {}),
      deleted: row?.deleted ?? 0,
    };
  },
});

/** The sweep: delete what is due (a batch at most), then schedule the next one if needed. */
export const sweep = internalMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    const row = await ctx.db.query("retentionSweep").first();
    const retention = (await getConfig(ctx))?.retention ?? {};
    const now = Date.now();
    // A batch: at most RETENTION_BATCH_SIZE workflows and about RETENTION_BATCH_READ_BYTES of
    // them, read first (oldest finish first), then deleted. Each is charged twice (its deletion
    // reads it again), so a batch is about what the deletion's budget takes and few of the
    // workflows read here are left for the next sweep to read again.
    const due: Doc<"workflows">[] = [];
    let bytes = 0;
    let full = false;
    for (const status of STATUSES) {
      const period = retention[status];
      if (period === undefined) continue;
      for await (const workflow of finishedTopLevel(ctx, status, now - period)) {
        if (due.length >= RETENTION_BATCH_SIZE || bytes >= RETENTION_BATCH_READ_BYTES) {
          full = true;
          break;
        }
        bytes += 2 * getConvexSize(workflow);
        due.push(workflow);
      }
      if (full) break;
    }
    // What this transaction has no room to delete stays due: the next sweep, scheduled at once
    // as for a full batch, finds it again.
    const deleted = await deleteWhileRoom(
      ctx,
      due.map((w) => w._id),
      "retention",
    );
    if (deleted < due.length) full = true;
    const patch = { lastSweptAt: now, deleted: (row?.deleted ?? 0) + deleted };
    // Next: now if the batch was full, else when the oldest finished workflow left becomes due;
    // none left: no sweep until one finishes (noteFinished).
    let next: number | null = full ? now : null;
    if (next === null) {
      for (const status of STATUSES) {
        const period = retention[status];
        if (period === undefined) continue;
        const oldest = await finishedTopLevel(ctx, status).first();
        if (oldest?.finishedAt !== undefined) {
          next = Math.min(next ?? Infinity, Math.max(now, oldest.finishedAt + period));
        }
      }
    }
    if (next !== null) await scheduleSweep(ctx, row, next, patch);
    else if (row) await ctx.db.patch("retentionSweep", row._id, { ...patch, scheduledId: undefined });
    else await ctx.db.insert("retentionSweep", { ...patch, nextAt: now });
    return null;
  },
});

/** Finished top-level workflows of a status, oldest finish first (finished by `before`, if given). */
function finishedTopLevel(ctx: MutationCtx, status: (typeof STATUSES)[number], before?: number) {
  return ctx.db.query("workflows").withIndex("retention", (q) => {
    const range = q.eq("status", status).eq("parent.workflowId", undefined);
    return before === undefined ? range : range.lte("finishedAt", before);
  });
}
