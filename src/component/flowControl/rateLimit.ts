// Flow control: sliding-window rate limits. One row per (workflow name, rate-limit key) in
// `flowRateWindow` holds the begin times still inside the window (at most `count` of them).
import type { MutationCtx, QueryCtx } from "../_generated/server.js";
import { rateWindow } from "./gates.js";

type RateLimit = { count: number; periodMs: number; key: string };

async function windowRow(ctx: QueryCtx, name: string, key: string) {
  return await ctx.db
    .query("flowRateWindow")
    .withIndex("by_name_key", (q) => q.eq("name", name).eq("key", key))
    .unique();
}

/** Whether one more begin fits the window now; if not, when it will. */
export async function rateRoom(
  ctx: QueryCtx,
  name: string,
  rateLimit: RateLimit,
  now: number,
): Promise<{ room: boolean; freeAt: number | null }> {
  const row = await windowRow(ctx, name, rateLimit.key);
  const { room, freeAt } = rateWindow(row?.begins ?? [], now, rateLimit.count, rateLimit.periodMs);
  return { room, freeAt };
}

/** Count a begin at `now` in the window (dropping times that left it). */
export async function recordBegin(ctx: MutationCtx, name: string, rateLimit: RateLimit, now: number): Promise<void> {
  const row = await windowRow(ctx, name, rateLimit.key);
  const { inWindow } = rateWindow(row?.begins ?? [], now, rateLimit.count, rateLimit.periodMs);
  // At most `count` kept: older ones cannot decide a later begin.
  const begins = [...inWindow, now].slice(-rateLimit.count);
  if (row) await ctx.db.patch("flowRateWindow", row._id, { begins });
  else await ctx.db.insert("flowRateWindow", { name, key: rateLimit.key, begins });
}
