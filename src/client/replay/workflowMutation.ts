// The app-side workflow mutation. `workflow.define` returns it and the app exports it.
// Called with `{ args, ... }` it starts a workflow; called by the component with
// `{ workflowId, generationNumber }` it is a poll: replay the handler and move on.
import type { WorkpoolOptions } from "@convex-dev/workpool";
import { BaseChannel } from "async-channel";
import { validate, ValidationError } from "convex-helpers/validators";
import {
  createFunctionHandle,
  type FunctionHandle,
  type GenericDataModel,
  type GenericMutationCtx,
  internalMutationGeneric,
  makeFunctionReference,
  type RegisteredMutation,
} from "convex/server";
import { asObjectValidator, type ObjectType, type PropertyValidators, v, type Validator } from "convex/values";
import { createLogger, type Logger, logThrown } from "../../shared/logging.js";
import type { JournalEntry } from "../../component/schema.js";
import { formatErrorWithStack, limitErrorLength } from "../../shared/errors.js";
import { type OnCompleteArgs, vWorkflowId, type WorkflowId } from "../../shared/types.js";
import { explainHiddenGlobalError, installEnvironment } from "./environment.js";
import type { WorkflowDefinition, WorkflowHandler } from "../index.js";
import { type ExecutorRouting, StepExecutor, type StepRequest } from "./replayer.js";
import type { InferFromOptionalValidator, RunResult, WorkflowComponent, WorkflowMutationResult } from "../types.js";
import { checkStartArgs, checkWorkpoolOptions } from "../../shared/validateOptions.js";
import { createWorkflowCtx } from "./workflowContext.js";

export type WorkflowArgs<V extends PropertyValidators, Context = unknown> = {
  /** The handler's arguments. */
  args: ObjectType<V>;
  /** Schedule the first poll instead of running it in the caller's transaction. */
  startAsync?: boolean;
} & (
  | {
      /** A function handle (`createFunctionHandle`) of a mutation to call when the workflow finishes. */
      onComplete: FunctionHandle<"mutation", OnCompleteArgs<Context>>;
      /** Passed through to `onComplete`. */
      context: Context;
    }
  | { onComplete?: undefined; context?: undefined }
);

const vPoll = v.object({ workflowId: vWorkflowId, generationNumber: v.number() });
const vStart = v.object({
  args: v.any(),
  startAsync: v.optional(v.boolean()),
  onComplete: v.optional(v.string()),
  context: v.optional(v.any()),
});

/** A batched replay, sent by the component's coordinator (executor mode). */
const vBatchItem = v.object({
  workflowId: vWorkflowId,
  generationNumber: v.number(),
  args: v.any(),
  journal: v.array(v.any()),
});
const vBatchResult = v.object({
  workflowId: v.string(),
  runResult: v.optional(
    v.union(
      v.object({ kind: v.literal("success"), returnValue: v.any() }),
      v.object({ kind: v.literal("failed"), error: v.string() }),
      v.object({ kind: v.literal("canceled") }),
    ),
  ),
  steps: v.array(v.any()),
  workpoolOptions: v.optional(v.any()),
});

type BatchResult = typeof vBatchResult.type;

const USAGE =
  "To start a workflow by calling its mutation directly, nest the handler's arguments: { args: { ...yourArgs } }";

function vRunResult(returns: Validator<any, "required", any> | PropertyValidators | undefined) {
  return v.union(
    v.object({ kind: v.literal("success"), returnValue: returns ? asObjectValidator(returns) : v.any() }),
    v.object({ kind: v.literal("failed"), error: v.string() }),
    v.object({ kind: v.literal("canceled") }),
  );
}

/** Default batch size when no maxParallelism is configured for the definition. */
const DEFAULT_BATCH = 10;

export function workflowMutation<
  ArgsValidator extends PropertyValidators,
  ReturnsValidator extends Validator<any, "required", any> | void,
>(
  component: WorkflowComponent,
  definition: WorkflowDefinition<ArgsValidator, ReturnsValidator> & {
    handler: WorkflowHandler<ArgsValidator, ReturnsValidator>;
  },
  defaultWorkpoolOptions?: WorkpoolOptions,
  routing?: ExecutorRouting,
): RegisteredMutation<
  "internal",
  WorkflowArgs<ArgsValidator>,
  WorkflowMutationResult<InferFromOptionalValidator<ReturnsValidator>>
