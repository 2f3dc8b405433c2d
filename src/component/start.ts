// Starting a top-level workflow: the checks, the insert and its first replay. `workflow.create`
// is the public entry; start-time features (versions, flow control, tags, many at once) hang
// off `createWorkflow`.
import { v, type Infer } from "convex/values";
import { START_MANY_REPLAYS_PER_TRANSACTION } from "../shared/limits.js";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { internalMutation, mutation, type MutationCtx } from "./_generated/server.js";
import { vStartFlow, vTags } from "../shared/protocol.js";
import { checkStartArgs, checkStartManyList, checkTags } from "../shared/validateOptions.js";
import { updateConfigRow } from "./config.js";
import { insertWorkflow } from "./model.js";
import { runReplay, scheduleReplay } from "./replay.js";
import { vOnComplete } from "./schema.js";
import { versionFields } from "./versioning.js";
import { admitStart, afterQueuedInsert, existingStart } from "./flowControl/lifecycle.js";
import { configureRetention, vRetention } from "./retention.js";
import { withBatchedCounts } from "./stats.js";
import { replayInGroups } from "./stepWork.js";

export const vCreateArgs = v.object({
  workflowName: v.string(),
  workflowHandle: v.string(),
  workflowArgs: v.any(),
  maxParallelism: v.optional(v.number()),
  onComplete: v.optional(vOnComplete),
  /** Schedule the first replay instead of running it now. */
  startAsync: v.optional(v.boolean()),
  /** Only create: the caller runs the first replay itself, in its own transaction. */
  createOnly: v.optional(v.boolean()),
  /** The definition's `version` (docs/versioning.md); absent = 0. */
  version: v.optional(v.number()),
  /**
   * Flow control (flowControl/, docs/flow-control.md): idempotency key, priority, and the
   * definition's concurrency / rate limit / debounce with their keys computed from the args.
   * The start may return an existing workflow, or create one queued: the component decides,
   * so it cannot be combined with `createOnly`.
   */
  flow: v.optional(vStartFlow),
  /** Tags (SPEC 4.3), checked by `checkTags`: stored on the workflow and in `workflowTags`. */
  tags: v.optional(vTags),
  /** The manager's `retention` option (retention.ts): stored when it differs from the config row's. */
  retention: v.optional(vRetention),
});
export type CreateArgs = Infer<typeof vCreateArgs>;

/** Create a top-level workflow and, unless asked not to, run or schedule its first replay. */
export async function createWorkflow(ctx: MutationCtx, args: CreateArgs): Promise<Id<"workflows">> {
  if (args.startAsync && args.createOnly) throw new Error("Cannot combine `startAsync` and `createOnly`.");
  checkStartArgs({
    args: args.workflowArgs,
    onComplete: args.onComplete?.fnHandle,
    context: args.onComplete?.context,
  });
  if (args.flow && args.createOnly) throw new Error("Cannot combine `flow` and `createOnly`.");
  const tags = checkTags("workflow.create", args.tags);
  const existing = args.flow && (await existingStart(ctx, args.workflowName, args.flow, args.workflowArgs));
  if (existing) return existing;
  if (args.maxParallelism !== undefined) await updateConfigRow(ctx, { maxParallelism: args.maxParallelism });
  if (args.retention !== undefined) await configureRetention(ctx, args.retention);
  const admission = args.flow && (await admitStart(ctx, args.workflowName, args.flow));
  const workflow = await insertWorkflow(ctx, {
    name: args.workflowName,
    workflowHandle: args.workflowHandle,
    args: args.workflowArgs,
    onComplete: args.onComplete,
    generationNumber: 0,
    ...versionFields(args.version),
    ...admission?.fields,
    ...(tags ? { tags } : {}),
  });
  if (admission && !admission.begins) {
    await afterQueuedInsert(ctx, workflow, args.flow!);
  } else if (args.startAsync) {
    await scheduleReplay(ctx, workflow);
  } else if (!args.createOnly) {
    await runReplay(ctx, workflow);
  }
  return workflow._id;
}

