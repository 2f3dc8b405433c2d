// The app-side workflow mutation. `workflow.define` returns it and the app exports it.
// Called with `{ args, ... }` it starts a workflow; called by the component with
// `{ workflowId, generationNumber }` it is a replay: replay the handler against its journal
// and move on; called by the coordinator with `{ group }` (executor mode) it replays a group
// of workflows and returns the steps each asks for next, for the component to journal.
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
import { formatErrorWithStack, limitErrorLength } from "../../shared/errors.js";
import { type OnCompleteArgs, vWorkflowId, type WorkflowId } from "../../shared/types.js";
import { deploymentEnv } from "../deploymentEnv.js";
import { explainHiddenGlobalError, installEnvironment } from "./environment.js";
import type { WorkflowDefinition, WorkflowHandler } from "../index.js";
import { Replayer, type StepCall, type TaskRouting } from "./replayer.js";
import { CollectingJournal, ComponentJournal, type StepJournal } from "./stepJournal.js";
import { DEFAULT_BATCH_STEPS, DEFAULT_WEBHOOK_PATH_PREFIX } from "../../shared/limits.js";
import {
  type JournalEntry,
  type ReplayOutcome,
  type StartFlow,
  vReplayItem,
  vReplayOutcome,
  vStartFlow,
} from "../../shared/protocol.js";
import type { InferFromOptionalValidator, RunResult, WorkflowComponent, WorkflowMutationResult } from "../types.js";
import { checkFlowDefinition, checkStartArgs, checkTags, checkWorkpoolOptions } from "../../shared/validateOptions.js";
import { flowOfStart } from "./flowOptions.js";
import { createWorkflowCtx, type WebhookSettings } from "./workflowContext.js";
import { checkVersion } from "../../shared/versioning.js";
import { attachDefinition, type ContinueAsNew, runControls } from "./runControls.js";
import { startMany } from "./startMany.js";

export type WorkflowArgs<V extends PropertyValidators, Context = unknown> = {
  /** The handler's arguments. */
  args: ObjectType<V>;
  /** Schedule the first replay instead of running it in the caller's transaction. */
  startAsync?: boolean;
  /** Flow control: a start with the key of an existing workflow of this definition returns its id. */
  idempotencyKey?: string;
  /** Flow control: among queued workflows of the same key, higher begins first. */
  priority?: number;
  /** Tags to filter by in `list` (at most 16; keys 1–64 printable ASCII characters, values up to 256). */
  tags?: Record<string, string>;
} & (
  | {
      /** A function handle (`createFunctionHandle`) of a mutation to call when the workflow finishes. */
      onComplete: FunctionHandle<"mutation", OnCompleteArgs<Context>>;
      /** Passed through to `onComplete`. */
      context: Context;
    }
  | { onComplete?: undefined; context?: undefined }
);

/** `new WorkflowManager(c, { retention })` (ms per finished status), checked (checkRetention). */
export type RetentionOptions = { completed?: number; failed?: number; canceled?: number };

/** `new WorkflowManager(c, { webhooks })`, checked (checkWebhookOptions). */
export type WebhookOptions = { baseUrl?: string; pathPrefix?: string };

/**
 * The webhook URL parts a replay's `step.createWebhook` uses. Called outside the handler's
 * sandbox (which hides `process`): CONVEX_SITE_URL is read here, at each replay.
 */
function webhookSettings(component: WorkflowComponent, options: WebhookOptions | undefined): WebhookSettings {
  const siteUrl = deploymentEnv("CONVEX_SITE_URL");
  return {
    component,
    baseUrl: options?.baseUrl ?? (siteUrl ? siteUrl.replace(/\/+$/, "") : undefined),
    pathPrefix: options?.pathPrefix ?? DEFAULT_WEBHOOK_PATH_PREFIX,
  };
}

const vReplay = v.object({ workflowId: vWorkflowId, generationNumber: v.number() });
const vStart = v.object({
  args: v.any(),
  startAsync: v.optional(v.boolean()),
  onComplete: v.optional(v.string()),
  context: v.optional(v.any()),
  idempotencyKey: v.optional(v.string()),
  priority: v.optional(v.number()),
  tags: v.optional(v.record(v.string(), v.string())),
});

