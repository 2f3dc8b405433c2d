// The app side of `startMany`: in the workflow mutation (which knows the definition), every
// argument object is checked against the workflow's validator before anything is written, then
// the component's `createMany` creates them, in calls of about MAX_START_MANY_CALL_BYTES of
// arguments each, all in this one transaction (so either every workflow starts or none does).
import { validate, ValidationError } from "convex-helpers/validators";
import {
  createFunctionHandle,
  type GenericDataModel,
  type GenericMutationCtx,
  makeFunctionReference,
} from "convex/server";
import { getConvexSize, type Validator, type Value } from "convex/values";
import { MAX_START_MANY_CALL_BYTES } from "../../shared/limits.js";
import type { WorkflowId } from "../../shared/types.js";
import { checkStartArgs, checkStartManyList, checkTags } from "../../shared/validateOptions.js";
import type { WorkflowComponent } from "../types.js";
import type { StartFlow } from "../../shared/protocol.js";
import type { RetentionOptions } from "./workflowMutation.js";

export type StartManyCall = {
  argsList: unknown[];
  onComplete?: string;
  context?: unknown;
  tags?: Record<string, string>;
};

/** Split `argsList` into runs of about `maxBytes` each (each run holds at least one item). */
export function splitByBytes<T>(argsList: T[], maxBytes: number, sizeOf: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of argsList) {
    const size = sizeOf(item);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export async function startMany(
  ctx: GenericMutationCtx<GenericDataModel>,
  component: WorkflowComponent,
  workflowName: string,
  call: StartManyCall,
  options: {
    argsValidator?: Validator<any, any, any>;
    maxParallelism?: number;
    coordinated: boolean;
    /** The definition's version (0 is not sent). */
    version: number;
    /** The manager's retention option, stored by the component when it changed. */
    retention?: RetentionOptions;
    /** Flow control: a workflow's keys from its args (throws for a bad key), or undefined. */
    flowOf: (args: unknown) => StartFlow | undefined;
  },
): Promise<WorkflowId[]> {
  checkStartManyList(call.argsList, call.context, call.tags);
  const tags = checkTags("startMany", call.tags);
  const flows: (StartFlow | undefined)[] = [];
  for (const [i, args] of call.argsList.entries()) {
    try {
      if (options.argsValidator) validate(options.argsValidator, args, { throw: true, db: ctx.db });
      checkStartArgs({ args, onComplete: call.onComplete, context: i === 0 ? call.context : undefined });
      flows.push(options.flowOf(args));
    } catch (error) {
      const message = error instanceof ValidationError || error instanceof Error ? error.message : String(error);
      throw new Error(`startMany: argsList[${i}] is not valid for workflow "${workflowName}": ${message}`);
    }
  }
  if (call.argsList.length === 0) return [];
  const workflow = {
    workflowName,
    workflowHandle: await createFunctionHandle(makeFunctionReference<"mutation">(workflowName)),
    maxParallelism: options.maxParallelism,
    onComplete: call.onComplete ? { fnHandle: call.onComplete, context: call.context } : undefined,
    ...(options.version !== 0 && { version: options.version }),
    ...(options.retention && { retention: options.retention }),
    ...(tags && { tags }),
  };
  const anyFlow = flows.some((flow) => flow !== undefined);
  let offset = 0;
  const ids: WorkflowId[] = [];
  for (const argsList of splitByBytes(call.argsList, MAX_START_MANY_CALL_BYTES, (a) =>
    getConvexSize((a ?? null) as Value),
  )) {
    const created = await ctx.runMutation(component.start.createMany, {
      workflow,
      argsList,
      // A definition's flow control applies to all its workflows or none (a start option would too).
      ...(anyFlow && { flows: flows.slice(offset, offset + argsList.length) as StartFlow[] }),
      coordinated: options.coordinated || undefined,
    });
    offset += argsList.length;
    ids.push(...(created as unknown as WorkflowId[]));
  }
  return ids;
}
