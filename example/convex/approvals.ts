// A human approval with a deadline: approve, reject, or time out.
//
//   openRequest ──▶ awaitEvent({ id, timeout }) ─ approved ──▶ "approved"
//   (createEvent)                               ├ rejected ──▶ "rejected"
//                                               └ deadline ──▶ expireRequest ──▶ "timedOut"
//
// The event id is made ahead of time (`createEvent`) by the step that opens the request
// and is stored with it, so the approver's mutation sends to exactly that event. Sending by
// id (rather than by name) is what makes a late answer fail loudly: once the deadline has
// passed the event is closed, `sendEvent` throws, and the approver's mutation rolls back
// instead of silently recording a decision nobody will read.
//
// `decide` is public and checks `ctx.auth.getUserIdentity()`: only the approver named when
// the request was made may answer it, and only once.
import { type Infer, v } from "convex/values";
import {
  defineEvent,
  type EventId,
  isTimeoutError,
  vEventId,
  vWorkflowId,
  type WorkflowId,
  WorkflowManager,
} from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx, query, type QueryCtx } from "./_generated/server.js";

const workflow = new WorkflowManager(components.workflow, {
  workpoolOptions: { logLevel: "WARN" },
});

/** How long an approver has by default: three days. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 3 * 24 * 60 * 60 * 1000;
/** The longest deadline a requester may set: 30 days. */
export const MAX_APPROVAL_TIMEOUT_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_TITLE_LENGTH = 200;

/** Shared by the waiting workflow and the sending mutation: the name and the value's shape. */
export const approvalEvent = defineEvent({
  name: "approval",
  validator: v.object({
    approved: v.boolean(),
    comment: v.optional(v.string()),
  }),
});

export const vApprovalOutcome = v.union(
  v.object({ outcome: v.literal("approved"), comment: v.optional(v.string()) }),
  v.object({ outcome: v.literal("rejected"), comment: v.optional(v.string()) }),
  v.object({ outcome: v.literal("timedOut") }),
);
type ApprovalOutcome = Infer<typeof vApprovalOutcome>;

export const approvalWorkflow = workflow.define({
  args: {
    title: v.string(),
    requester: v.string(),
    approver: v.string(),
    timeoutMs: v.optional(v.number()),
  },
  returns: vApprovalOutcome,
  handler: async (step, args): Promise<ApprovalOutcome> => {
    const eventId: EventId<"approval"> = await step.runMutation(internal.approvals.openRequest, {
      workflowId: step.workflowId,
      title: args.title,
      requester: args.requester,
      approver: args.approver,
    });
    let decision: Infer<typeof approvalEvent.validator>;
    try {
      decision = await step.awaitEvent({
        ...approvalEvent,
        id: eventId,
        timeout: args.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
      });
    } catch (error) {
      if (!isTimeoutError(error)) throw error;
      await step.runMutation(internal.approvals.expireRequest, {
        workflowId: step.workflowId,
      });
      return { outcome: "timedOut" };
    }
    return {
      outcome: decision.approved ? "approved" : "rejected",
      comment: decision.comment,
    };
  },
});

/** Step: record the request and make the event its approver will send. */
export const openRequest = internalMutation({
  args: {
    workflowId: vWorkflowId,
    title: v.string(),
    requester: v.string(),
    approver: v.string(),
  },
  returns: vEventId("approval"),
  handler: async (ctx, args) => {
    const eventId = await workflow.createEvent(ctx, {
      name: approvalEvent.name,
      workflowId: args.workflowId,
    });
    await ctx.db.insert("approvalRequests", {
      ...args,
      eventId,
      status: "pending",
    });
    return eventId;
  },
});

/** Step: the deadline passed with no decision. */
export const expireRequest = internalMutation({
  args: { workflowId: vWorkflowId },
  returns: v.null(),
  handler: async (ctx, { workflowId }) => {
    const request = await requestOf(ctx, workflowId);
    if (request?.status === "pending") await ctx.db.patch("approvalRequests", request._id, { status: "timedOut" });
    return null;
  },
});

