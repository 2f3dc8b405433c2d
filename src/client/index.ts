// convex-workflow: durable workflows for Convex.
//
//   const workflow = new WorkflowManager(components.workflow);
//   export const onboard = workflow.define({ args, handler: async (step, args) => { ... } });
//   await workflow.start(ctx, internal.file.onboard, { ... });
import type { WorkpoolOptions, WorkpoolRetryOptions } from "@convex-dev/workpool";
import { parse } from "convex-helpers/validators";
import {
  createFunctionHandle,
  internalActionGeneric,
  type RegisteredAction,
  type FunctionArgs,
  type FunctionReturnType,
  type FunctionReference,
  type FunctionVisibility,
  type GenericActionCtx,
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  type PaginationOptions,
  type PaginationResult,
  type RegisteredMutation,
  type ReturnValueForOptionalValidator,
} from "convex/server";
import type { ObjectType, PropertyValidators, Validator } from "convex/values";
import type { Step } from "../component/schema.js";
import type { EventId, OnCompleteArgs, PublicWorkflow, WorkflowId, WorkflowStep } from "../shared/types.js";
import { functionName } from "./functionName.js";
import type {
  IdsToStrings,
  InferFromOptionalValidator,
  RunResult,
  WorkflowComponent,
  WorkflowMutationResult,
} from "./types.js";
import type { WorkflowCtx } from "./replay/workflowContext.js";
import { exportJournal, type ExportedJournal } from "./exportJournal.js";
import {
  type RetentionOptions,
  type WebhookOptions,
  type WorkflowArgs,
  workflowMutation,
} from "./replay/workflowMutation.js";
import { makeExecutor } from "./executor/executor.js";
import type { ExecutorOptions } from "./executor/options.js";
import type { ExecutorAction } from "./executor/tasks.js";
import type { TaskRouting } from "./replay/replayer.js";
import {
  checkExecutorOptions,
  checkExecutorShards,
  checkRetention,
  checkTags,
  checkStartManyList,
  checkWebhookOptions,
  checkWorkpoolOptions,
} from "../shared/validateOptions.js";

export { vResultValidator } from "@convex-dev/workpool";
export {
  type EventId,
  type PublicWorkflow,
  vEventId,
  vWorkflowId,
  vWorkflowStep,
  type WorkflowId,
  type WorkflowStep,
} from "../shared/types.js";
export type { RunResult, WorkflowComponent, WorkflowMutationResult } from "./types.js";
export type {
  CreateWebhookOptions,
  RunOptions,
  StepDefaults,
  WaitUntilOptions,
  WorkflowCtx,
  WorkflowJournal,
} from "./replay/workflowContext.js";
export { registerWebhooks, type RegisterWebhooksOptions } from "./webhooks.js";
export type { RetentionOptions, WebhookOptions } from "./replay/workflowMutation.js";
export {
  bearerTokenAuth,
  type ConsoleAuthorize,
  registerConsole,
  type RegisterConsoleOptions,
} from "./console/index.js";
export { isTimeoutError, WorkflowTimeoutError } from "./replay/workflowContext.js";
export type { ExecutorOptions } from "./executor/options.js";
export { WorkflowRateLimitError } from "./executor/retries.js";
export { exportJournal, type ExportedJournal } from "./exportJournal.js";
export type { WorkflowArgs } from "./replay/workflowMutation.js";

type QueryCtx = Pick<GenericQueryCtx<GenericDataModel>, "runQuery">;
type MutationCtx = Pick<GenericMutationCtx<GenericDataModel>, "runQuery" | "runMutation">;
type ActionCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery" | "runMutation" | "runAction">;
/** A workflow, as `internal.<module>.<name>` refers to it. */
type WorkflowRef = FunctionReference<"mutation", "internal">;
/** Any function's ctx: reads go through `runQuery`. */
type ReadCtx = QueryCtx | MutationCtx | ActionCtx;

export type CallbackOptions<Context = unknown> =
  | {
      /**
       * A mutation called once when the workflow succeeds, fails or is canceled, with
       * `{ workflowId, result, context }` (validate with `vWorkflowId`, `vResultValidator`).
       */
      onComplete: FunctionReference<"mutation", FunctionVisibility, OnCompleteArgs<Context>>;
      /** Passed through to `onComplete`. */
      context: Context;
    }
  | { onComplete?: undefined; context?: undefined };

