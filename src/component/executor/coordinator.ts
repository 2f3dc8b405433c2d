// Executor mode's replays. Instead of one scheduled poll per workflow per batch, the
// workflows whose batches completed in one flush are replayed together: grouped by workflow
// definition, each group is ONE call of the app's workflow mutation with the journals as
// arguments, which returns the steps each workflow asks for next (or its result); they are
// journaled here, in the same transaction. A group runs as a sub-transaction: if anything in
// it throws, it is rolled back and its workflows are polled one by one instead, each in a
// transaction of its own, so one workflow's failure never rolls back another's progress.
//
// Reads are bounded in bytes (MAX_REPLAY_READ_BYTES): journals are streamed, and what does
// not fit is left to a later transaction, so large journals never push a transaction past
// Convex's read limits.
import type { RunResult } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { getConvexSize, v } from "convex/values";
import { MAX_BATCH_JOURNAL_BYTES, MAX_REPLAY_READ_BYTES } from "../../shared/limits.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx } from "../_generated/server.js";
import { completeWorkflow } from "../completion.js";
import { getLogger } from "../config.js";
import { journalSteps } from "../journal.js";
import type { StepRequest } from "../../shared/protocol.js";
import { scheduleReplay } from "../replay.js";
import { isBatchDone } from "../results.js";

/** Workflows replayed per coordinator transaction. */
export const REPLAYS_PER_TRANSACTION = 25;

