// The journal: the ordered steps a workflow has asked for, with their results. A replay
// loads it to run the handler against it, and appends the next batch of steps with `startSteps`.
import { getConvexSize, v } from "convex/values";
import { MAX_JOURNAL_SIZE } from "../shared/limits.js";
import { journalSizeError } from "../shared/errors.js";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, type MutationCtx, query } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { describeStatus } from "./model.js";
import { isOrphaned } from "./cancel.js";
import { completeWorkflow } from "./completion.js";
import { logLevel } from "../shared/logging.js";
import { hasStepsInFlight } from "./readiness.js";
import { type StepBatch, startStep } from "./stepWork.js";
import { journalDocument, type JournalEntry, type StepEntry, workflowDocument } from "./schema.js";
import {
  type StepRequest,
  vJournalEntry,
  vStepRequest,
  vWorkpoolOptions,
  type WorkpoolOptionsArg,
} from "../shared/protocol.js";
import { checkStepRequests } from "../shared/validateOptions.js";

/**
 * - `ready`: nothing in flight; replay with `journal`.
 * - `blocked`: a step is still running; the replay should do nothing.
 * - `stale`: the replay's generation is not the workflow's (it was canceled or restarted).
 * - `finished`: the workflow already has a result.
 * - `tooLarge`: the journal exceeds the size limit; the replay should fail the workflow.
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
    // A step in flight (a duplicate or early replay): its result brings the workflow back.
    // Flow control: a queued workflow waits for its begin (a stray or redelivered replay must not run it).
    // A restart or continue-as-new still deleting the old journal (`resetting`): its end replays.
    if (workflow.queued || workflow.resetting || (await hasStepsInFlight(ctx, workflowId))) {
      return { ...base, state: "blocked" as const };
    }
    // Paused (pause.ts): `resume` brings it back.
    if (workflow.paused) return { ...base, state: "blocked" as const };
    const journal: JournalEntry[] = [];
    let size = 0;
    for await (const entry of ctx.db.query("steps").withIndex("workflow", (q) => q.eq("workflowId", workflowId))) {
      size += getConvexSize(entry);
      if (size > MAX_JOURNAL_SIZE) {
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
  // The entries as written (no `_creationTime`: they are not read back).
  returns: v.array(vJournalEntry),
  handler: async (ctx, args): Promise<StepEntry[]> => {
    const workflow = await ctx.db.get("workflows", args.workflowId);
    if (!workflow) throw new Error(`Workflow not found: ${args.workflowId}`);
    if (workflow.generationNumber !== args.generationNumber) {
      throw new Error(
        `Invalid generation number: ${args.generationNumber} for workflow ${workflow.name} (${workflow._id}), which is at ${workflow.generationNumber}`,
      );
    }
    if (workflow.runResult)
      throw new Error(`Workflow not running: ${workflow._id} already ${describeStatus(workflow)}`);
    return await journalSteps(ctx, workflow, args.steps, args.workpoolOptions, await nextStepNumber(ctx, workflow));
  },
});

/**
 * Append a batch of steps to a running workflow's journal, numbered from `firstNumber` (the
 * caller read the journal's end), and start the work behind each (stepWork.ts). Returns the
 * entries as written.
 *
 * A nested workflow whose parent was canceled (or restarted) before the cancel's cascade
 * reached it starts nothing: its steps are journaled unstarted and it is canceled here, in
 * this transaction (the caller sees it finished; the returned entries are still in progress,
 * so a replay stops, blocked).
 */
export async function journalSteps(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  steps: StepRequest[],
  workpoolOptions: WorkpoolOptionsArg | undefined,
  firstNumber: number,
): Promise<StepEntry[]> {
  checkStepRequests(steps, workpoolOptions, Date.now());
  const console = await getLogger(ctx);
  const entries: StepEntry[] = [];
  if (await isOrphaned(ctx, workflow)) {
    for (const [index, request] of steps.entries()) {
      const fields = { workflowId: workflow._id, stepNumber: firstNumber + index };
      const step = { ...request.step, inProgress: true, runResult: undefined };
      entries.push({ _id: await ctx.db.insert("steps", { ...fields, step }), ...fields, step });
    }
    await completeWorkflow(ctx, workflow, { kind: "canceled" });
    return entries;
  }
  const batch: StepBatch = { workflow, workpoolOptions };
  // Sequential on purpose: step numbers and event matching must follow request order.
  for (const [index, request] of steps.entries()) {
    const stepNumber = firstNumber + index;
    console.event("started", {
      workflowId: workflow._id,
      workflowName: workflow.name,
      stepName: request.step.name,
      stepNumber,
    });
    entries.push(await startStep(ctx, batch, request, stepNumber));
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
