// The journal: the ordered steps a workflow has asked for, with their results. A poll
// loads it to replay the handler, and appends the next batch of steps with `startSteps`.
import { getConvexSize, v } from "convex/values";
import { MAX_JOURNAL_SIZE } from "../shared/limits.js";
import { journalSizeError } from "../shared/errors.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, type MutationCtx, query } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { isOrphaned } from "./cancel.js";
import { completeWorkflow } from "./completion.js";
import { attachEventStep } from "./event.js";
import { logLevel } from "../shared/logging.js";
import { insertWorkflow } from "./model.js";
import { enqueueFunctionStep, getWorkpool } from "./pool.js";
import { scheduleReplay } from "./replay.js";
import { isBatchDone, limitResultSize } from "./results.js";
import { enqueueTask } from "./executor/taskQueue.js";
import { startConditionWait } from "./wait.js";
import { journalDocument, type JournalEntry, workflowDocument } from "./schema.js";
import { type StepRequest, vStepRequest, vWorkpoolOptions } from "../shared/protocol.js";
import { checkStepRequests } from "../shared/validateOptions.js";

/**
 * - `ready`: nothing in flight; replay with `journal`.
 * - `blocked`: a step is still running; the poll should do nothing.
 * - `stale`: the poll's generation is not the workflow's (it was canceled or restarted).
 * - `finished`: the workflow already has a result.
 * - `tooLarge`: the journal exceeds the size limit; the poll should fail the workflow.
 */
const vLoadState = v.union(
  v.literal("ready"),
  v.literal("blocked"),
  v.literal("stale"),
  v.literal("finished"),
  v.literal("tooLarge"),
);

export const load = query({
  args: { workflowId: v.id("workflows"), generationNumber: v.number() },
  returns: v.object({
    state: vLoadState,
    workflow: workflowDocument,
    journal: v.array(journalDocument),
    logLevel,
    error: v.optional(v.string()),
  }),
  handler: async (ctx, { workflowId, generationNumber }) => {
    const workflow = await ctx.db.get("workflows", workflowId);
    if (!workflow) throw new Error(`Workflow not found: ${workflowId}`);
    const { logLevel } = await getLogger(ctx);
    const base = { workflow, logLevel, journal: [] as JournalEntry[] };
    if (workflow.generationNumber !== generationNumber) return { ...base, state: "stale" as const };
    if (workflow.runResult) return { ...base, state: "finished" as const };
    // Polls are scheduled only once nothing is in flight, so the journal is read in the same
    // pass that checks it: a step in flight (a duplicate or early poll) means `blocked`.
    const journal: JournalEntry[] = [];
    let size = 0;
    for await (const entry of ctx.db.query("steps").withIndex("workflow", (q) => q.eq("workflowId", workflowId))) {
      if (entry.step.inProgress) return { ...base, state: "blocked" as const };
      size += getConvexSize(entry);
      if (size > MAX_JOURNAL_SIZE) {
        // Steps in flight come last (the latest batch): ask the index before failing.
        if (!(await isBatchDone(ctx, workflowId))) return { ...base, state: "blocked" as const };
        return { ...base, state: "tooLarge" as const, error: journalSizeError(size, workflowId) };
      }
      journal.push(entry);
    }
    return { ...base, state: "ready" as const, journal };
  },
});

export const startSteps = mutation({
  args: {
    workflowId: v.id("workflows"),
    generationNumber: v.number(),
    steps: v.array(vStepRequest),
    workpoolOptions: v.optional(vWorkpoolOptions),
  },
  returns: v.array(journalDocument),
  handler: async (ctx, args): Promise<JournalEntry[]> => {
    const workflow = await ctx.db.get("workflows", args.workflowId);
    if (!workflow) throw new Error(`Workflow not found: ${args.workflowId}`);
    if (workflow.generationNumber !== args.generationNumber) {
      throw new Error(
        `Invalid generation number: ${args.generationNumber} for workflow ${workflow.name} (${workflow._id}), which is at ${workflow.generationNumber}`,
      );
    }
    if (workflow.runResult) throw new Error(`Workflow not running: ${workflow._id} already ${workflow.runResult.kind}`);
    return await journalSteps(ctx, workflow, args.steps, args.workpoolOptions);
  },
});

/**
 * Append a batch of steps to a running workflow's journal and start the work behind each.
 * `firstNumber`: the next step number, when the caller read the journal in this transaction.
 *
 * A nested workflow whose parent was canceled (or restarted) before the cancel's cascade
 * reached it starts nothing: its steps are journaled unstarted and it is canceled here, in
 * this transaction (the caller sees it finished; the returned entries are still in progress,
 * so a poll stops, blocked).
 */