/** Durably schedule replays of these workflows, in bounded groups. */
export async function scheduleReplays(ctx: MutationCtx, workflowIds: Id<"workflows">[]): Promise<void> {
  const unique = [...new Set(workflowIds)];
  for (let i = 0; i < unique.length; i += REPLAYS_PER_TRANSACTION) {
    await ctx.scheduler.runAfter(0, internal.executor.coordinator.replayBatch, {
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

export const replayBatch = internalMutation({
  args: { workflowIds: v.array(v.id("workflows")) },
  returns: v.number(),
  handler: async (ctx, args) => {
    const now = args.workflowIds.slice(0, REPLAYS_PER_TRANSACTION);
    const later = args.workflowIds.slice(REPLAYS_PER_TRANSACTION);
    if (later.length > 0) await scheduleReplays(ctx, later);
    // Grouped by definition here; whether each is ready (nothing in flight) is decided by
    // replayGroup.
    const groups = new Map<string, Doc<"workflows">[]>();
    let bytesRead = 0;
    for (let i = 0; i < now.length; i++) {
      if (bytesRead >= MAX_REPLAY_READ_BYTES) {
        await scheduleReplays(ctx, now.slice(i));
        break;
      }
      const workflow = await ctx.db.get("workflows", now[i]);
      if (!workflow) continue;
      bytesRead += getConvexSize(workflow);
      if (workflow.runResult) continue;
      groups.set(workflow.workflowHandle, [...(groups.get(workflow.workflowHandle) ?? []), workflow]);
    }
    let replayed = 0;
    let first = true;
    for (const workflows of groups.values()) {
      const workflowIds = workflows.map((workflow) => workflow._id);
      if (!first && bytesRead >= MAX_REPLAY_READ_BYTES) {
        await scheduleReplays(ctx, workflowIds);
        continue;
      }
      try {
        // The first group always runs (it replays at least one workflow), so that every
        // transaction makes progress however large the documents.
        first = false;
        const out = await ctx.runMutation(internal.executor.coordinator.replayGroup, {
          workflowIds,
          maxReadBytes: Math.max(MAX_REPLAY_READ_BYTES - bytesRead, 1),
        });
        replayed += out.replayed;
        bytesRead += out.bytesRead;
      } catch (error) {
        const console = await getLogger(ctx);
        console.warn(`Batched replay of ${workflows.length} workflows failed; polling them one by one:`, String(error));
        // Each in a transaction of its own, so that one workflow's failure holds back no other.
        for (const workflow of workflows) await scheduleReplay(ctx, workflow);
        // What the failed group read is unknown: leave the other groups to a later transaction.
        bytesRead = MAX_REPLAY_READ_BYTES;
      }
    }
    return replayed;
  },
});

type BatchResult = {
  workflowId: string;
  runResult?: RunResult;
  steps: StepRequest[];
  workpoolOptions?: Parameters<typeof journalSteps>[3];
};

/**
 * One batched replay of workflows of one definition. Throws (and is rolled back) on any error.
 * Reads about `maxReadBytes` at most: journals are streamed, and a workflow that does not fit
 * is left to a later transaction (a later batch, or a poll of its own if it fits no batch).
 */
export const replayGroup = internalMutation({
  args: { workflowIds: v.array(v.id("workflows")), maxReadBytes: v.number() },
  returns: v.object({ replayed: v.number(), bytesRead: v.number() }),
  handler: async (ctx, args) => {
    const items = [];
    /** Per workflow replayed: the generation it was replayed in and its next step number. */
    const loaded = new Map<string, { generationNumber: number; nextStepNumber: number }>();
    /** Left to a later batch: they did not fit this one. */
    const deferred: Id<"workflows">[] = [];
    let bytesRead = 0;
    /** Bytes of journals and arguments in `items`. */
    let batchBytes = 0;
    let handle: string | undefined;
    for (const [i, workflowId] of args.workflowIds.entries()) {
      if (bytesRead >= args.maxReadBytes) {
        deferred.push(...args.workflowIds.slice(i));
        break;
      }
      const workflow = await ctx.db.get("workflows", workflowId);
      if (!workflow) continue;
      bytesRead += getConvexSize(workflow);
      if (workflow.runResult) continue;
      // A step still in flight: its result will bring the workflow back here.
      const inFlight = await ctx.db
        .query("steps")
        .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))
        .first();
      if (inFlight) {
        bytesRead += getConvexSize(inFlight);
        continue;
      }
      handle ??= workflow.workflowHandle;
      if (workflow.workflowHandle !== handle) {
        deferred.push(workflowId);
        continue;
      }
      const room = MAX_BATCH_JOURNAL_BYTES - batchBytes;
      let size = getConvexSize(workflow.args);
      let fits = size <= room;
      const journal: Doc<"steps">[] = [];
      if (fits) {
        for await (const entry of ctx.db.query("steps").withIndex("workflow", (q) => q.eq("workflowId", workflowId))) {
          const entrySize = getConvexSize(entry);
          bytesRead += entrySize;
          size += entrySize;
          if (size > room) {
            fits = false;
            break;
          }
          journal.push(entry);
        }
      }
      if (!fits) {
        // Polled alone if it would not fit even an empty batch; else in a later batch.
        if (batchBytes === 0) await scheduleReplay(ctx, workflow);
        else deferred.push(workflowId);
        continue;
      }
      batchBytes += size;
      const nextStepNumber = journal.length > 0 ? journal[journal.length - 1].stepNumber + 1 : 0;
      loaded.set(workflowId, { generationNumber: workflow.generationNumber, nextStepNumber });
      items.push({ workflowId, generationNumber: workflow.generationNumber, args: workflow.args, journal });
    }
    if (deferred.length > 0) await scheduleReplays(ctx, deferred);
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
        // Canceled while journaling (its parent was canceled: see journalSteps).
        if (started.length > 0 && !(await runningWorkflow(ctx, workflow._id))) {
          replayed++;
          continue;
        }
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
    return { replayed, bytesRead };
  },
});

async function runningWorkflow(ctx: MutationCtx, workflowId: Id<"workflows">): Promise<Doc<"workflows"> | null> {
  const workflow = await ctx.db.get("workflows", workflowId);
  return workflow && !workflow.runResult ? workflow : null;
}

/**
 * A manual nudge: if the workflow is running with nothing in flight, hand it to the
 * coordinator (returns whether it did). Scheduled, never run inline, so that a nudge from
 * inside another replay's transaction (an `onComplete`, an inline mutation step) cannot
 * journal steps under a batched replay that has already read the same workflow's journal.
 */
export const replayIfReady = mutation({
  args: { workflowId: v.id("workflows") },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    if (!(await readyWorkflow(ctx, args.workflowId))) return false;
    await scheduleReplays(ctx, [args.workflowId]);
    return true;
  },
});

