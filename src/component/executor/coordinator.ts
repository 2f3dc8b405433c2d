// Executor mode's replays. Instead of one scheduled replay per workflow per batch, the
// workflows that became ready in one flush are replayed together: grouped by workflow
// definition, each replay group is ONE call of the app's workflow mutation with the journals as
// arguments (`vReplayItem`), which returns the steps each workflow asks for next or its result
// (`vReplayOutcome`); they are journaled here, in the same transaction. A group runs as a
// sub-transaction: if anything in it throws, it is rolled back and its workflows are replayed
// one by one instead, each in a transaction of its own, so one workflow's failure never rolls
// back another's progress.
//
// Reads are bounded in bytes (MAX_REPLAY_READ_BYTES): journals are streamed, and what does
// not fit is left to a later transaction, so large journals never push a transaction past
// Convex's read limits.
import type { FunctionHandle } from "convex/server";
import { getConvexSize, type Infer, v } from "convex/values";
import { MAX_REPLAY_GROUP_JOURNAL_BYTES, MAX_REPLAY_READ_BYTES } from "../../shared/limits.js";
import type { ReplayOutcome, StepRequest } from "../../shared/protocol.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx } from "../_generated/server.js";
import { completeWorkflow } from "../completion.js";
import { getLogger } from "../config.js";
import { journalSteps } from "../journal.js";
import { continueRun } from "../versioning.js";
import { isReady, readyWorkflow } from "../readiness.js";
import { scheduleReplay } from "../replay.js";
import { withBatchedCounts } from "../stats.js";

/** Workflows replayed per coordinator transaction. */
export const REPLAYS_PER_TRANSACTION = 25;

/** A workflow to replay, with its definition (so grouping reads nothing). */
const vReplayTarget = v.object({ workflowId: v.id("workflows"), workflowHandle: v.string() });
type ReplayTarget = Infer<typeof vReplayTarget>;

const targetOf = (workflow: Pick<Doc<"workflows">, "_id" | "workflowHandle">): ReplayTarget => ({
  workflowId: workflow._id,
  workflowHandle: workflow.workflowHandle,
});

/** Durably schedule replays of these workflows (each once), in bounded groups. */
export async function scheduleReplays(
  ctx: MutationCtx,
  workflows: Array<Pick<Doc<"workflows">, "_id" | "workflowHandle">>,
): Promise<void> {
  await scheduleTargets(ctx, workflows.map(targetOf));
}

async function scheduleTargets(ctx: MutationCtx, targets: ReplayTarget[]): Promise<void> {
  const seen = new Set<string>();
  const unique = targets.filter((t) => !seen.has(t.workflowId) && seen.add(t.workflowId));
  for (let i = 0; i < unique.length; i += REPLAYS_PER_TRANSACTION) {
    await ctx.scheduler.runAfter(0, internal.executor.coordinator.replayWorkflows, {
      workflows: unique.slice(i, i + REPLAYS_PER_TRANSACTION),
    });
  }
}

/** Replay these workflows, one replay group per definition, as far as the byte budget goes. */
export const replayWorkflows = internalMutation({
  args: { workflows: v.array(vReplayTarget) },
  returns: v.number(),
  handler: async (ctx, args) => {
    const now = args.workflows.slice(0, REPLAYS_PER_TRANSACTION);
    const later = args.workflows.slice(REPLAYS_PER_TRANSACTION);
    if (later.length > 0) await scheduleTargets(ctx, later);
    const groups = new Map<string, Id<"workflows">[]>();
    for (const { workflowId, workflowHandle } of now) {
      groups.set(workflowHandle, [...(groups.get(workflowHandle) ?? []), workflowId]);
    }
    let replayed = 0;
    let bytesRead = 0;
    let first = true;
    for (const [workflowHandle, workflowIds] of groups) {
      if (!first && bytesRead >= MAX_REPLAY_READ_BYTES) {
        await scheduleTargets(
          ctx,
          workflowIds.map((workflowId) => ({ workflowId, workflowHandle })),
        );
        continue;
      }
      // The first group always runs (it replays at least one workflow), so that every
      // transaction makes progress however large the documents.
      first = false;
      try {
        const out = await ctx.runMutation(internal.executor.coordinator.replayGroup, {
          workflowHandle,
          workflowIds,
          maxReadBytes: Math.max(MAX_REPLAY_READ_BYTES - bytesRead, 1),
        });
        replayed += out.replayed;
        bytesRead += out.bytesRead;
      } catch (error) {
        const console = await getLogger(ctx);
        console.warn(
          `Replay group of ${workflowIds.length} workflows failed; replaying them one by one:`,
          String(error),
        );
        // Each in a transaction of its own, so that one workflow's failure holds back no other.
        for (const workflowId of workflowIds) {
          const workflow = await ctx.db.get("workflows", workflowId);
          if (workflow && !workflow.runResult) await scheduleReplay(ctx, workflow);
        }
        // What the failed group read is unknown: leave the other groups to a later transaction.
        bytesRead = MAX_REPLAY_READ_BYTES;
      }
    }
    return replayed;
  },
});

/**
 * One replay group: workflows of one definition, replayed by one call of its mutation. Throws
 * (and is rolled back) on any error. Reads about `maxReadBytes` at most: journals are streamed,
 * and a workflow that does not fit is left to a later transaction (a later group, or a replay
 * of its own if it fits no group).
 */