/** `startMany` (the client's): every workflow's arguments, and the options they share. */
const vStartMany = v.object({
  argsList: v.array(v.any()),
  tags: v.optional(v.record(v.string(), v.string())),
  onComplete: v.optional(v.string()),
  context: v.optional(v.any()),
});

const USAGE =
  "To start a workflow by calling its mutation directly, nest the handler's arguments: { args: { ...yourArgs } }";

function vRunResult(returns: Validator<any, "required", any> | PropertyValidators | undefined) {
  return v.union(
    v.object({ kind: v.literal("success"), returnValue: returns ? asObjectValidator(returns) : v.any() }),
    v.object({ kind: v.literal("failed"), error: v.string() }),
    v.object({ kind: v.literal("canceled") }),
  );
}

export function workflowMutation<
  ArgsValidator extends PropertyValidators,
  ReturnsValidator extends Validator<any, "required", any> | void,
>(
  component: WorkflowComponent,
  definition: WorkflowDefinition<ArgsValidator, ReturnsValidator> & {
    handler: WorkflowHandler<ArgsValidator, ReturnsValidator>;
  },
  defaultWorkpoolOptions?: WorkpoolOptions,
  routing?: TaskRouting,
  webhookOptions?: WebhookOptions,
  /** The manager's `retention` option (checked): sent with each start, stored when it changed. */
  retention?: RetentionOptions,
): RegisteredMutation<
  "internal",
  WorkflowArgs<ArgsValidator>,
  WorkflowMutationResult<InferFromOptionalValidator<ReturnsValidator>>
