// The nested workpool: steps that are functions run through it, with parallelism limits
// and action retries. Its completion callback records results on the shared record path.
import { type RetryBehavior, vResultValidator, vWorkIdValidator, type WorkId, Workpool } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { type Infer, v } from "convex/values";
import { components, internal } from "./_generated/api.js";
import type { StepEntry } from "./schema.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import {
  DEFAULT_MAX_PARALLELISM,
  DEFAULT_RETRY_BEHAVIOR,
  getConfig,
  getLogger,
  type WorkpoolOptionsArg,
} from "./config.js";
import { DEFAULT_LOG_LEVEL } from "../shared/logging.js";
import { checkWorkpoolOptions } from "../shared/validateOptions.js";
import { recordStepResult } from "./results.js";

export async function getWorkpool(ctx: MutationCtx, opts: WorkpoolOptionsArg | undefined): Promise<Workpool> {
  // Whatever reaches the shared workpool is within its bounds (see src/shared/validateOptions.ts).
  checkWorkpoolOptions("workflow", opts);
  const config = await getConfig(ctx);
  return new Workpool(components.workpool, {
    // The workpool's own default, REPORT, prints a JSON `report` line about once a minute.
    logLevel: opts?.logLevel ?? config?.logLevel ?? DEFAULT_LOG_LEVEL,
    maxParallelism: opts?.maxParallelism ?? config?.maxParallelism ?? DEFAULT_MAX_PARALLELISM,
    defaultRetryBehavior: opts?.defaultRetryBehavior ?? DEFAULT_RETRY_BEHAVIOR,
    retryActionsByDefault: opts?.retryActionsByDefault ?? false,
  });
}

const vStepContext = v.object({ stepId: v.id("steps"), generationNumber: v.number() });
type StepContext = Infer<typeof vStepContext>;

/** Hand one function step to the workpool; returns its work id. */
export async function enqueueFunctionStep(
  ctx: MutationCtx,
  workpool: Workpool,
  entry: StepEntry,
  generationNumber: number,
  opts: { retry?: boolean | RetryBehavior; runAt?: number },
): Promise<WorkId> {
  const step = entry.step;
  if (step.kind !== undefined && step.kind !== "function") {
    throw new Error(`Step ${entry._id} is a ${step.kind}, not a function`);
  }
  const context: StepContext = { stepId: entry._id, generationNumber };
  const common = { name: step.name, onComplete: internal.pool.onComplete, context, runAt: opts.runAt };
  switch (step.functionType) {
    case "query":
      return await workpool.enqueueQuery(ctx, step.handle as FunctionHandle<"query">, step.args, common);
    case "mutation":
      return await workpool.enqueueMutation(ctx, step.handle as FunctionHandle<"mutation">, step.args, common);
    case "action":
      return await workpool.enqueueAction(ctx, step.handle as FunctionHandle<"action">, step.args, {
        ...common,
        retry: opts.retry,
      });
  }
}

/** Called by the workpool when a step's function has finished (after any retries). */
export const onComplete = internalMutation({
  args: { workId: vWorkIdValidator, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const context = args.context as Partial<StepContext> | null;
    const stepId = typeof context?.stepId === "string" ? ctx.db.normalizeId("steps", context.stepId) : null;
    if (!stepId || typeof context?.generationNumber !== "number") {
      const console = await getLogger(ctx);
      console.error("Workpool completion without a valid step context", args.context);
      await ctx.db.insert("onCompleteFailures", { workId: args.workId, result: args.result, context: args.context });
      return null;
    }
    await recordStepResult(ctx, { stepId, generationNumber: context.generationNumber, result: args.result });
    return null;
  },
});

/** The scheduled end of a `step.sleep`. */
export const wakeUp = internalMutation({
  args: vStepContext,
  returns: v.null(),
  handler: async (ctx, args) => {
    await recordStepResult(ctx, { ...args, result: { kind: "success", returnValue: null } });
    return null;
  },
});
