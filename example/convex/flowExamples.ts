// Flow control by example (docs/flow-control.md): one running import per user, an enrichment
// against a 10-per-second API, a debounced reindex on every edit, and a webhook receiver that
// uses the provider's event id as the idempotency key.
import { v } from "convex/values";
import { WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";

export const workflow = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "ERROR" } });

/** A stand-in for the real work of each example: one `effects` row. */
export const work = internalMutation({
  args: { key: v.string(), value: v.any() },
  returns: v.null(),
  handler: async (ctx, { key, value }) => {
    await ctx.db.insert("effects", { key, value });
    return null;
  },
});

/** One running import per user: a user's second import waits queued until the first ends. */
export const importCsv = workflow.define({
  args: { userId: v.string(), fileId: v.string() },
  concurrency: { limit: 1, key: (args) => args.userId },
  handler: async (step, args): Promise<void> => {
    await step.runMutation(internal.flowExamples.work, { key: `import:${args.userId}`, value: args.fileId });
  },
});

/** An enrichment API that allows 10 calls a second: at most 10 workflows begin in any second. */
export const enrichContact = workflow.define({
  args: { contactId: v.string() },
  rateLimit: { count: 10, periodMs: 1_000 },
  handler: async (step, args): Promise<void> => {
    await step.runMutation(internal.flowExamples.work, { key: "enrich", value: args.contactId });
  },
});

/** Reindex a document after edits settle: 2 s after the last edit, at most 30 s after the first. */
export const reindexDocument = workflow.define({
  args: { documentId: v.string(), revision: v.number() },
  debounce: { delayMs: 2_000, maxDelayMs: 30_000, key: (args) => args.documentId },
  handler: async (step, args): Promise<void> => {
    await step.runMutation(internal.flowExamples.work, { key: `reindex:${args.documentId}`, value: args.revision });
  },
});

export const handlePayment = workflow.define({
  args: { eventId: v.string(), amount: v.number() },
  handler: async (step, args): Promise<void> => {
    await step.runMutation(internal.flowExamples.work, { key: "payment", value: args });
  },
});

/**
 * A webhook receiver: providers deliver an event more than once, so the provider's event id is
 * the idempotency key. Every delivery of one event returns the same workflow.
 */
export const receivePaymentWebhook = internalMutation({
  args: { eventId: v.string(), amount: v.number() },
  returns: v.string(),
  handler: async (ctx, args): Promise<string> => {
    return await workflow.start(ctx, internal.flowExamples.handlePayment, args, { idempotencyKey: args.eventId });
  },
});
