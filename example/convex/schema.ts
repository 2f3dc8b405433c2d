import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const vRunKind = v.union(v.literal("transcription"), v.literal("order"), v.literal("batch"));
export const vRunStatus = v.union(
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
  v.literal("canceled"),
);

export default defineSchema({
  /** Side effects of example steps, one row per mutation step run. */
  effects: defineTable({ key: v.string(), workflowId: v.optional(v.string()), value: v.optional(v.any()) }).index(
    "key",
    ["key"],
  ),
  /** What onComplete handlers received. */
  completions: defineTable({ workflowId: v.string(), result: v.any(), context: v.any() }).index("workflowId", [
    "workflowId",
  ]),
  /** Flaky action attempts, to demonstrate retries. */
  attempts: defineTable({ key: v.string(), count: v.number() }).index("key", ["key"]),

  /** Who started each workflow started through the public API (runs.ts), and how it ended. */
  workflowOwners: defineTable({
    workflowId: v.string(),
    owner: v.string(), // the identity's tokenIdentifier
    kind: vRunKind,
    label: v.string(),
    status: vRunStatus,
    finishedAt: v.optional(v.number()),
  })
    .index("workflowId", ["workflowId"])
    .index("owner", ["owner"]),
  /** transcription.ts: saved transcripts. */
  transcripts: defineTable({
    workflowId: v.string(),
    audioUrl: v.string(),
    model: v.string(),
    text: v.string(),
    confidence: v.number(),
  }),
  /** orders.ts: units on the shelf per SKU. */
  stock: defineTable({ sku: v.string(), available: v.number(), priceCents: v.number() }).index("sku", ["sku"]),
  /** orders.ts: stock held by an order; released again if payment fails. */
  reservations: defineTable({
    workflowId: v.string(),
    sku: v.string(),
    quantity: v.number(),
    status: v.union(v.literal("held"), v.literal("confirmed"), v.literal("released")),
    chargeId: v.optional(v.string()),
    reason: v.optional(v.string()),
  }),
  /** batch.ts: one row per item a child workflow processed. */
  enrichedItems: defineTable({ workflowId: v.string(), item: v.string(), score: v.number() }),
  /** approvals.ts: one approval request per workflow, with the event id its approver answers. */
  approvalRequests: defineTable({
    workflowId: v.string(),
    title: v.string(),
    requester: v.string(), // tokenIdentifier
    approver: v.string(), // tokenIdentifier of the only person who may decide
    eventId: v.string(), // made ahead of time with createEvent
    status: v.union(v.literal("pending"), v.literal("approved"), v.literal("rejected"), v.literal("timedOut")),
    comment: v.optional(v.string()),
    decidedAt: v.optional(v.number()),
  })
    .index("workflowId", ["workflowId"])
    .index("approver_status", ["approver", "status"]),
  /** payments.ts: what an order owes, and whether the payment wait ended. */
  invoices: defineTable({
    orderId: v.string(),
    workflowId: v.string(),
    amountCents: v.number(),
    status: v.union(v.literal("open"), v.literal("paid"), v.literal("expired")),
  }).index("orderId", ["orderId"]),
  /** payments.ts: payments as the provider reports them (several may add up to one invoice). */
  invoicePayments: defineTable({ orderId: v.string(), amountCents: v.number(), reference: v.string() }).index(
    "orderId",
    ["orderId"],
  ),
  /** chaosWorkflows.ts: one row per successful run of a chaos mutation step, keyed by (workflow, step key). */
  chaosEffects: defineTable({ workflowId: v.string(), key: v.string() }).index("workflowId_key", ["workflowId", "key"]),
  /** chaosWorkflows.ts: planned faults the chaos step functions consult (key = "<tag>/<step key>"). */
  chaosFaults: defineTable({ key: v.string(), failTimes: v.number() }).index("key", ["key"]),
  /** chaosWorkflows.ts: runs of each chaos action (at-least-once, counted outside any step's transaction). */
  chaosAttempts: defineTable({ key: v.string(), count: v.number() }).index("key", ["key"]),
  /** chaosWorkflows.ts: what the chaos onComplete handler received (rolled back when it throws). */
  chaosCompletions: defineTable({ workflowId: v.string(), result: v.any(), context: v.any() }).index("workflowId", [
    "workflowId",
  ]),
  /** chaosWorkflows.ts: conditions for `waitUntil` steps, set by the chaos runner. */
  chaosFlags: defineTable({ key: v.string() }).index("key", ["key"]),
});
