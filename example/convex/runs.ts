// The app's public API for workflows, and the pattern to copy for securing them.
//
// Workflow mutations (`workflow.define`) are internal, and so are the component's
// functions: a client can never start, cancel or read a workflow directly. These public
// functions are the only door, and each one
//   1. checks who is calling (`ctx.auth.getUserIdentity()`), throwing if nobody is signed in;
//   2. records the caller as the owner of every workflow it starts (table `workflowOwners`);
//   3. lets a caller see or cancel only workflows they own. A workflow owned by someone else
//      is reported exactly like one that doesn't exist, so ids can't be probed.
import type { FunctionReference } from "convex/server";
import { v } from "convex/values";
import { vResultValidator, vWorkflowId, type WorkflowId } from "convex-workflow";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx, query, type QueryCtx } from "./_generated/server.js";
import { workflow } from "./example.js";
import { PAYMENT_METHOD_PATTERN } from "./orders.js";
import { vRunKind, vRunStatus } from "./schema.js";

const MAX_BATCH_ITEMS = 50;
/** Bounds on what a caller may put into workflow args: they are stored, listed and rendered. */
const MAX_LABEL_LENGTH = 200;
const MAX_URL_LENGTH = 2048;
const MAX_ORDER_QUANTITY = 1000;

/**
 * What a user is told when their workflow failed. The raw error can hold stack traces, server
 * paths and other users' data from a shared step, so it stays with operators (dashboard,
 * `workflow.status` from an internal function); the user gets a message and a reference.
 */
const USER_SAFE_ERRORS: Record<Doc<"workflowOwners">["kind"], string> = {
  transcription: "We could not transcribe this audio.",
  order: "We could not place this order.",
  batch: "We could not process this batch.",
};
function userSafeError(kind: Doc<"workflowOwners">["kind"], workflowId: string): string {
  return `${USER_SAFE_ERRORS[kind]} Please try again, or contact support with reference ${workflowId}.`;
}

// ---------------------------------------------------------------------------------------
// Auth helpers

/** The signed-in user's stable id; throws if the caller is not authenticated. */
async function requireUser(ctx: QueryCtx | MutationCtx): Promise<string> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) {
    throw new Error("Not authenticated: sign in to start, cancel or view workflows.");
  }
  return identity.tokenIdentifier;
}

/** The caller's ownership row for `workflowId`; "not found" for missing and foreign ones alike. */
async function requireOwnedRun(ctx: QueryCtx | MutationCtx, workflowId: string): Promise<Doc<"workflowOwners">> {
  const owner = await requireUser(ctx);
  const row = await ctx.db
    .query("workflowOwners")
    .withIndex("workflowId", (q) => q.eq("workflowId", workflowId))
    .unique();
  if (row === null || row.owner !== owner) throw new Error(`Workflow ${workflowId} not found`);
  return row;
}

type StartOptions = {
  onComplete: FunctionReference<"mutation", "internal">;
  context: { kind: Doc<"workflowOwners">["kind"] };
  startAsync: true;
};

/** Start through the manager with our onComplete, and record the owner in the same transaction. */
async function startOwned(
  ctx: MutationCtx,
  kind: Doc<"workflowOwners">["kind"],
  label: string,
  start: (opts: StartOptions) => Promise<WorkflowId>,
): Promise<WorkflowId> {
  const owner = await requireUser(ctx);
  // startAsync: the first replay is scheduled, so the owner row below is always written
  // before any step runs or onComplete can fire.
  const workflowId = await start({ onComplete: internal.runs.recordCompletion, context: { kind }, startAsync: true });
  await ctx.db.insert("workflowOwners", { workflowId, owner, kind, label, status: "running" });
  return workflowId;
}

// ---------------------------------------------------------------------------------------
// Starting workflows

export const startTranscription = mutation({
  args: { audioUrl: v.string() },
  returns: vWorkflowId,
  handler: async (ctx, { audioUrl }): Promise<WorkflowId> => {
    if (audioUrl.length < 1 || audioUrl.length > MAX_URL_LENGTH) {
      throw new Error(`audioUrl must be 1 to ${MAX_URL_LENGTH} characters, got ${audioUrl.length}`);
    }
    return startOwned(ctx, "transcription", audioUrl, (opts) =>
      workflow.start(ctx, internal.transcription.transcribe, { audioUrl }, opts),
    );
  },
});

