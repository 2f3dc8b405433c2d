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
  /** Tags (SPEC 4.3), checked by `checkTags`: stored on the workflow and in `workflowTags`. */
  tags: v.optional(vTags),
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
  const tags = checkTags("workflow.create", args.tags);
  if (args.maxParallelism !== undefined) await updateConfigRow(ctx, { maxParallelism: args.maxParallelism });
  const workflow = await insertWorkflow(ctx, {
    name: args.workflowName,
    workflowHandle: args.workflowHandle,
    args: args.workflowArgs,
    onComplete: args.onComplete,
    generationNumber: 0,
    ...(tags ? { tags } : {}),
  });
  if (args.startAsync) {
    await scheduleReplay(ctx, workflow);
  } else if (!args.createOnly) {
    await runReplay(ctx, workflow);
  }
  return workflow._id;
}