> {
  // Checked here, when the module loads: a bad value fails the deploy, not a later step.
  checkWorkpoolOptions("workflow.define", definition.workpoolOptions);
  const version = checkVersion("workflow.define", definition.version);
  checkFlowDefinition("workflow.define", definition);
  const workpoolOptions: WorkpoolOptions = { ...defaultWorkpoolOptions, ...definition.workpoolOptions };
  const argsValidator = definition.args ? asObjectValidator(definition.args) : undefined;
  const returnsValidator = definition.returns ? asObjectValidator(definition.returns) : undefined;

  const mutation = internalMutationGeneric({
    // One object with every field optional (Convex args must be an object); the handler
    // tells the two shapes apart. `usage` is never passed: it puts the hint in the
    // validation error a caller sees when they forget to nest the arguments.
    args: v.object({
      ...vReplay.partial().fields,
      ...vStart.partial().fields,
      args: v.optional(argsValidator ?? v.any()),
      /** A replay group, sent by the component's coordinator (executor mode). */
      group: v.optional(v.array(vReplayItem)),
      /** `restart` with new args: the component asks this definition to check them (nothing runs). */
      checkArgs: v.optional(v.object({ workflowId: vWorkflowId, args: v.any() })),
      /** startMany: validated here item by item, then created by the component's `createMany`. */
      many: v.optional(vStartMany),
      usage: v.optional(v.literal(USAGE)),
    }),
    returns: v.union(
      vWorkflowId,
      v.object({ kind: v.literal("complete"), runResult: vRunResult(definition.returns ?? undefined) }),
      v.object({ kind: v.literal("group"), results: v.array(vReplayOutcome) }),
      v.array(vWorkflowId),
      /** `checkArgs`: the args are valid; flow control's gates computed from them (their keys). */
      v.object({ kind: v.literal("checkedArgs"), flow: v.optional(vStartFlow) }),
    ),
    handler: async (
      ctx,
      rawArgs,
    ): Promise<
      | WorkflowMutationResult<any>
      | { kind: "group"; results: ReplayOutcome[] }
      | WorkflowId[]
      | { kind: "checkedArgs"; flow?: StartFlow }
    > => {
      const logger = createLogger(workpoolOptions.logLevel);
      if (rawArgs.checkArgs) {
        // The component's `restart` with `args`: validated like a start, before anything changes.
        const { workflowId, args } = rawArgs.checkArgs;
        if (argsValidator) {
          try {
            validate(argsValidator, args, { throw: true, db: ctx.db });
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            throw new Error(`Invalid args to restart workflow ${workflowId} with: ${message}`);
          }
        }
        // Flow control: the new args may have other keys (a bad key throws here, nothing changed).
        const { name } = await ctx.meta.getFunctionMetadata();
        const flow = flowOfStart(name, definition, { args });
        return { kind: "checkedArgs", ...(flow && { flow }) };
      }
      if (rawArgs.many) {
        const { name } = await ctx.meta.getFunctionMetadata();
        return await startMany(ctx, component, name, rawArgs.many, {
          argsValidator,
          maxParallelism: workpoolOptions.maxParallelism,
          coordinated: routing !== undefined,
          version,
          retention,
          flowOf: (args) => flowOfStart(name, definition, { args }),
        });
      }
      if (rawArgs.group) {
        // Replay several workflows of this definition in one call; the component journals
        // the steps each one asks for next (or finishes it) in the same transaction.
        const results: ReplayOutcome[] = [];
        for (const item of rawArgs.group) {
          const steps = new CollectingJournal();
          const end = await replay(ctx, item.workflowId as WorkflowId, {
            args: item.args,
            journal: item.journal,
            logger,
            steps,
          });
          const runResult = end?.kind === "continueAsNew" ? undefined : end;
          results.push({
            workflowId: item.workflowId,
            ...(runResult && { runResult }),
            ...(end?.kind === "continueAsNew" && { continueAsNew: { args: end.args, version } }),
            steps: steps.steps,
            workpoolOptions,
          });
        }
        return { kind: "group", results };
      }
      if (validate(vStart, rawArgs)) {
        checkStartArgs({ args: rawArgs.args, onComplete: rawArgs.onComplete, context: rawArgs.context });
        const tags = checkTags("start", rawArgs.tags);
        const { name } = await ctx.meta.getFunctionMetadata();
        // Flow control: keys computed from the args here (a bad key throws before anything is
        // written); with any, the component decides whether the workflow begins now.
        const flow = flowOfStart(name, definition, rawArgs);
        const workflowId = (await ctx.runMutation(component.workflow.create, {
          workflowName: name,
          workflowHandle: await createFunctionHandle(makeFunctionReference<"mutation">(name)),
          workflowArgs: rawArgs.args,
          maxParallelism: workpoolOptions.maxParallelism,
          onComplete: rawArgs.onComplete ? { fnHandle: rawArgs.onComplete, context: rawArgs.context } : undefined,
          startAsync: rawArgs.startAsync || undefined,
          ...(version !== 0 && { version }),
          createOnly: (!rawArgs.startAsync && !flow) || undefined,
          flow,
          ...(tags ? { tags } : {}),
          ...(retention ? { retention } : {}),
        })) as unknown as WorkflowId;
        if (!rawArgs.startAsync && !flow) {
          // The first replay runs here, in the caller's transaction: its journal is empty.
          await replayAlone(ctx, workflowId, 0, { args: rawArgs.args, journal: [], logger });
        }
        return workflowId;
      }
      if (!validate(vReplay, rawArgs)) {
        throw new Error(`Invalid arguments for workflow: ${USAGE}`);
      }
      const { workflowId, generationNumber } = rawArgs;
      const loaded = await ctx.runQuery(component.journal.load, { workflowId, generationNumber });
      const console = createLogger(loaded.logLevel);
      switch (loaded.state) {
        case "stale":
        case "finished":
        case "blocked":
          console.debug(
            `Replay of workflow ${workflowId} (generation ${generationNumber}): ${loaded.state}, nothing to do`,
          );
          return workflowId;
        case "tooLarge":
          await finish(ctx, workflowId, generationNumber, { kind: "failed", error: loaded.error! });
          return workflowId;
        case "ready": {
          if (loaded.journal.length === 0 && (loaded.workflow.version ?? 0) !== version) {
            // The first replay of a run that its creator could not version (a nested workflow,
            // or a start before a deploy): the run takes the version of the code running it.
            await ctx.runMutation(component.versioning.stampVersion, { workflowId, generationNumber, version });
          }
          const runResult = await replayAlone(ctx, workflowId, generationNumber, {
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
   * Replay one workflow on its own: its new steps go to `startSteps`, and a finished handler
   * completes it. Returns the handler's result if it finished.
   */
  async function replayAlone(
    ctx: GenericMutationCtx<GenericDataModel>,
    workflowId: WorkflowId,
    generationNumber: number,
    options: { args: unknown; journal: JournalEntry[]; logger: Logger },
  ): Promise<RunResult | undefined> {
    const steps = new ComponentJournal({ ctx, component, workflowId, generationNumber, workpoolOptions });
    const end = await replay(ctx, workflowId, { ...options, steps });
    if (end?.kind === "continueAsNew") {
      await ctx.runMutation(component.versioning.continueAsNew, {
        workflowId,
        generationNumber,
        args: end.args,
        version,
      });
      return undefined;
    }
    if (end) await finish(ctx, workflowId, generationNumber, end);
    return end;
  }

  /**
   * Replay the handler against `journal`, journaling the steps it asks for next in `steps`.
   * Returns its result if it finished (undefined while it waits on steps); completing the
   * workflow is the caller's (a replay group leaves it to the component).
   */
  async function replay(
    ctx: GenericMutationCtx<GenericDataModel>,
    workflowId: WorkflowId,
    { args, journal, logger, steps }: { args: unknown; journal: JournalEntry[]; logger: Logger; steps: StepJournal },
  ): Promise<RunResult | ContinueAsNew | undefined> {
    const maxBatch = workpoolOptions.maxParallelism ?? DEFAULT_BATCH_STEPS;
    const channel = new BaseChannel<StepCall>(maxBatch);
    const replayer = new Replayer({
      workflowId,
      ctx,
      entries: journal,
      journal: steps,
      channel,
      replayTime: Date.now(),
      maxBatch,
      routing,
      version,
    });
    const run = runControls(replayer, (next) => checkContinueArgs(ctx, next));
    const step = createWorkflowCtx(workflowId, channel, webhookSettings(component, webhookOptions), {}, run.controls);
    const restore = installEnvironment(workflowId, replayer.clock);
    let outcome: { type: "done"; runResult: RunResult } | { type: "blocked" } | { type: "continue"; args: unknown };
    try {
      const handlerDone = (async () => ({
        type: "done" as const,
        runResult: await runHandler(ctx, step, args, logger),
      }))();
      const replayerRun = replayer.run();
      outcome = await Promise.race([run.continued, handlerDone, replayerRun]);
      if (outcome.type === "continue") {
        // Let a batch being journaled finish; the next run deletes this run's journal.
        handlerDone.catch(() => undefined);
        replayerRun.catch(() => undefined);
        await replayer.stop();
      }
      if (outcome.type === "done" && !replayer.clock().latest) {
        // 0.4.8 completes such a workflow, so it is not failed; but a step it journaled
        // was not asked for again (a deploy dropped steps, or a branch on the real world).
        logger.warn(
          `Workflow ${workflowId} finished without asking again for all the steps in its journal: ` +
            "the handler is not deterministic, or changed while the workflow ran. See docs/determinism.md.",
        );
      }
      if (outcome.type === "done") {
        // Let a batch being journaled finish before the workflow is completed.
        replayerRun.catch(() => undefined);
        await replayer.stop();
      }
    } catch (error) {
      // The replayer failed: a determinism violation, an oversized journal, a step that
      // could not be journaled. The workflow fails with that error.
      // The message leads (e.g. "Journal entry mismatch: ..."), the stack follows.
      const full = formatErrorWithStack(error);
      const head = error instanceof Error ? error.toString() : "";
      const message = error instanceof Error && full.startsWith(head) ? error.message + full.slice(head.length) : full;
      outcome = { type: "done", runResult: { kind: "failed", error: message } };
    } finally {
      restore();
    }
    if (outcome.type === "continue") return { kind: "continueAsNew", args: outcome.args };
    return outcome.type === "done" ? outcome.runResult : undefined;
  }

  /** `step.continueAsNew(args)`: the args must pass the definition's validator and size limit. */
  function checkContinueArgs(ctx: GenericMutationCtx<GenericDataModel> | undefined, next: unknown): void {
    if (argsValidator) {
      try {
        validate(argsValidator, next, { throw: true, ...(ctx && { db: ctx.db }) });
      } catch (error) {
        const message = error instanceof ValidationError ? error.message : String(error);
        throw new Error(`step.continueAsNew: the new run's args do not match the workflow's \`args\`: ${message}`);
      }
    }
    checkStartArgs({ args: next });
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

  // For `replayJournal` (convex-workflow/test): the handler, without a database.
  attachDefinition(mutation, {
    handler: definition.handler as WorkflowHandler<any, any>,
    version,
    checkArgs: (next) => checkContinueArgs(undefined, next),
    argsValidator,
  });
  return mutation;
}