export type WorkflowDefinition<
  ArgsValidator extends PropertyValidators,
  ReturnsValidator extends Validator<any, "required", any> | void = any,
> = {
  args?: ArgsValidator;
  returns?: ReturnsValidator;
  workpoolOptions?: WorkpoolRetryOptions;
  /**
   * The definition's version (a whole number, default 0), stored on each run and on every
   * journal entry. Raise it when the handler changes and branch on `step.journal.getVersion()`
   * so runs in flight keep replaying (docs/versioning.md).
   */
  version?: number;
} & FlowControlOptions<ObjectType<ArgsValidator>>;

/**
 * Flow control on a definition (docs/flow-control.md). Each `key` is computed from the args
 * when a workflow starts, and must return a string of 1 to 256 characters.
 */
export type FlowControlOptions<Args> = {
  /** At most `limit` workflows of this definition run at once (per `key`); the rest wait queued. */
  concurrency?: { limit: number; key?: (args: Args) => string };
  /** In any window of `periodMs` (sliding), at most `count` of them begin (per `key`); the rest wait queued. */
  rateLimit?: { count: number; periodMs: number; key?: (args: Args) => string };
  /**
   * Starts with the same `key` within the window coalesce into one workflow (each start returns
   * its id) that begins `delayMs` after the last start, no later than `maxDelayMs` after the first,
   * with the latest args.
   */
  debounce?: { delayMs: number; maxDelayMs?: number; key: (args: Args) => string };
};

export type WorkflowHandler<
  ArgsValidator extends PropertyValidators,
  ReturnsValidator extends Validator<any, "required", any> | void,
> = (
  step: WorkflowCtx<ObjectType<ArgsValidator>>,
  args: ObjectType<ArgsValidator>,
) => Promise<ReturnValueForOptionalValidator<ReturnsValidator>>;

export type WorkflowStatus =
  /** Flow control: waiting to begin (a concurrency slot, a rate limit's window, a debounce window). */
  | { type: "queued" }
  | { type: "inProgress"; running: IdsToStrings<Step>[] }
  | { type: "completed"; result: unknown }
  | { type: "canceled" }
  | { type: "failed"; error: string }
  | { type: "paused" };

type ListOptions = { order?: "asc" | "desc"; paginationOpts?: PaginationOptions };
/** A workflow's lifecycle status, as `list` filters by it and `PublicWorkflow.status` reports it. */
export type WorkflowLifecycleStatus = PublicWorkflow["status"];
/**
 * Which workflows `list`, `cancelMany` and `restartMany` select (every field optional, all
 * combined): by name (the workflow function's name, "file:fn"), status and one tag. Every
 * combination is one index range (docs/managing-workflows.md).
 */
export type ListFilter = { name?: string; status?: WorkflowLifecycleStatus; tag?: { key: string; value: string } };
function filterOf(opts?: ListFilter): ListFilter {
  const filter: ListFilter = {};
  if (opts?.name !== undefined) filter.name = opts.name;
  if (opts?.status !== undefined) filter.status = opts.status;
  if (opts?.tag !== undefined) filter.tag = { key: opts.tag.key, value: opts.tag.value };
  return filter;
}
const listDefaults = (opts?: ListOptions) => ({
  order: opts?.order ?? ("asc" as const),
  paginationOpts: opts?.paginationOpts ?? { cursor: null, numItems: 100 },
});

// The definitions below spell out their return type as `RegisteredMutation<...>` on purpose,
// never through a type alias of it. Convex's `ApiFromModules` recovers a function's args and
// returns by inferring `RegisteredMutation<infer V, infer Args, infer Returns>`, and
// RegisteredMutation does not use Args or Returns structurally: TypeScript can only infer them
// from the alias's own type arguments. Wrapped in another alias, `internal.*` loses them
// (args become `DefaultFunctionArgs`, `step.runWorkflow` resolves to `never`).
// typetests/convex/checks.ts guards this.

/**
 * Define a workflow without a manager:
 * `export const w = defineWorkflow(components.workflow, { args }).handler(async (step, args) => ...)`.
 */