// ---------------------------------------------------------------------------------------
// Many at once (`startMany`): `createWorkflow` per item, with `startAsync` semantics, in one
// transaction. The first replays are scheduled in bounded chunks, never run here: in executor
// mode by the coordinator (replay groups of up to 25), in standard mode one `replay.run` per
// workflow, scheduled START_MANY_REPLAYS_PER_TRANSACTION at a time by `scheduleFirstReplays`.

export const vCreateManyArgs = v.object({
  /** What every workflow shares: `create`'s arguments but the workflow's own. */
  workflow: vCreateArgs.omit("workflowArgs", "startAsync", "createOnly"),
  /** One argument object per workflow; ids come back in this order. */
  argsList: v.array(v.any()),
  /**
   * Flow control: each workflow's own (its keys come from its args), in `argsList`'s order. A
   * flow-controlled workflow is admitted one by one (it may queue, or return an existing id), and
   * one that begins gets its own scheduled first replay.
   */
  flows: v.optional(v.array(vStartFlow)),
  /** Executor mode: first replays go to the coordinator, in replay groups. */
  coordinated: v.optional(v.boolean()),
});
export type CreateManyArgs = Infer<typeof vCreateManyArgs>;

/** Create these workflows (up to MAX_START_MANY) and schedule their first replays. */
export async function createManyWorkflows(ctx: MutationCtx, args: CreateManyArgs): Promise<Id<"workflows">[]> {
  checkStartManyList(args.argsList, args.workflow.onComplete?.context, args.workflow.tags);
  if (args.flows && args.flows.length !== args.argsList.length) {
    throw new Error(`startMany: ${args.flows.length} flows for ${args.argsList.length} workflows`);
  }
  const ids: Id<"workflows">[] = [];
  /** The workflows whose first replay is scheduled below (not flow-controlled ones: admitted each). */
  const toReplay: Id<"workflows">[] = [];
  // The config row is the same for all: written here once (if it changes), not per workflow.
  if (args.workflow.maxParallelism !== undefined) {
    await updateConfigRow(ctx, { maxParallelism: args.workflow.maxParallelism });
  }
  if (args.workflow.retention !== undefined) await configureRetention(ctx, args.workflow.retention);
  await withBatchedCounts(ctx, async () => {
    for (const [i, workflowArgs] of args.argsList.entries()) {
      const flow = args.flows?.[i];
      const id = await createWorkflow(ctx, {
        ...args.workflow,
        maxParallelism: undefined,
        retention: undefined,
        workflowArgs,
        ...(flow ? { flow, startAsync: true } : { createOnly: true }),
      });
      ids.push(id);
      if (!flow) toReplay.push(id);
    }
  });
  const { workflowHandle } = args.workflow;
  if (args.coordinated) {
    await replayInGroups(
      ctx,
      toReplay.map((_id) => ({ _id, workflowHandle })),
    );
  } else if (toReplay.length <= START_MANY_REPLAYS_PER_TRANSACTION) {
    await scheduleFirst(ctx, toReplay, args.workflow.workflowName, workflowHandle);
  } else {
    for (let i = 0; i < toReplay.length; i += START_MANY_REPLAYS_PER_TRANSACTION) {
      await ctx.scheduler.runAfter(0, internal.start.scheduleFirstReplays, {
        workflowIds: toReplay.slice(i, i + START_MANY_REPLAYS_PER_TRANSACTION),
        workflowName: args.workflow.workflowName,
        workflowHandle,
      });
    }
  }
  return ids;
}

async function scheduleFirst(ctx: MutationCtx, ids: Id<"workflows">[], name: string, workflowHandle: string) {
  for (const _id of ids) await scheduleReplay(ctx, { _id, name, workflowHandle, generationNumber: 0 });
}

/** `startMany`: create up to MAX_START_MANY workflows in this transaction; returns their ids in order. */
export const createMany = mutation({
  args: vCreateManyArgs,
  returns: v.array(v.id("workflows")),
  handler: createManyWorkflows,
});

/** Standard mode: schedule the first replays of a chunk of workflows `createMany` created. */
export const scheduleFirstReplays = internalMutation({
  args: { workflowIds: v.array(v.id("workflows")), workflowName: v.string(), workflowHandle: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await scheduleFirst(ctx, args.workflowIds, args.workflowName, args.workflowHandle);
    return null;
  },
});
