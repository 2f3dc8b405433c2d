// Executor mode's replays. Instead of one scheduled poll per workflow per batch, the
// workflows whose batches completed in one flush are replayed together: grouped by workflow
// definition, each group is ONE call of the app's workflow mutation with the journals as
// arguments, which returns the steps each workflow asks for next (or its result); they are
// journaled here, in the same transaction. A group runs as a sub-transaction: if anything in
// it throws, it is rolled back and its workflows are polled one by one instead (each isolated,
// see runPoll), so one workflow's failure never rolls back another's progress.
import type { RunResult } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { getConvexSize, v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { completeWorkflow } from "./completion.js";
import { getLogger } from "./config.js";
import { journalSteps, type vStepRequest } from "./journal.js";
import { runPoll, scheduleReplay } from "./replay.js";
import { isBatchDone } from "./results.js";

/** Workflows replayed per coordinator transaction. */
export const REPLAYS_PER_TRANSACTION = 25;
/** Journals passed to one batched replay call at most (larger ones are polled alone). */
const MAX_BATCH_JOURNAL_BYTES = 1 << 20;

/** Durably schedule replays of these workflows, in bounded groups. */
export async function scheduleReplays(ctx: MutationCtx, workflowIds: Id<"workflows">[]): Promise<void> {
  const unique = [...new Set(workflowIds)];
  for (let i = 0; i < unique.length; i += REPLAYS_PER_TRANSACTION) {
    await ctx.scheduler.runAfter(0, internal.coordinator.replayBatch, {
      workflowIds: unique.slice(i, i + REPLAYS_PER_TRANSACTION),
    });
  }
}

/** The workflow, if it is running with no step in flight. */
export async function readyWorkflow(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<Doc<"workflows"> | null> {
  const workflow = await ctx.db.get("workflows", workflowId);
  if (!workflow || workflow.runResult || !(await isBatchDone(ctx, workflowId))) return null;
  return workflow;
}

async function runningWorkflow(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<Doc<"workflows"> | null> {
  const workflow = await ctx.db.get("workflows", workflowId);
  return workflow && !workflow.runResult ? workflow : null;
}

/** Poll each workflow that is running with no step in flight, one at a time. */
async function replayReady(ctx: MutationCtx, workflowIds: Id<"workflows">[]): Promise<number> {
  let polled = 0;
  for (const workflowId of workflowIds) {
    const workflow = await readyWorkflow(ctx, workflowId);
    if (!workflow) continue;
    await runPoll(ctx, workflow);
    polled++;
  }
  return polled;
}

export const replayBatch = internalMutation({
  args: { workflowIds: v.array(v.id("workflows")) },
  returns: v.number(),
  handler: async (ctx, args) => {
    const now = args.workflowIds.slice(0, REPLAYS_PER_TRANSACTION);
    const later = args.workflowIds.slice(REPLAYS_PER_TRANSACTION);
    if (later.length > 0) await scheduleReplays(ctx, later);
    // Grouped by definition here; whether each is ready (nothing in flight) is decided by
    // replayGroup from the journal it loads anyway.
    const groups = new Map<string, Id<"workflows">[]>();
    for (const workflowId of now) {
      const workflow = await runningWorkflow(ctx, workflowId);
      if (!workflow) continue;
      groups.set(workflow.workflowHandle, [...(groups.get(workflow.workflowHandle) ?? []), workflow._id]);
    }
    let replayed = 0;
    for (const ids of groups.values()) {
      try {
        replayed += await ctx.runMutation(internal.coordinator.replayGroup, { workflowIds: ids });
      } catch (error) {
        const console = await getLogger(ctx);
        console.warn(`Batched replay of ${ids.length} workflows failed; polling them one by one:`, String(error));
        replayed += await replayReady(ctx, ids);
      }
    }
    return replayed;
  },
});

type BatchResult = {
  workflowId: string;
  runResult?: RunResult;
  steps: (typeof vStepRequest.type)[];
  workpoolOptions?: Parameters<typeof journalSteps>[3];
};

/** One batched replay of workflows of one definition. Throws (and is rolled back) on any error. */
export const replayGroup = internalMutation({
  args: { workflowIds: v.array(v.id("workflows")) },
  returns: v.number(),
  handler: async (ctx, args) => {
    const items = [];
    /** Per workflow replayed: the generation it was replayed in and its next step number. */
    const loaded = new Map<string, { generationNumber: number; nextStepNumber: number }>();
    const alone: Doc<"workflows">[] = [];
    let bytes = 0;
    let handle: string | undefined;
    for (const workflowId of args.workflowIds) {
      const workflow = await runningWorkflow(ctx, workflowId);
      if (!workflow) continue;
      const journal = await ctx.db
        .query("steps")
        .withIndex("workflow", (q) => q.eq("workflowId", workflowId))
        .collect();
      // A step still in flight: its result will bring the workflow back here.
      if (journal.some((entry) => entry.step.inProgress)) continue;
      handle ??= workflow.workflowHandle;
      const size = getConvexSize(journal);
      if (workflow.workflowHandle !== handle || bytes + size > MAX_BATCH_JOURNAL_BYTES) {
        alone.push(workflow);
        continue;
      }
      bytes += size;
      const nextStepNumber = journal.length > 0 ? journal[journal.length - 1].stepNumber + 1 : 0;
      loaded.set(workflowId, { generationNumber: workflow.generationNumber, nextStepNumber });
      items.push({ workflowId, generationNumber: workflow.generationNumber, args: workflow.args, journal });
    }
    let replayed = 0;
    if (items.length > 0) {
      const out = (await ctx.runMutation(handle as FunctionHandle<"mutation">, { batch: items })) as {
        kind: "batch";
        results: BatchResult[];
      };
      for (const result of out.results) {
        const before = loaded.get(result.workflowId);
        const workflow = await runningWorkflow(ctx, result.workflowId as Id<"workflows">);
        if (!before || !workflow || workflow.generationNumber !== before.generationNumber) continue;
        const started =
          result.steps.length > 0
            ? await journalSteps(ctx, workflow, result.steps, result.workpoolOptions, before.nextStepNumber)
            : [];
        const inFlight = started.some((entry) => entry.step.inProgress);
        if (result.runResult) {
          // journalSteps does not touch the workflow's row: `workflow` is still current.
          await completeWorkflow(ctx, workflow, result.runResult, { stepsInFlight: inFlight });
        } else if (started.length > 0 && !inFlight) {
          // Everything it asked for finished at once (an event already sent, a condition
          // already true): replay it again.
          await scheduleReplay(ctx, workflow);
        }
        replayed++;
      }
    }
    for (const workflow of alone) {
      await runPoll(ctx, workflow);
      replayed++;
    }
    return replayed;
  },
});