export function defineWorkflow<AV extends PropertyValidators, RV extends Validator<any, "required", any> | void = void>(
  component: WorkflowComponent,
  config: WorkflowDefinition<AV, RV>,
): {
  handler(
    fn: (step: WorkflowCtx<ObjectType<AV>>, args: ObjectType<AV>) => Promise<ReturnValueForOptionalValidator<RV>>,
  ): RegisteredMutation<"internal", WorkflowArgs<AV>, WorkflowMutationResult<InferFromOptionalValidator<RV>>>;
} {
  return { handler: (fn) => workflowMutation(component, { ...config, handler: fn }) };
}

type StartOptions<Context = unknown> = CallbackOptions<Context> & {
  /** Create the workflow and schedule its first replay, instead of running it now. */
  startAsync?: boolean;
  /**
   * While a workflow of this definition started with this key exists (until cleanup), a start
   * with it returns that workflow's id and starts nothing. 1 to 256 characters.
   */
  idempotencyKey?: string;
  /** Among queued workflows of the same key, higher begins first (FIFO within one). Default 0. */
  priority?: number;
  /**
   * Tags to find it by (`list({ tag: { key, value } })`): at most 16 pairs, keys 1–64 printable
   * ASCII characters (not starting with "$"), values up to 256 characters.
   */
  tags?: Record<string, string>;
};

/**
 * Start a workflow; returns its id. Unless `startAsync`, the handler runs up to its first
 * step in this transaction, so bad arguments or references fail here.
 */
export async function start<Context = unknown, F extends WorkflowRef = WorkflowRef>(
  ctx: MutationCtx | ActionCtx,
  workflow: F,
  args: FunctionArgs<F>["args"],
  options?: StartOptions<Context>,
): Promise<WorkflowId> {
  if (options?.onComplete && !("context" in options)) {
    throw new Error("start: `context` is required when `onComplete` is given (pass `context: undefined` if unused).");
  }
  const call: Record<string, unknown> = { args };
  if (options?.onComplete) call.onComplete = await createFunctionHandle(options.onComplete);
  if (options?.context !== undefined) call.context = options.context;
  if (options?.startAsync !== undefined) call.startAsync = options.startAsync;
  if (options?.idempotencyKey !== undefined) call.idempotencyKey = options.idempotencyKey;
  if (options?.priority !== undefined) call.priority = options.priority;
  if (options?.tags !== undefined) {
    checkTags("start", options.tags);
    call.tags = options.tags;
  }
  return await ctx.runMutation(workflow, call);
}

/** `startMany`'s options: those of `start`, for every workflow (`startAsync` is implied). */
export type StartManyOptions<Context = unknown> = CallbackOptions<Context> & {
  /** Tags for every workflow of the call (as `start`'s `tags`). */
  tags?: Record<string, string>;
};

/**
 * Start many workflows of one definition at once (up to 1,000 per call, their arguments
 * totalling at most 8 MiB), in this transaction; returns their ids in the order of `argsList`.
 * Every argument object is checked first: one invalid item fails the call, naming its index,
 * and nothing is created. First replays are scheduled (like `startAsync`); in executor mode
 * the coordinator replays them in groups.
 */
export async function startMany<Context = unknown, F extends WorkflowRef = WorkflowRef>(
  ctx: MutationCtx | ActionCtx,
  _component: WorkflowComponent,
  workflow: F,
  argsList: FunctionArgs<F>["args"][],
  options?: StartManyOptions<Context>,
): Promise<WorkflowId[]> {
  if (options?.onComplete && !("context" in options)) {
    throw new Error(
      "startMany: `context` is required when `onComplete` is given (pass `context: undefined` if unused).",
    );
  }
  checkStartManyList(argsList, options?.context, options?.tags);
  if (argsList.length === 0) return [];
  const many: Record<string, unknown> = { argsList };
  if (options?.onComplete) many.onComplete = await createFunctionHandle(options.onComplete);
  if (options?.context !== undefined) many.context = options.context;
  if (options?.tags !== undefined) {
    checkTags("startMany", options.tags);
    many.tags = options.tags;
  }
  // The workflow mutation's public args are `{ args, ... }`; `many` is its internal shape.
  return await ctx.runMutation(workflow, { many });
}

