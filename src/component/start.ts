// Starting a top-level workflow: the checks, the insert and its first replay. `workflow.create`
// is the public entry; start-time features (versions, flow control, tags, many at once) hang
// off `createWorkflow`.
import { v, type Infer } from "convex/values";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { vTags } from "../shared/protocol.js";
import { checkStartArgs, checkTags } from "../shared/validateOptions.js";
import { updateConfigRow } from "./config.js";
import { insertWorkflow } from "./model.js";
import { runReplay, scheduleReplay } from "./replay.js";
import { vOnComplete } from "./schema.js";
import { versionFields } from "./versioning.js";
import { vStartFlow } from "../shared/protocol.js";
import { admitStart, afterQueuedInsert, existingStart } from "./flowControl/lifecycle.js";
import { configureRetention, vRetention } from "./retention.js";

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