async function requestOf(ctx: QueryCtx | MutationCtx, workflowId: string): Promise<Doc<"approvalRequests"> | null> {
  return await ctx.db
    .query("approvalRequests")
    .withIndex("workflowId", (q) => q.eq("workflowId", workflowId))
    .unique();
}

async function requireUser(ctx: QueryCtx | MutationCtx): Promise<string> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) throw new Error("Not authenticated: sign in to request or decide approvals.");
  return identity.tokenIdentifier;
}

// ---------------------------------------------------------------------------------------
// Public API

/** Ask `approver` (a tokenIdentifier) to approve something; the caller is the requester. */
export const requestApproval = mutation({
  args: {
    title: v.string(),
    approver: v.string(),
    timeoutMs: v.optional(v.number()),
  },
  returns: vWorkflowId,
  handler: async (ctx, args): Promise<WorkflowId> => {
    const requester = await requireUser(ctx);
    // Check every caller-supplied value before anything is stored: NaN, Infinity and
    // fractions would otherwise reach the workflow's deadline.
    const { timeoutMs } = args;
    if (
      timeoutMs !== undefined &&
      !(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_APPROVAL_TIMEOUT_MS)
    ) {
      throw new Error(`timeoutMs must be an integer from 1 to ${MAX_APPROVAL_TIMEOUT_MS} (30 days), got ${timeoutMs}`);
    }
    if (args.title.length < 1 || args.title.length > MAX_TITLE_LENGTH) {
      throw new Error(`title must be 1 to ${MAX_TITLE_LENGTH} characters, got ${args.title.length}`);
    }
    return await workflow.start(ctx, internal.approvals.approvalWorkflow, {
      ...args,
      requester,
    });
  },
});

/** Approve or reject. Only the request's approver may, once, and only before the deadline. */
export const decide = mutation({
  args: {
    workflowId: vWorkflowId,
    approved: v.boolean(),
    comment: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, { workflowId, approved, comment }) => {
    const caller = await requireUser(ctx);
    const request = await requestOf(ctx, workflowId);
    // A request for someone else is reported like a missing one, so ids can't be probed.
    if (request === null || request.approver !== caller) throw new Error(`Approval request ${workflowId} not found`);
    if (request.status !== "pending") {
      throw new Error(`Approval request ${workflowId} is already ${request.status}`);
    }
    // The workflow may have ended without a decision (canceled by its requester, or failed):
    // an event sent now would be stored and never read, so refuse before writing anything.
    const status = await workflow.status(ctx, workflowId);
    if (status.type !== "inProgress") {
      throw new Error(`Approval request ${workflowId} is closed: its workflow is ${status.type}`);
    }
    // By id: if the deadline already passed, this throws and nothing below is written.
    await workflow.sendEvent(ctx, {
      ...approvalEvent,
      id: request.eventId as EventId<"approval">,
      value: comment === undefined ? { approved } : { approved, comment },
    });
    await ctx.db.patch("approvalRequests", request._id, {
      status: approved ? "approved" : "rejected",
      comment,
      decidedAt: Date.now(),
    });
    return null;
  },
});

const vRequest = v.object({
  workflowId: vWorkflowId,
  title: v.string(),
  requester: v.string(),
  status: v.union(v.literal("pending"), v.literal("approved"), v.literal("rejected"), v.literal("timedOut")),
  comment: v.optional(v.string()),
});

/** The caller's requests waiting for their decision. */
export const myPendingApprovals = query({
  args: {},
  returns: v.array(vRequest),
  handler: async (ctx) => {
    const caller = await requireUser(ctx);
    const rows = await ctx.db
      .query("approvalRequests")
      .withIndex("approver_status", (q) => q.eq("approver", caller).eq("status", "pending"))
      .take(100);
    return rows.map((r) => ({
      workflowId: r.workflowId as Infer<typeof vWorkflowId>,
      title: r.title,
      requester: r.requester,
      status: r.status,
      comment: r.comment,
    }));
  },
});