/** A workflow's status: in progress (with its running steps), completed, failed or canceled. Reactive. */
export async function getStatus(
  ctx: ReadCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
): Promise<WorkflowStatus> {
  const { workflow, inProgress } = await ctx.runQuery(component.workflow.getStatus, { workflowId });
  const result = workflow.runResult;
  if (!result && workflow.queued) return { type: "queued" };
  if (!result && workflow.paused) return { type: "paused" };
  if (!result) return { type: "inProgress", running: inProgress.map((e) => e.step as IdsToStrings<Step>) };
  switch (result.kind) {
    case "success":
      return { type: "completed", result: result.returnValue };
    case "failed":
      return { type: "failed", error: result.error };
    case "canceled":
      return { type: "canceled" };
  }
}

/** Cancel a running workflow: pending steps and running child workflows are canceled too. */
export async function cancel(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
): Promise<void> {
  await ctx.runMutation(component.workflow.cancel, { workflowId });
}

/** `restart`'s options. */
export type RestartOptions = {
  /**
   * Where to re-run from: a step number, a step name (the last one with that name), a function
   * reference, or `"failed"`: the first failed step. That step and every later one are deleted
   * first; without `from`, the handler replays the whole journal.
   */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- "failed" documents the special value
  from?: number | "failed" | string | FunctionReference<any, any>;
  /** Schedule the replay instead of running it in this transaction. */
  startAsync?: boolean;
  /**
   * New arguments for the handler, validated by the workflow's `args` validator (like a start)
   * before anything changes; an invalid value throws and the workflow stays as it was.
   */
  args?: unknown;
};

/** Run a finished workflow again (see `RestartOptions`). */
export async function restart(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
  options?: RestartOptions,
): Promise<void> {
  const from = options?.from;
  await ctx.runMutation(component.workflow.restart, {
    workflowId,
    from: from === undefined || typeof from === "number" || typeof from === "string" ? from : functionName(from),
    startAsync: options?.startAsync,
    ...(options?.args !== undefined ? { args: options.args } : {}),
  });
}

/**
 * Send an event to a workflow, by `workflowId` and `name` or by event `id`. With a
 * `validator` the value is checked first; with `error` the awaiting step throws it.
 */
export async function sendEvent<T = null, Name extends string = string>(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  args: (
    | { workflowId: WorkflowId; name: Name; id?: EventId<Name> }
    | { workflowId?: undefined; name?: Name; id: EventId<Name> }
  ) &
    (
      | { validator?: undefined; value?: T }
      | { validator: Validator<T, any, any>; value: T }
      | { error: string; value?: undefined }
    ),
): Promise<EventId<Name>> {
  let result: RunResult;
  if ("error" in args && args.error !== undefined) {
    result = { kind: "failed", error: args.error };
  } else {
    const { validator, value } = args as { validator?: Validator<T, any, any>; value?: T };
    result = { kind: "success", returnValue: validator ? parse(validator, value) : (value ?? null) };
  }
  return (await ctx.runMutation(component.event.send, {
    eventId: args.id,
    name: args.name,
    workflowId: args.workflowId,
    result,
  })) as EventId<Name>;
}

/**
 * Re-check the `step.waitUntil` conditions of a workflow now. Call it after changing the
 * data a condition reads; without it, conditions are re-checked on their back-off.
 */
export async function notify(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
): Promise<void> {
  await ctx.runMutation(component.wait.notify, { workflowId });
}

/** Create an event ahead of time, so its id can be handed out and awaited with `{ id }`. */
export async function createEvent<Name extends string>(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  args: { name: Name; workflowId: WorkflowId },
): Promise<EventId<Name>> {
  return (await ctx.runMutation(component.event.create, args)) as EventId<Name>;
}

/**
 * Workflows with their name, args, context, result, tags, status and times. Default: 100,
 * oldest first; at most 1000 a page, fewer once the page has read about 4 MiB (follow
 * `continueCursor`). Filter by `name`, `status` and `tag` (any combination, through indexes).
 */
export async function list(
  ctx: ReadCtx,
  component: WorkflowComponent,
  opts?: ListOptions & ListFilter,
): Promise<PaginationResult<PublicWorkflow>> {
  return (await ctx.runQuery(component.workflow.list, {
    ...listDefaults(opts),
    ...filterOf(opts),
  })) as PaginationResult<PublicWorkflow>;
}