export const replayGroup = internalMutation({
  args: { workflowHandle: v.string(), workflowIds: v.array(v.id("workflows")), maxReadBytes: v.number() },
  returns: v.object({ replayed: v.number(), bytesRead: v.number() }),
  handler: async (ctx, args) => {
    const items = [];
    /** Per workflow replayed: as read before the replay, and its next step number. */
    const loaded = new Map<string, Loaded>();
    /** Left to a later group: they did not fit this one, or belong to another definition. */
    const deferred: Array<Pick<Doc<"workflows">, "_id" | "workflowHandle">> = [];
    let bytesRead = 0;
    /** Bytes of journals and arguments in `items`. */
    let groupBytes = 0;
    for (const [i, workflowId] of args.workflowIds.entries()) {
      if (bytesRead >= args.maxReadBytes) {
        for (const _id of args.workflowIds.slice(i)) deferred.push({ _id, workflowHandle: args.workflowHandle });
        break;
      }
      const workflow = await ctx.db.get("workflows", workflowId);
      if (!workflow) continue;
      bytesRead += getConvexSize(workflow);
      // Finished, or a step still in flight: its result will bring the workflow back.
      if (!(await isReady(ctx, workflow))) continue;
      if (workflow.workflowHandle !== args.workflowHandle) {
        deferred.push(workflow);
        continue;
      }
      const room = MAX_REPLAY_GROUP_JOURNAL_BYTES - groupBytes;
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
        // Replayed alone if it would not fit even an empty group; else in a later group.
        if (groupBytes === 0) await scheduleReplay(ctx, workflow);
        else deferred.push(workflow);
        continue;
      }
      groupBytes += size;
      const nextStepNumber = journal.length > 0 ? journal[journal.length - 1].stepNumber + 1 : 0;
      loaded.set(workflowId, { workflow, nextStepNumber });
      items.push({ workflowId, generationNumber: workflow.generationNumber, args: workflow.args, journal });
    }
    if (deferred.length > 0) await scheduleReplays(ctx, deferred);
    let replayed = 0;
    if (items.length > 0) {
      const out = (await ctx.runMutation(args.workflowHandle as FunctionHandle<"mutation">, { group: items })) as {
        kind: "group";
        results: ReplayOutcome[];
      };
      // Only user code writes workflows while a group is replayed: an inline mutation step (in
      // the replay itself) or an onComplete handler (when an earlier workflow of the group
      // finishes) may cancel one. Until either has run, the workflows as read are current.
      let mayHaveChanged = out.results.some((outcome) => outcome.steps.some(ranInlineMutation));
      // The group's finished workflows are counted together (one counter row each, see stats.ts).
      await withBatchedCounts(ctx, async () => {
        for (const outcome of out.results) {
          const before = loaded.get(outcome.workflowId);
          if (!before) continue;
          if (await journalOutcome(ctx, outcome, before, mayHaveChanged)) replayed++;
          if (outcome.runResult && before.workflow.onComplete) mayHaveChanged = true;
        }
      });
    }
    return { replayed, bytesRead };
  },
});

type Loaded = { workflow: Doc<"workflows">; nextStepNumber: number };

/** A step the replay ran in its own transaction that could write: an inline mutation. */
function ranInlineMutation(request: StepRequest): boolean {
  const { step } = request;
  return (
    (step.kind ?? "function") === "function" &&
    "functionType" in step &&
    step.functionType === "mutation" &&
    step.runResult !== undefined
  );
}

/**
 * Journal what one workflow of a replay group asked for, or finish it. Returns whether it was
 * applied (the workflow is still running in the generation it was replayed in). With
 * `readAgain`, user code has run since the workflow was read (see replayGroup).
 */
async function journalOutcome(
  ctx: MutationCtx,
  outcome: ReplayOutcome,
  before: Loaded,
  readAgain: boolean,
): Promise<boolean> {
  const workflow = readAgain ? await ctx.db.get("workflows", before.workflow._id) : before.workflow;
  if (!workflow || workflow.runResult || workflow.generationNumber !== before.workflow.generationNumber) return false;
  const started =
    outcome.steps.length > 0
      ? await journalSteps(ctx, workflow, outcome.steps, outcome.workpoolOptions, before.nextStepNumber)
      : [];
  // A nested workflow whose parent is gone is canceled while journaling (see journalSteps):
  // the only way journaling finishes a workflow, so only nested workflows are read again.
  if (started.length > 0 && workflow.parent) {
    const current = await ctx.db.get("workflows", workflow._id);
    if (!current || current.runResult) return true;
  }
  if (outcome.continueAsNew) {
    // step.continueAsNew: this run ends, the next begins (versioning.ts).
    await continueRun(ctx, workflow, outcome.continueAsNew);
  } else if (outcome.runResult) {
    // journalSteps does not touch the workflow's row: `workflow` is still current.
    await completeWorkflow(ctx, workflow, outcome.runResult);
  } else if (started.length > 0 && started.every((entry) => !entry.step.inProgress)) {
    // Everything it asked for finished at once (an event already sent, a condition already
    // true): replay it again.
    await scheduleReplay(ctx, workflow);
  }
  return true;
}

/**
 * A manual nudge: if the workflow is running with nothing in flight, hand it to the
 * coordinator (returns whether it did). Scheduled, never run inline, so that a nudge from
 * inside another replay's transaction (an `onComplete`, an inline mutation step) cannot
 * journal steps under a replay group that has already read the same workflow's journal.
 */
export const replayIfReady = mutation({
  args: { workflowId: v.id("workflows") },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    const workflow = await readyWorkflow(ctx, args.workflowId);
    if (!workflow) return false;
    await scheduleReplays(ctx, [workflow]);
    return true;
  },
});
