// Versioning and unbounded loops (SPEC 4.1, docs/versioning.md):
// - a workflow's `version` (the definition's, when its run began) and `runNumber`;
// - `stampVersion`: a nested workflow is inserted by its parent's replay, which cannot know the
//   child's definition, so the child's first replay (journal empty) stamps its own version;
// - `continueAsNew`: end this run and begin the next one of the same workflow, with new args and
//   an empty journal: same id, generation + 1, runNumber + 1. The workflow stays running the
//   whole time (no finish, no start: counters, onComplete, a parent's step and a flow-control
//   slot are untouched). The old journal is deleted in bounded batches through cleanup.ts's
//   restart deletion (continued by `workflow.restartContinue`), then the new run is replayed.
import { v } from "convex/values";
import { checkStartArgs } from "../shared/validateOptions.js";
import { checkVersion } from "../shared/versioning.js";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, type MutationCtx } from "./_generated/server.js";
import { continueReset, deleteStepsFrom } from "./cleanup.js";
import { describeStatus } from "./model.js";
import { getLogger } from "./config.js";
import { scheduleReplay } from "./replay.js";

/** The workflow fields a start with `version` writes (none for 0: absent means 0). */
export function versionFields(version: number | undefined): { version?: number } {
  const checked = checkVersion("workflow.create", version);
  return checked === 0 ? {} : { version: checked };
}

/** Load a workflow a replay of `generationNumber` acts on; throws as `complete` does. */
async function runningWorkflow(ctx: MutationCtx, workflowId: Doc<"workflows">["_id"], generationNumber: number) {
  const workflow = await ctx.db.get("workflows", workflowId);
  if (!workflow) throw new Error(`Workflow not found: ${workflowId}`);
  if (workflow.generationNumber !== generationNumber) {
    throw new Error(
      `Invalid generation number: ${generationNumber} for workflow ${workflow.name} (${workflow._id}), which is at ${workflow.generationNumber}`,
    );
  }
  if (workflow.runResult) throw new Error(`Workflow not running: ${workflow._id} already ${describeStatus(workflow)}`);
  return workflow;
}

/** Called by the first replay of a run whose stored version is not the definition's. */
export const stampVersion = mutation({
  args: { workflowId: v.id("workflows"), generationNumber: v.number(), version: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const workflow = await runningWorkflow(ctx, args.workflowId, args.generationNumber);
    const version = checkVersion("stampVersion", args.version);
    if ((workflow.version ?? 0) !== version) await ctx.db.patch("workflows", workflow._id, { version });
    return null;
  },
});

/** `step.continueAsNew(args)`, from a replay of one workflow. */
export const continueAsNew = mutation({
  args: { workflowId: v.id("workflows"), generationNumber: v.number(), args: v.any(), version: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const workflow = await runningWorkflow(ctx, args.workflowId, args.generationNumber);
    await continueRun(ctx, workflow, { args: args.args, version: args.version });
    return null;
  },
});

/**
 * End the running workflow's current run and begin the next: new args, generation + 1 (late
 * results of the old run are stale), runNumber + 1, the journal deleted, then a replay.
 * Also called by the executor's replay group (coordinator.journalOutcome).
 */
export async function continueRun(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  next: { args: unknown; version: number },
): Promise<void> {
  checkStartArgs({ args: next.args });
  const version = checkVersion("continueAsNew", next.version);
  const generationNumber = workflow.generationNumber + 1;
  const runNumber = (workflow.runNumber ?? 1) + 1;
  await ctx.db.patch("workflows", workflow._id, { generationNumber, runNumber, args: next.args, version });
  const console = await getLogger(ctx);
  console.info(`Workflow ${workflow._id} (${workflow.name}) continues as new: run ${runNumber}`);
  const continued = { ...workflow, generationNumber };
  const from = await deleteStepsFrom(ctx, workflow._id, 0);
  if (from !== null) {
    // More steps than one transaction should delete: restartContinue finishes, then replays.
    await continueReset(ctx, workflow._id, { generationNumber, from });
  } else {
    await scheduleReplay(ctx, continued);
  }
}