/**
 * Pause a running workflow: steps in flight finish and are recorded, but nothing new starts
 * (no replay runs; timers and events that arrive wait) until `resume`. Status `{ type: "paused" }`.
 */
export async function pause(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
): Promise<void> {
  await ctx.runMutation(component.workflow.pause, { workflowId });
}

/** What `cancelMany` / `restartMany` return: the count when done at once, else a job to follow. */
export type BulkResult = { count: number } | { jobId: string };
export type BulkProgress = FunctionReturnType<WorkflowComponent["bulk"]["bulkProgress"]>;

/**
 * Cancel every running workflow the filter selects (as `cancel` does, nested workflows too), in
 * bounded batches that continue in scheduled functions. Returns `{ count }` when one batch did
 * it all, else `{ jobId }` for `bulkProgress`. Workflows that are not running are skipped.
 */
export async function cancelMany(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  filter: ListFilter,
): Promise<BulkResult> {
  return await ctx.runMutation(component.bulk.cancelMany, { filter: filterOf(filter) });
}

/**
 * Restart every finished workflow the filter selects, from step `from` (default 0: from the
 * start) or `"failed"` (each from its first failed step; one without is skipped), in bounded
 * batches like `cancelMany`. Replays are scheduled. Running workflows are skipped.
 */
export async function restartMany(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  filter: ListFilter,
  options?: { from?: number | "failed" },
): Promise<BulkResult> {
  return await ctx.runMutation(component.bulk.restartMany, { filter: filterOf(filter), from: options?.from });
}

/** A `cancelMany` / `restartMany` job's progress: `count` acted on, `skipped`, `done`. Reactive. */
export async function bulkProgress(ctx: ReadCtx, component: WorkflowComponent, jobId: string): Promise<BulkProgress> {
  return await ctx.runQuery(component.bulk.bulkProgress, { jobId });
}

/** Resume a paused workflow exactly where it stopped. A no-op for a running one. */
export async function resume(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
): Promise<void> {
  await ctx.runMutation(component.workflow.resume, { workflowId });
}

/** Like `list`, for the workflows of one name (the workflow function's name, "file:fn"). */
export async function listByName(ctx: ReadCtx, component: WorkflowComponent, name: string, opts?: ListOptions) {
  const page = await ctx.runQuery(component.workflow.listByName, { name, ...listDefaults(opts) });
  return page as PaginationResult<PublicWorkflow>;
}

/** The journal of a workflow: its steps with args, results and times. Default: 100, first first. */
export async function listSteps(
  ctx: ReadCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
  opts?: ListOptions,
) {
  const page = await ctx.runQuery(component.workflow.listSteps, { workflowId, ...listDefaults(opts) });
  return page as PaginationResult<WorkflowStep>;
}

/**
 * Delete a finished workflow with its steps, events and nested workflows. Returns false
 * (and deletes nothing) if it is still running or does not exist.
 */
export async function cleanup(
  ctx: MutationCtx | ActionCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
): Promise<boolean> {
  return await ctx.runMutation(component.workflow.cleanup, { workflowId });
}

export type TimelineWorkflow = FunctionReturnType<WorkflowComponent["timeline"]["timelinePage"]>["page"][number];
export type WorkflowCounts = FunctionReturnType<WorkflowComponent["stats"]["counts"]>;

/**
 * A page of workflows with the life of each step (queued, started where known, finished,
 * outcome), for timelines and dashboards: summaries, without arguments or results. At most
 * 100 workflows a page, fewer once the page has read about 4 MiB (follow `continueCursor`).
 */
export async function timelinePage(
  ctx: ReadCtx,
  component: WorkflowComponent,
  opts: { paginationOpts: PaginationOptions; name?: string; order?: "asc" | "desc"; maxStepsPerWorkflow?: number },
): Promise<PaginationResult<TimelineWorkflow>> {
  return await ctx.runQuery(component.timeline.timelinePage, opts);
}

/**
 * Workflow counts per status: `total` over all names, and `byName` for a page of names (in
 * name order, at most 100; pass `continueCursor` as `cursor` for the next page until
 * `isDone`). With `name`, only that name. Cheap at any number of workflows and names.
 */