export async function journalSteps(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  steps: StepRequest[],
  workpoolOptions: typeof vWorkpoolOptions.type | undefined,
  firstNumber?: number,
): Promise<JournalEntry[]> {
  checkStepRequests(steps, workpoolOptions, Date.now());
  const console = await getLogger(ctx);
  firstNumber ??= await nextStepNumber(ctx, workflow);
  if (await isOrphaned(ctx, workflow)) {
    const entries: JournalEntry[] = [];
    for (const [index, request] of steps.entries()) {
      const stepNumber = firstNumber + index;
      const step = { ...request.step, inProgress: true, runResult: undefined };
      const stepId = await ctx.db.insert("steps", { workflowId: workflow._id, stepNumber, step });
      entries.push((await ctx.db.get("steps", stepId))!);
    }
    await completeWorkflow(ctx, workflow, { kind: "canceled" });
    return entries;
  }
  const needsPool = steps.some(
    (r) =>
      (r.step.kind ?? "function") === "function" &&
      !r.step.runResult &&
      !r.task &&
      !("wait" in r.step && r.step.wait),
  );
  const workpool = needsPool ? await getWorkpool(ctx, workpoolOptions) : undefined;
  const entries: JournalEntry[] = [];
  const batch = { first: firstNumber, size: steps.length };
  // Sequential on purpose: step numbers and event matching must follow request order.
  for (const [index, request] of steps.entries()) {
    const stepNumber = firstNumber + index;
    const initial = request.step.runResult
      ? { ...request.step, runResult: limitResultSize(request.step.runResult) }
      : request.step;
    const stepId = await ctx.db.insert("steps", { workflowId: workflow._id, stepNumber, step: initial });
    const entry = (await ctx.db.get("steps", stepId))!;
    console.event("started", { workflowId: workflow._id, workflowName: workflow.name, stepName: request.step.name, stepNumber });
    const step = await dispatchStep(ctx, workflow, entry, request, batch, workpool, workpoolOptions);
    if (step !== entry.step) await ctx.db.patch("steps", stepId, { step });
    entries.push({ ...entry, step });
  }
  return entries;
}

async function nextStepNumber(ctx: MutationCtx, workflow: Doc<"workflows">): Promise<number> {
  const last = await ctx.db
    .query("steps")
    .withIndex("workflow", (q) => q.eq("workflowId", workflow._id))
    .order("desc")
    .first();
  return last ? last.stepNumber + 1 : 0;
}

function runAtOf(options: { runAt?: number; runAfter?: number } | undefined): number | undefined {
  if (options?.runAt !== undefined) return options.runAt;
  if (options?.runAfter !== undefined) return Date.now() + options.runAfter;
  return undefined;
}

/** Start the work behind one freshly journaled step; returns the step as it should be stored. */
async function dispatchStep(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  entry: Doc<"steps">,
  request: StepRequest,
  batch: { first: number; size: number },
  workpool: Awaited<ReturnType<typeof getWorkpool>> | undefined,
  workpoolOptions: typeof vWorkpoolOptions.type | undefined,
): Promise<Doc<"steps">["step"]> {
  const step = entry.step;
  const runAt = runAtOf(request.schedulerOptions);
  if (step.runResult) return step; // run inline by the poll: nothing to start.
  switch (step.kind) {
    case undefined:
    case "function": {
      if (step.wait) return await startConditionWait(ctx, entry, workflow.generationNumber, request.timeoutMs);
      if (request.task) {
        const taskId = await enqueueTask(ctx, workflow, entry, request.task, {
          retry: request.retry,
          runAt,
          workpoolOptions,
          batch,
        });
        return { ...step, workId: `executor:${taskId}` as typeof step.workId };
      }
      const workId = await enqueueFunctionStep(ctx, workpool!, entry, workflow.generationNumber, {
        retry: request.retry,
        runAt,
      });
      return { ...step, workId };
    }
    case "sleep": {
      const context = { stepId: entry._id, generationNumber: workflow.generationNumber };
      const scheduledId = await ctx.scheduler.runAt(runAt ?? Date.now(), internal.pool.wakeUp, context);
      return { ...step, timerId: scheduledId };
    }
    case "workflow": {
      const child = await insertWorkflow(ctx, {
        name: step.name,
        workflowHandle: step.handle,
        args: step.args,
        generationNumber: 0,
        parent: { workflowId: workflow._id, stepId: entry._id, generationNumber: workflow.generationNumber },
      });
      await scheduleReplay(ctx, child, runAt);
      return { ...step, workflowId: child._id };
    }
    case "event":
      return await attachEventStep(ctx, entry, workflow, request.timeoutMs);
  }
}
