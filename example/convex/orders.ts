// Catching a failed step and compensating (a "saga"):
//
//   reserveStock → chargeCard ─ ok ──→ confirmOrder                    → "confirmed"
//                             └ fails → releaseStock (undo the hold)   → "compensated"
//
// A failed step throws in the handler like any error, so plain try/catch is enough. The
// compensating step is journaled like any other: if the process dies half-way, replay
// resumes at the compensation, never re-charging or re-reserving.
//
// Workflow args and step args are stored in the component's tables and shown by listSteps,
// the timeline and the dashboard. So the order carries the payment provider's token for the
// card (`paymentMethod`, made by the provider's client SDK in the browser), never the card
// number itself.
import { type Infer, v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { internalAction, internalMutation, type MutationCtx } from "./_generated/server.js";
import { workflow } from "./example.js";

/** The payment-method token the fake payment provider always declines. */
export const DECLINED_PAYMENT_METHOD = "pm_card_declined_0002";

/** A provider token such as `pm_1Nv…`: what an order may carry instead of a card number. */
export const PAYMENT_METHOD_PATTERN = /^pm_[A-Za-z0-9_]{1,64}$/;

export const vOrderResult = v.object({
  reservationId: v.id("reservations"),
  status: v.union(v.literal("confirmed"), v.literal("compensated")),
  chargeId: v.optional(v.string()),
  reason: v.optional(v.string()),
});

export const placeOrder = workflow.define({
  args: { sku: v.string(), quantity: v.number(), paymentMethod: v.string() },
  returns: vOrderResult,
  handler: async (step, { sku, quantity, paymentMethod }): Promise<Infer<typeof vOrderResult>> => {
    const { reservationId, amountCents }: { reservationId: Id<"reservations">; amountCents: number } =
      await step.runMutation(internal.orders.reserveStock, {
        workflowId: step.workflowId,
        sku,
        quantity,
      });
    let chargeId: string;
    try {
      // No retries: a declined card will not succeed on a second try.
      chargeId = await step.runAction(internal.orders.chargeCard, { paymentMethod, amountCents }, { retry: false });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await step.runMutation(internal.orders.releaseStock, { reservationId, reason });
      return { reservationId, status: "compensated" as const, reason };
    }
    await step.runMutation(internal.orders.confirmOrder, { reservationId, chargeId });
    return { reservationId, status: "confirmed" as const, chargeId };
  },
});

/** Put stock on the shelf (creates the SKU if needed). */
export const restock = internalMutation({
  args: { sku: v.string(), quantity: v.number(), priceCents: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { sku, quantity, priceCents }) => {
    const row = await ctx.db
      .query("stock")
      .withIndex("sku", (q) => q.eq("sku", sku))
      .unique();
    if (row) await ctx.db.patch("stock", row._id, { available: row.available + quantity });
    else await ctx.db.insert("stock", { sku, available: quantity, priceCents: priceCents ?? 1000 });
    return null;
  },
});

/** Holds `quantity` units; throws (failing the workflow, nothing to undo yet) if there are not enough. */
export const reserveStock = internalMutation({
  args: { workflowId: v.string(), sku: v.string(), quantity: v.number() },
  returns: v.object({ reservationId: v.id("reservations"), amountCents: v.number() }),
  handler: async (ctx, { workflowId, sku, quantity }) => {
    const row = await ctx.db
      .query("stock")
      .withIndex("sku", (q) => q.eq("sku", sku))
      .unique();
    if (!row || row.available < quantity) {
      throw new Error(`Not enough stock for ${sku}: wanted ${quantity}, have ${row?.available ?? 0}`);
    }
    await ctx.db.patch("stock", row._id, { available: row.available - quantity });
    const reservationId = await ctx.db.insert("reservations", { workflowId, sku, quantity, status: "held" });
    return { reservationId, amountCents: quantity * row.priceCents };
  },
});

/** Stand-in for a payment provider: charges the card behind a payment-method token. */
export const chargeCard = internalAction({
  args: { paymentMethod: v.string(), amountCents: v.number() },
  returns: v.string(),
  handler: (_ctx, { paymentMethod, amountCents }) => {
    if (paymentMethod === DECLINED_PAYMENT_METHOD) throw new Error(`Card declined (${amountCents} cents)`);
    return `ch_${paymentMethod.slice(-4)}_${amountCents}`;
  },
});

/** The compensation: give the held units back and mark the reservation released. */
export const releaseStock = internalMutation({
  args: { reservationId: v.id("reservations"), reason: v.string() },
  returns: v.null(),
  handler: async (ctx, { reservationId, reason }) => {
    await release(ctx, reservationId, reason);
    return null;
  },
});

export const confirmOrder = internalMutation({
  args: { reservationId: v.id("reservations"), chargeId: v.string() },
  returns: v.null(),
  handler: async (ctx, { reservationId, chargeId }) => {
    await ctx.db.patch("reservations", reservationId, { status: "confirmed", chargeId });
    return null;
  },
});

async function release(ctx: MutationCtx, reservationId: Id<"reservations">, reason: string) {
  const reservation = await ctx.db.get("reservations", reservationId);
  if (!reservation || reservation.status !== "held") return; // idempotent
  const row = await ctx.db
    .query("stock")
    .withIndex("sku", (q) => q.eq("sku", reservation.sku))
    .unique();
  if (row) await ctx.db.patch("stock", row._id, { available: row.available + reservation.quantity });
  await ctx.db.patch("reservations", reservationId, { status: "released", reason });
}