export async function counts(
  ctx: ReadCtx,
  component: WorkflowComponent,
  name?: string,
  page?: { cursor?: string | null; numNames?: number },
): Promise<WorkflowCounts> {
  return await ctx.runQuery(component.stats.counts, { name, ...page });
}

/**
 * An event's name and value validator, shared by the side that awaits it and the side
 * that sends it: `step.awaitEvent(approval)`, `sendEvent(ctx, c, { ...approval, workflowId, value })`.
 */
export function defineEvent<Name extends string, V extends Validator<unknown, "required", string>>(spec: {
  name: Name;
  validator: V;
}) {
  return spec;
}

export type WorkflowManagerOptions = {
  workpoolOptions?: WorkpoolOptions;
  /**
   * Executor mode: run every step of this manager's workflows (queries, mutations and
   * actions registered with `workflow.action`) from a task queue split into this many
   * shards, each served by one long-running executor action. See docs/executor-mode.md.
   */
  executorShards?: number;
  /** Tuning for executor mode. */
  executor?: ExecutorOptions;
  /**
   * Webhook URLs (`step.createWebhook`): `baseUrl` (default: the CONVEX_SITE_URL environment
   * variable) and `pathPrefix` (default "/workflow/webhooks"; the same as `registerWebhooks`).
   */
  webhooks?: WebhookOptions;
  /**
   * Delete finished top-level workflows (with their steps, events and nested workflows) this
   * many ms after they finished, per status. Component-wide: stored by the first start of a
   * workflow of this manager, or by `configureRetention`. See docs/managing-workflows.md.
   */
  retention?: RetentionOptions;
};

export class WorkflowManager {
  private readonly actions = new Map<string, ExecutorAction>();
  private executorRef: FunctionReference<"action", "internal"> | undefined;
  private readonly webhooks: WebhookOptions;
  private readonly retention: RetentionOptions | undefined;

  constructor(
    public component: WorkflowComponent,
    public options?: WorkflowManagerOptions,
  ) {
    // Checked here, when the module loads: a bad value fails the deploy, not a later step.
    checkWorkpoolOptions("WorkflowManager", options?.workpoolOptions);
    if (options?.executorShards !== undefined) checkExecutorShards(options.executorShards);
    checkExecutorOptions("WorkflowManager", options?.executor);
    this.webhooks = checkWebhookOptions("WorkflowManager", options?.webhooks);
    this.retention = checkRetention("WorkflowManager", options?.retention);
  }

  /**
   * Store this manager's `retention` periods now (also done by its first start) and make sure
   * the sweep is scheduled. Without a `retention` option it clears them. Call from a mutation.
   */
  async configureRetention(ctx: MutationCtx | ActionCtx): Promise<void> {
    await ctx.runMutation(this.component.retention.configure, { retention: this.retention ?? {} });
  }

  /** The retention periods in force and the sweep's state (next run, workflows deleted so far). */
  async retentionStatus(ctx: ReadCtx) {
    return await ctx.runQuery(this.component.retention.retentionStatus, {});
  }

  private routing(): TaskRouting | undefined {
    const shards = this.options?.executorShards;
    if (shards === undefined) return undefined;
    return {
      shards,
      actionFor: (fn) => {
        const exportName = fn.slice(fn.lastIndexOf(":") + 1);
        return this.actions.has(fn) ? fn : this.actions.has(exportName) ? exportName : undefined;
      },
      executorHandle: async () => (this.executorRef ? await createFunctionHandle(this.executorRef) : undefined),
    };
  }

  /**
   * Executor mode: an action whose steps the executor runs in-process (no separate action
   * invocation per step). Register it under its export name:
   * `export const summarize = workflow.action("summarize", { args, handler })`, then
   * `step.runAction(internal.file.summarize, args)`. It is also a normal internal action.
   */
  action<Args extends PropertyValidators, Returns extends Validator<any, "required", any> | void = void>(
    name: string,
    definition: {
      args: Args;
      returns?: Returns;
      handler: (
        ctx: GenericActionCtx<GenericDataModel>,
        args: ObjectType<Args>,
      ) => Promise<ReturnValueForOptionalValidator<Returns>>;
    },
  ): RegisteredAction<"internal", ObjectType<Args>, ReturnValueForOptionalValidator<Returns>> {
    if (!name || typeof name !== "string") throw new Error("workflow.action needs a name (the action's export name)");
    if (this.actions.has(name))
      throw new Error(`Executor action "${name}" is already registered on this WorkflowManager`);
    this.actions.set(name, { name, args: definition.args, handler: definition.handler as ExecutorAction["handler"] });
    return internalActionGeneric({
      args: definition.args,
      ...(definition.returns ? { returns: definition.returns } : {}),
      handler: definition.handler,
    } as never);
  }