> {
  // Checked here, when the module loads: a bad value fails the deploy, not a later step.
  checkWorkpoolOptions("workflow.define", definition.workpoolOptions);
  const workpoolOptions: WorkpoolOptions = { ...defaultWorkpoolOptions, ...definition.workpoolOptions };
  const argsValidator = definition.args ? asObjectValidator(definition.args) : undefined;
  const returnsValidator = definition.returns ? asObjectValidator(definition.returns) : undefined;

  const mutation = internalMutationGeneric({
    // One object with every field optional (Convex args must be an object); the handler
    // tells the two shapes apart. `usage` is never passed: it puts the hint in the
    // validation error a caller sees when they forget to nest the arguments.
    args: v.object({
      ...vPoll.partial().fields,
      ...vStart.partial().fields,
      args: v.optional(argsValidator ?? v.any()),
      batch: v.optional(v.array(vBatchItem)),
      usage: v.optional(v.literal(USAGE)),
    }),
    returns: v.union(
      vWorkflowId,
      v.object({ kind: v.literal("complete"), runResult: vRunResult(definition.returns ?? undefined) }),
      v.object({ kind: v.literal("batch"), results: v.array(vBatchResult) }),
    ),
    handler: async (ctx, rawArgs): Promise<WorkflowMutationResult<any> | { kind: "batch"; results: BatchResult[] }> => {
      const logger = createLogger(workpoolOptions.logLevel);
      if (rawArgs.batch) {
        // Replay several workflows of this definition in one call; the component journals
        // the steps each one asks for next (or finishes it) in the same transaction.
        const results: BatchResult[] = [];
        for (const item of rawArgs.batch) {
          const outcome = await poll(ctx, item.workflowId, item.generationNumber, {
            args: item.args,
            journal: item.journal as JournalEntry[],
            logger,
            collect: true,
          });
          results.push({ workflowId: item.workflowId, ...outcome, workpoolOptions });
        }
        return { kind: "batch", results };
      }
      if (validate(vStart, rawArgs)) {
        checkStartArgs({ args: rawArgs.args, onComplete: rawArgs.onComplete, context: rawArgs.context });
        const { name } = await ctx.meta.getFunctionMetadata();
        const workflowId = (await ctx.runMutation(component.workflow.create, {
          workflowName: name,
          workflowHandle: await createFunctionHandle(makeFunctionReference<"mutation">(name)),
          workflowArgs: rawArgs.args,
          maxParallelism: workpoolOptions.maxParallelism,
          onComplete: rawArgs.onComplete ? { fnHandle: rawArgs.onComplete, context: rawArgs.context } : undefined,
          startAsync: rawArgs.startAsync || undefined,
          createOnly: !rawArgs.startAsync || undefined,
        })) as unknown as WorkflowId;
        if (!rawArgs.startAsync) {
          // The first poll runs here, in the caller's transaction: its journal is empty.
          await poll(ctx, workflowId, 0, { args: rawArgs.args, journal: [], logger });
        }
        return workflowId;
      }
      if (!validate(vPoll, rawArgs)) {
        throw new Error(`Invalid arguments for workflow: ${USAGE}`);
      }
      const { workflowId, generationNumber } = rawArgs;
      const loaded = await ctx.runQuery(component.journal.load, { workflowId, generationNumber });
      const console = createLogger(loaded.logLevel);
      switch (loaded.state) {
        case "stale":
        case "finished":
        case "blocked":
          console.debug(`Poll of workflow ${workflowId} (generation ${generationNumber}): ${loaded.state}, nothing to do`);
          return workflowId;
        case "tooLarge":
          await finish(ctx, workflowId, generationNumber, { kind: "failed", error: loaded.error! });
          return workflowId;
        case "ready": {
          const { runResult } = await poll(ctx, workflowId, generationNumber, {
            args: loaded.workflow.args,
            journal: loaded.journal as unknown as JournalEntry[],
            logger: console,
          });
          return runResult ? { kind: "complete", runResult } : workflowId;
        }
      }
    },
  });

  async function finish(
    ctx: GenericMutationCtx<GenericDataModel>,
    workflowId: WorkflowId,
    generationNumber: number,
    runResult: RunResult,
  ) {
    await ctx.runMutation(component.workflow.complete, { workflowId, generationNumber, runResult });
  }

  /**
   * Replay the handler. Returns its result if it finished (undefined while it waits on
   * steps). With `collect`, new steps are returned instead of journaled, and a finished
   * handler is reported instead of completed: the caller (the component) does both.
   */
  async function poll(
    ctx: GenericMutationCtx<GenericDataModel>,
    workflowId: WorkflowId,
    generationNumber: number,
    { args, journal, logger, collect = false }: { args: unknown; journal: JournalEntry[]; logger: Logger; collect?: boolean },
  ): Promise<{ runResult?: RunResult; steps: StepExecutor["collected"] }> {
    const channel = new BaseChannel<StepRequest>(workpoolOptions.maxParallelism ?? DEFAULT_BATCH);
    const executor = new StepExecutor(
      workflowId,
      generationNumber,
      ctx,
      component,
      journal,
      channel,
      Date.now(),
      workpoolOptions,
      workpoolOptions.maxParallelism ?? DEFAULT_BATCH,
      routing,
      collect,
    );
    const step = createWorkflowCtx(workflowId, channel);
    const restore = installEnvironment(workflowId, executor.clock);
    let outcome: { type: "done"; runResult: RunResult } | { type: "blocked" };
    try {
      const handlerDone = (async () => ({
        type: "done" as const,
        runResult: await runHandler(ctx, step, args, logger),
      }))();
      const executorRun = executor.run();
      outcome = await Promise.race([handlerDone, executorRun]);
      if (outcome.type === "done" && !executor.clock().latest) {
        // 0.4.8 completes such a workflow, so it is not failed; but a step it journaled
        // was not asked for again (a deploy dropped steps, or a branch on the real world).
        logger.warn(
          `Workflow ${workflowId} finished without asking again for all the steps in its journal: ` +
            "the handler is not deterministic, or changed while the workflow ran. See docs/determinism.md.",
        );
      }
      if (outcome.type === "done") {
        // Let a batch being journaled finish before the workflow is completed.
        executorRun.catch(() => undefined);
        await executor.stop();
      }
    } catch (error) {
      // The executor failed: a determinism violation, an oversized journal, a step that
      // could not be journaled. The workflow fails with that error.
      // The message leads (e.g. "Journal entry mismatch: ..."), the stack follows.
      const full = formatErrorWithStack(error);
      const head = error instanceof Error ? error.toString() : "";
      const message = error instanceof Error && full.startsWith(head) ? error.message + full.slice(head.length) : full;
      outcome = { type: "done", runResult: { kind: "failed", error: message } };
    } finally {
      restore();
    }
    if (outcome.type === "blocked") return { steps: executor.collected };
    if (!collect) await finish(ctx, workflowId, generationNumber, outcome.runResult);
    return { runResult: outcome.runResult, steps: executor.collected };
  }

  async function runHandler(
    ctx: GenericMutationCtx<GenericDataModel>,
    step: ReturnType<typeof createWorkflowCtx>,
    args: unknown,
    logger: Logger,
  ): Promise<RunResult> {
    try {
      if (argsValidator) validate(argsValidator, args, { throw: true, db: ctx.db });
      const returnValue = (await definition.handler(step, args as ObjectType<ArgsValidator>)) ?? null;
      if (returnsValidator) {
        try {
          validate(returnsValidator, returnValue, { throw: true });
        } catch (error) {
          const message = error instanceof ValidationError ? error.message : formatErrorWithStack(error);
          logThrown(logger, "error", `Workflow ${step.workflowId} returned an invalid value`, message);
          return { kind: "failed", error: limitErrorLength(`Invalid return value: ${message}`) };
        }
      }
      return { kind: "success", returnValue };
    } catch (error) {
      explainHiddenGlobalError(error);
      const message = formatErrorWithStack(error);
      logThrown(logger, "error", `Workflow ${step.workflowId} failed`, error);
      return { kind: "failed", error: message };
    }
  }

  return mutation;
}
