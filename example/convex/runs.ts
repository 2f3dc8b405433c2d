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
import { vRunKind, vRunStatus } from "./schema.js";

const MAX_BATCH_ITEMS = 50;

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
  // startAsync: the first poll is scheduled, so the owner row below is always written
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
  handler: async (ctx, { audioUrl }): Promise<WorkflowId> =>
    startOwned(ctx, "transcription", audioUrl, (opts) =>
      workflow.start(ctx, internal.transcription.transcribe, { audioUrl }, opts),
    ),
});

export const startOrder = mutation({
  args: { sku: v.string(), quantity: v.number(), card: v.string() },
  returns: vWorkflowId,
  handler: async (ctx, args): Promise<WorkflowId> => {
    if (!Number.isInteger(args.quantity) || args.quantity < 1) throw new Error("quantity must be a positive integer");
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
      error: status.type === "failed" ? status.error : undefined,
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