  /** Executor mode: the executor action. Export it, and pass its reference to `setExecutorRef`. */
  executor(options?: ExecutorOptions) {
    return makeExecutor(this.component, this.actions, { ...this.options?.executor, ...options });
  }

  /** Executor mode: where the exported executor lives, e.g. `internal.workflows.executor`. */
  setExecutorRef(ref: FunctionReference<"action", "internal", any, any>): void {
    this.executorRef = ref;
  }

  /**
   * Executor mode: start one executor per shard in a new epoch (older executors stop
   * claiming and drain). Safe to call again. Returns the new epoch. Call from a mutation.
   */
  async startExecutors(ctx: MutationCtx | ActionCtx): Promise<number> {
    const shards = this.options?.executorShards;
    if (shards === undefined) throw new Error("startExecutors: this WorkflowManager has no `executorShards` option");
    if (!this.executorRef) {
      throw new Error("startExecutors: call `workflow.setExecutorRef(internal.<module>.<executor export>)` first");
    }
    return await ctx.runMutation(this.component.executor.shards.startExecutors, {
      shards,
      executorHandle: await createFunctionHandle(this.executorRef),
    });
  }

  /**
   * Executor mode: per-shard executor state and queue depth. Each queue is counted up to
   * `countUpTo` (1 to 1000, default 1000; lower with many shards, so the query stays within
   * its read limits); `queuedIsLowerBound` says when there are more.
   */
  async diagnose(ctx: ReadCtx, options?: { countUpTo?: number }) {
    return await ctx.runQuery(this.component.executor.diagnose.diagnose, { countUpTo: options?.countUpTo });
  }

  /** Define a workflow; export the returned mutation. Also `define({ args }).handler(fn)`. */
  define<AV extends PropertyValidators, RV extends Validator<unknown, "required", string> | void>(
    workflow: WorkflowDefinition<AV, RV> & { handler: WorkflowHandler<AV, RV> },
  ): RegisteredMutation<"internal", WorkflowArgs<AV>, WorkflowMutationResult<InferFromOptionalValidator<RV>>>;
  define<AV extends PropertyValidators, RV extends Validator<unknown, "required", string> | void>(
    workflow: WorkflowDefinition<AV, RV>,
  ): {
    handler(
      fn: (step: WorkflowCtx<ObjectType<AV>>, args: ObjectType<AV>) => Promise<ReturnValueForOptionalValidator<RV>>,
    ): RegisteredMutation<"internal", WorkflowArgs<AV>, WorkflowMutationResult<InferFromOptionalValidator<RV>>>;
  };
  define<AV extends PropertyValidators, RV extends Validator<unknown, "required", string> | void>(
    workflow: WorkflowDefinition<AV, RV> & { handler?: WorkflowHandler<AV, RV> },
  ): unknown {
    const make = (handler: WorkflowHandler<AV, RV>) =>
      workflowMutation(
        this.component,
        { ...workflow, handler },
        this.options?.workpoolOptions,
        this.routing(),
        this.webhooks,
        this.retention,
      );
    return workflow.handler ? make(workflow.handler) : { handler: make };
  }

  /** Start a workflow; see the standalone `start`. */
  async start<Context = unknown, F extends WorkflowRef = WorkflowRef>(
    ctx: MutationCtx | ActionCtx,
    workflow: F,
    args: FunctionArgs<F>["args"],
    options?: StartOptions<Context>,
  ): Promise<WorkflowId> {
    // Always through the workflow mutation, so its argument validators reject bad args
    // here in the caller, with `startAsync` too.
    return await start(ctx, workflow, args, options);
  }

  /** Start many workflows of one definition at once; see the standalone `startMany`. */
  async startMany<Context = unknown, F extends WorkflowRef = WorkflowRef>(
    ctx: MutationCtx | ActionCtx,
    workflow: F,
    argsList: FunctionArgs<F>["args"][],
    options?: StartManyOptions<Context>,
  ): Promise<WorkflowId[]> {
    return await startMany(ctx, this.component, workflow, argsList, options);
  }

