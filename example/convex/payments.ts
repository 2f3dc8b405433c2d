// Waiting for a payment with `step.waitUntil` + `workflow.notify`.
//
//   openInvoice ──▶ waitUntil(amountPaid) ─ paid in full ──▶ closeInvoice("paid")    → "paid"
//                                         └ deadline ─────▶ closeInvoice("expired") → "expired"
//
// The condition is an ordinary query over the app's own tables, so the workflow waits for a
// *state* (the invoice is paid in full, however many payments that took) rather than for a
// message. The mutation that records a payment calls `workflow.notify`, so the condition is
// re-checked at once; without it the component still re-checks on its back-off (1 s,
// doubling to at most 30 min by default), so a payment written by some other path is noticed
// within the back-off interval at worst. The wait is one journal entry however many checks.
import { type Infer, v } from "convex/values";
import { isTimeoutError, vWorkflowId, type WorkflowId, WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery, type MutationCtx, type QueryCtx } from "./_generated/server.js";

const workflow = new WorkflowManager(components.workflow, {
  workpoolOptions: { logLevel: "WARN" },
});

/** How long an invoice stays open by default: one week. */
export const DEFAULT_PAYMENT_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;

export const vPaymentOutcome = v.union(
  v.object({ status: v.literal("paid"), paidCents: v.number() }),
  v.object({ status: v.literal("expired") }),
);
type PaymentOutcome = Infer<typeof vPaymentOutcome>;

export const awaitPayment = workflow.define({
  args: {
    orderId: v.string(),
    amountCents: v.number(),
    /** Give up after this long. Default one week; pass 0 to wait forever. */
    timeoutMs: v.optional(v.number()),
    pollIntervalMs: v.optional(v.number()),
    maxPollIntervalMs: v.optional(v.number()),
  },
  returns: vPaymentOutcome,
  handler: async (step, args): Promise<PaymentOutcome> => {
    const { orderId, amountCents } = args;
    await step.runMutation(internal.payments.openInvoice, {
      orderId,
      amountCents,
      workflowId: step.workflowId,
    });
    const timeout = args.timeoutMs ?? DEFAULT_PAYMENT_TIMEOUT_MS;
    try {
      const { paidCents } = await step.waitUntil(
        internal.payments.amountPaid,
        { orderId, amountCents },
        {
          name: "payment",
          timeout: timeout === 0 ? undefined : timeout,
          pollInterval: args.pollIntervalMs,
          maxPollInterval: args.maxPollIntervalMs,
        },
      );
      await step.runMutation(internal.payments.closeInvoice, {
        orderId,
        status: "paid",
      });
      return { status: "paid", paidCents };
    } catch (error) {
      if (!isTimeoutError(error)) throw error;
      await step.runMutation(internal.payments.closeInvoice, {
        orderId,
        status: "expired",
      });
      return { status: "expired" };
    }
  },
});

async function invoiceOf(ctx: QueryCtx | MutationCtx, orderId: string) {
  return await ctx.db
    .query("invoices")
    .withIndex("orderId", (q) => q.eq("orderId", orderId))
    .unique();
}

/** Step: the order now owes `amountCents`. */
export const openInvoice = internalMutation({
  args: {
    orderId: v.string(),
    amountCents: v.number(),
    workflowId: vWorkflowId,
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    if ((await invoiceOf(ctx, args.orderId)) !== null) throw new Error(`Order ${args.orderId} already has an invoice`);
    await ctx.db.insert("invoices", { ...args, status: "open" });
    return null;
  },
});

/** Step: the wait ended. */
export const closeInvoice = internalMutation({
  args: {
    orderId: v.string(),
    status: v.union(v.literal("paid"), v.literal("expired")),
  },
  returns: v.null(),
  handler: async (ctx, { orderId, status }) => {
    const invoice = await invoiceOf(ctx, orderId);
    if (invoice) await ctx.db.patch("invoices", invoice._id, { status });
    return null;
  },
});

/**
 * The condition: what has been paid, once it covers the amount; null until then (null means
 * "not yet" to `waitUntil`). A query, so it is cheap and can't change anything.
 */
export const amountPaid = internalQuery({
  args: { orderId: v.string(), amountCents: v.number() },
  returns: v.union(v.null(), v.object({ paidCents: v.number() })),
  handler: async (ctx, { orderId, amountCents }) => {
    const payments = await ctx.db
      .query("invoicePayments")
      .withIndex("orderId", (q) => q.eq("orderId", orderId))
      .take(1000);
    const paidCents = payments.reduce((sum, p) => sum + p.amountCents, 0);
    return paidCents >= amountCents ? { paidCents } : null;
  },
});

/**
 * Record a payment (as a payment provider's webhook would) and wake the order's wait so
 * the condition is re-checked now rather than on its back-off.
 */
export const recordPayment = internalMutation({
  args: { orderId: v.string(), amountCents: v.number(), reference: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    if (!Number.isInteger(args.amountCents) || args.amountCents <= 0) {
      throw new Error(`amountCents must be a positive integer, got ${args.amountCents}`);
    }
    await ctx.db.insert("invoicePayments", args);
    const invoice = await invoiceOf(ctx, args.orderId);
    if (invoice?.status === "open") await workflow.notify(ctx, invoice.workflowId as WorkflowId);
    return null;
  },
});