export const startOrder = mutation({
  args: { sku: v.string(), quantity: v.number(), paymentMethod: v.string() },
  returns: vWorkflowId,
  handler: async (ctx, args): Promise<WorkflowId> => {
    if (!Number.isInteger(args.quantity) || args.quantity < 1 || args.quantity > MAX_ORDER_QUANTITY) {
      throw new Error(`quantity must be an integer from 1 to ${MAX_ORDER_QUANTITY}, got ${args.quantity}`);
    }
    if (args.sku.length < 1 || args.sku.length > MAX_LABEL_LENGTH) {
      throw new Error(`sku must be 1 to ${MAX_LABEL_LENGTH} characters, got ${args.sku.length}`);
    }
    // Workflow args are stored and shown by listSteps and the dashboard: never a card number.
    if (!PAYMENT_METHOD_PATTERN.test(args.paymentMethod)) {
      throw new Error("paymentMethod must be the payment provider's token for the card (pm_…), never a card number");
    }
    return startOwned(ctx, "order", `${args.quantity} × ${args.sku}`, (opts) =>
      workflow.start(ctx, internal.orders.placeOrder, args, opts),
    );
  },
});

export const startBatch = mutation({
  args: { items: v.array(v.string()) },
  returns: vWorkflowId,
  handler: async (ctx, { items }): Promise<WorkflowId> => {
    if (items.length === 0 || items.length > MAX_BATCH_ITEMS) {
      throw new Error(`A batch needs 1 to ${MAX_BATCH_ITEMS} items, got ${items.length}`);
    }
    // Bounded per item too: one user's huge args would otherwise make every list page heavy.
    const long = items.findIndex((item) => item.length < 1 || item.length > MAX_LABEL_LENGTH);
    if (long !== -1) {
      throw new Error(`Batch item ${long} must be 1 to ${MAX_LABEL_LENGTH} characters, got ${items[long].length}`);
    }
    return startOwned(ctx, "batch", `${items.length} items`, (opts) =>
      workflow.start(ctx, internal.batch.processBatch, { items }, opts),
    );
  },
});

// ---------------------------------------------------------------------------------------
// Cancelling and reading

export const cancelRun = mutation({
  args: { workflowId: vWorkflowId },
  returns: v.null(),
  handler: async (ctx, { workflowId }) => {
    const row = await requireOwnedRun(ctx, workflowId);
    if (row.status !== "running") throw new Error(`Workflow ${workflowId} is not running (it is ${row.status})`);
    await workflow.cancel(ctx, workflowId);
    return null;
  },
});

const vRunSummary = v.object({
  workflowId: vWorkflowId,
  kind: vRunKind,
  label: v.string(),
  status: vRunStatus,
  createdAt: v.number(),
});

export const getRun = query({
  args: { workflowId: vWorkflowId },
  returns: v.object({
    ...vRunSummary.fields,
    result: v.optional(v.any()),
    error: v.optional(v.string()),
    steps: v.array(v.object({ name: v.string(), stepNumber: v.number(), done: v.boolean() })),
  }),
  handler: async (ctx, { workflowId }) => {
    const row = await requireOwnedRun(ctx, workflowId);
    const status = await workflow.status(ctx, workflowId);
    const steps = await workflow.listSteps(ctx, workflowId, { paginationOpts: { cursor: null, numItems: 50 } });
    return {
      ...summary(row),
      result: status.type === "completed" ? status.result : undefined,
      error: status.type === "failed" ? userSafeError(row.kind, workflowId) : undefined,
      steps: steps.page.map((s) => ({ name: s.name, stepNumber: s.stepNumber, done: s.runResult !== undefined })),
    };
  },
});

/** The caller's 50 most recent workflows. */
export const listMyRuns = query({
  args: {},
  returns: v.array(vRunSummary),
  handler: async (ctx) => {
    const owner = await requireUser(ctx);
    const rows = await ctx.db
      .query("workflowOwners")
      .withIndex("owner", (q) => q.eq("owner", owner))
      .order("desc")
      .take(50);
    return rows.map(summary);
  },
});

function summary(row: Doc<"workflowOwners">) {
  return {
    workflowId: row.workflowId as WorkflowId,
    kind: row.kind,
    label: row.label,
    status: row.status,
    createdAt: row._creationTime,
  };
}

// ---------------------------------------------------------------------------------------
// onComplete

/**
 * Called exactly once per workflow started above, in the transaction that finishes it
 * (success, failure or cancel): records the result and updates the owner row's status.
 */
export const recordCompletion = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.object({ kind: vRunKind }) },
  returns: v.null(),
  handler: async (ctx, { workflowId, result, context }) => {
    await ctx.db.insert("completions", { workflowId, result, context });
    const row = await ctx.db
      .query("workflowOwners")
      .withIndex("workflowId", (q) => q.eq("workflowId", workflowId))
      .unique();
    if (row) {
      const status = result.kind === "success" ? "completed" : result.kind;
      await ctx.db.patch("workflowOwners", row._id, { status, finishedAt: Date.now() });
    }
    return null;
  },
});