  status(ctx: ReadCtx, workflowId: WorkflowId): Promise<WorkflowStatus> {
    return getStatus(ctx, this.component, workflowId);
  }
  cancel(ctx: MutationCtx | ActionCtx, workflowId: WorkflowId): Promise<void> {
    return cancel(ctx, this.component, workflowId);
  }
  restart(ctx: MutationCtx | ActionCtx, workflowId: WorkflowId, options?: RestartOptions): Promise<void> {
    return restart(ctx, this.component, workflowId, options);
  }
  cleanup(ctx: MutationCtx | ActionCtx, workflowId: WorkflowId): Promise<boolean> {
    return cleanup(ctx, this.component, workflowId);
  }
  list(ctx: ReadCtx, opts?: ListOptions & ListFilter): Promise<PaginationResult<PublicWorkflow>> {
    return list(ctx, this.component, opts);
  }
  /** Pause a running workflow; see the standalone `pause`. */
  pause(ctx: MutationCtx | ActionCtx, workflowId: WorkflowId): Promise<void> {
    return pause(ctx, this.component, workflowId);
  }
  /** Cancel every running workflow the filter selects; see the standalone `cancelMany`. */
  cancelMany(ctx: MutationCtx | ActionCtx, filter: ListFilter): Promise<BulkResult> {
    return cancelMany(ctx, this.component, filter);
  }
  /** Restart every finished workflow the filter selects; see the standalone `restartMany`. */
  restartMany(
    ctx: MutationCtx | ActionCtx,
    filter: ListFilter,
    options?: { from?: number | "failed" },
  ): Promise<BulkResult> {
    return restartMany(ctx, this.component, filter, options);
  }
  /** A bulk job's progress; see the standalone `bulkProgress`. */
  bulkProgress(ctx: ReadCtx, jobId: string): Promise<BulkProgress> {
    return bulkProgress(ctx, this.component, jobId);
  }
  /** Resume a paused workflow; see the standalone `resume`. */
  resume(ctx: MutationCtx | ActionCtx, workflowId: WorkflowId): Promise<void> {
    return resume(ctx, this.component, workflowId);
  }
  listByName(ctx: ReadCtx, name: string, opts?: ListOptions): Promise<PaginationResult<PublicWorkflow>> {
    return listByName(ctx, this.component, name, opts);
  }
  listSteps(ctx: ReadCtx, workflowId: WorkflowId, opts?: ListOptions): Promise<PaginationResult<WorkflowStep>> {
    return listSteps(ctx, this.component, workflowId, opts);
  }
  sendEvent<T = null, Name extends string = string>(
    ctx: MutationCtx | ActionCtx,
    args: Parameters<typeof sendEvent<T, Name>>[2],
  ): Promise<EventId<Name>> {
    return sendEvent<T, Name>(ctx, this.component, args);
  }
  createEvent<Name extends string>(
    ctx: MutationCtx | ActionCtx,
    args: { name: Name; workflowId: WorkflowId },
  ): Promise<EventId<Name>> {
    return createEvent(ctx, this.component, args);
  }
  timelinePage(
    ctx: ReadCtx,
    opts: { paginationOpts: PaginationOptions; name?: string; order?: "asc" | "desc"; maxStepsPerWorkflow?: number },
  ): Promise<PaginationResult<TimelineWorkflow>> {
    return timelinePage(ctx, this.component, opts);
  }
  counts(ctx: ReadCtx, name?: string, page?: { cursor?: string | null; numNames?: number }): Promise<WorkflowCounts> {
    return counts(ctx, this.component, name, page);
  }
  /** The workflow's journal for `replayJournal` (convex-workflow/test); see the standalone `exportJournal`. */
  exportJournal(ctx: ReadCtx, workflowId: WorkflowId): Promise<ExportedJournal> {
    return exportJournal(ctx, this.component, workflowId);
  }
  /** Re-check the workflow's `waitUntil` conditions now; see the standalone `notify`. */
  notify(ctx: MutationCtx | ActionCtx, workflowId: WorkflowId): Promise<void> {
    return notify(ctx, this.component, workflowId);
  }
}
