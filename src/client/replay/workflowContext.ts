// `step`: what a workflow handler uses to ask for work. Each call goes down the channel
// to the replayer (replayer.ts) and resolves with the step's result.
import type { RetryBehavior, RetryOption } from "@convex-dev/workpool";
import type { BaseChannel } from "async-channel";
import { parse } from "convex-helpers/validators";
import type {
  ArgsAndOptions,
  FunctionArgs,
  FunctionReference,
  FunctionReturnType,
  FunctionType,
  FunctionVisibility,
} from "convex/server";
import { getConvexSize, type Validator, type Value } from "convex/values";
import {
  DEFAULT_WAIT_MAX_POLL_INTERVAL_MS,
  DEFAULT_WAIT_POLL_INTERVAL_MS,
  DEFAULT_WEBHOOK_NAME,
  MAX_STEP_ARGS_SIZE,
} from "../../shared/limits.js";
import { TIMEOUT_ERROR_PREFIX } from "../../shared/errors.js";
import type { EventId, SchedulerOptions, WorkflowId } from "../../shared/types.js";
import {
  checkBoolean,
  checkDelay,
  checkEventName,
  checkMs,
  checkRetryOption,
  checkSchedule,
  checkWebhookBaseUrl,
  checkWebhookPathPrefix,
  checkWebhookValidatorJson,
  describeValue,
  MIN_POLL_INTERVAL_MS,
} from "../../shared/validateOptions.js";
import { functionName } from "../functionName.js";
import type { StepCall, StepTarget } from "./replayer.js";
import type { RunResult, TransactionLimits, WorkflowComponent, WorkflowReturnType } from "../types.js";

export type RunOptions = {
  /** The step's name in the journal. Default: the function's name, like "folder/file:fn". */
  name?: string;
  /**
   * Don't compare this step's arguments on replay (only its name and kind). For arguments
   * that legitimately differ between replays.
   */
  unstableArgs?: boolean;
} & SchedulerOptions;

/** Defaults for every step run through a ctx made by `step.withOptions`. Call options win. */
export type StepDefaults = {
  unstableArgs?: boolean;
  /** Retry behavior for action steps (ignored for other kinds). */
  retry?: RetryBehavior | boolean;
};

type InlineOptions =
  | {
      /** Run the query or mutation inside the workflow's own transaction. */
      inline: true;
      runAt?: never;
      runAfter?: never;
      /** Per-transaction limits for the inline step; exceeding one fails the step. */
      transactionLimits?: TransactionLimits;
    }
  | {
      inline?: false;
      /** @deprecated Only allowed with `inline: true`. */
      transactionLimits?: TransactionLimits;
    };

export type WorkflowCtx<Args = any> = {
  /** The id of the workflow this handler is running. */
  workflowId: WorkflowId;
  runQuery<Query extends FunctionReference<"query", FunctionVisibility>>(
    query: Query,
    ...args: ArgsAndOptions<Query, RunOptions & InlineOptions>
  ): Promise<FunctionReturnType<Query>>;
  runMutation<Mutation extends FunctionReference<"mutation", FunctionVisibility>>(
    mutation: Mutation,
    ...args: ArgsAndOptions<Mutation, RunOptions & InlineOptions>
  ): Promise<FunctionReturnType<Mutation>>;
  runAction<Action extends FunctionReference<"action", FunctionVisibility>>(
    action: Action,
    ...args: ArgsAndOptions<Action, RunOptions & RetryOption>
  ): Promise<FunctionReturnType<Action>>;
  /** Run another workflow as one step; resolves to its return value, throws if it fails. */
  runWorkflow<Workflow extends FunctionReference<"mutation", "internal">>(
    workflow: Workflow,
    args: FunctionArgs<Workflow>["args"],
    opts?: RunOptions,
  ): Promise<WorkflowReturnType<Workflow>>;
  /**
   * Wait for an event sent to this workflow: by `name`, the first one of that name not yet
   * consumed (waiting if none was sent); by `id`, that event (see `createEvent`).
   */
  awaitEvent<T = unknown, Name extends string = string>(
    event: ({ name: Name; id?: EventId<Name> } | { name?: Name; id: EventId<Name> }) & {
      validator?: Validator<T, any, any>;
      /**
       * Give up after this many ms: the await rejects with a `timed out` error
       * (`isTimeoutError(err)` is true) and the event is closed to sends by its id.
       */
      timeout?: number;
    },
  ): Promise<T>;
  /**
   * Wait until `query(args)` returns something other than null, undefined or false, and
   * resolve with that. Checked at once, then on a back-off from `pollInterval` (default
   * 1 s) doubling up to `maxPollInterval` (default 30 min), and promptly after
   * `notify(ctx, workflowId)` or an event sent to this workflow. One journal entry however
   * many checks. With `timeout` (ms), rejects with a `timed out` error at the deadline.
   */
  waitUntil<Query extends FunctionReference<"query", FunctionVisibility>>(
    query: Query,
    args: FunctionArgs<Query>,
    opts?: WaitUntilOptions,
  ): Promise<Exclude<FunctionReturnType<Query>, null | undefined | false>>;
  /** Pause the workflow for `duration` ms. Costs nothing while it waits. */
  sleep(duration: number, opts?: { name?: string }): Promise<void>;
  /**
   * Make an event of this workflow reachable at an unguessable URL (a journaled step: the
   * same `{ url, eventId }` on every replay). Hand `url` to the outside world; a `POST` to it
   * (route: `registerWebhooks`) delivers its body once. Take the value with
   * `step.awaitEvent({ id: eventId, validator, timeout })`. See docs/webhooks.md.
   */
  createWebhook<Name extends string = string>(
    opts?: CreateWebhookOptions<Name>,
  ): Promise<{
    url: string;
    eventId: EventId<Name>;
  }>;
  /** A ctx that applies `defaults` to every step it runs; chaining merges them. */
  withOptions(defaults: StepDefaults): WorkflowCtx<Args>;
  /** The journal of this run, for changing a workflow while runs are in flight (docs/versioning.md). */
  journal: WorkflowJournal;
  /**
   * End this run and start the workflow again with `args` (checked against the definition's
   * `args`) and an empty journal: same workflow id, `runNumber` + 1, and `onComplete` only
   * when a run finally returns, fails or is canceled. For loops that would outgrow the
   * journal. Never resolves: nothing after it runs.
   */
  continueAsNew(args: Args): Promise<never>;
};

/** `step.journal` (SPEC 4.1). */
export type WorkflowJournal = {
  /**
   * While replaying recorded history, the version recorded on the next journal entry; past
   * it, the definition's current `version`. Branch on it to keep old runs on the old steps:
   * `if (step.journal.getVersion() < 2) { old } else { new }`.
   */
  getVersion(): number;
  /** Steps requested so far in this run (recorded ones skipped with `consumeNext` included). */
  getStepCount(): number;
  /**
   * Skip the next recorded entry (a step a new version no longer asks for) and return it as
   * recorded. Throws past the end of recorded history, and when `name` is given and the
   * entry's name is another.
   */
  consumeNext(name?: string): { name: string; args: unknown; runResult: RunResult | undefined };
};

/** What a replay gives `step` beyond the channel: the journal and how a run continues as new. */
export type RunControls = {
  journal: WorkflowJournal;
  /** Counts a step call as sent, before it reaches the replayer (see Replayer.noteSent). */
  noteSent(): void;
  /** Checks the args and ends the run; never resolves. */
  continueAsNew(args: unknown): Promise<never>;
};

/** Outside a replay (a ctx built without RunControls): every call says so. */
const NO_RUN: RunControls = {
  journal: {
    getVersion: () => notInReplay(),
    getStepCount: () => notInReplay(),
    consumeNext: () => notInReplay(),
  },
  noteSent: () => undefined,
  continueAsNew: async () => notInReplay(),
};
function notInReplay(): never {
  throw new Error("step.journal and step.continueAsNew work only inside a workflow handler's replay");
}

export type CreateWebhookOptions<Name extends string = string> = {
  /** The event's name (what `awaitEvent` and `listSteps` show). Default "webhook". */
  name?: Name;
  /**
   * Checked by the component when a call arrives: a value it rejects is answered 400 and
   * the webhook stays open for a correct delivery.
   */
  validator?: Validator<any, any, any>;
  /** The webhook closes (calls get 410) this many ms after it is made. Default: never. */
  timeout?: number;
  /**
   * Where `registerWebhooks` mounted the route. Default: the manager's `webhooks.pathPrefix`,
   * else "/workflow/webhooks".
   */
  pathPrefix?: string;
  /**
   * The deployment's HTTP address. Default: the manager's `webhooks.baseUrl`, else the
   * `CONVEX_SITE_URL` environment variable.
   */
  baseUrl?: string;
};

/**
 * What `step.createWebhook` needs from the replay machinery: the component, and the URL parts
 * read outside the handler's sandbox (which hides `process`).
 */
export type WebhookSettings = {
  component: WorkflowComponent;
  /** The manager's `webhooks.baseUrl`, else CONVEX_SITE_URL as the replay found it. */
  baseUrl: string | undefined;
  /** The manager's `webhooks.pathPrefix`, else the default. */
  pathPrefix: string;
};

const CREATE_WEBHOOK_OPTIONS = new Set(["name", "validator", "timeout", "pathPrefix", "baseUrl"]);

/** `step.createWebhook(opts)`, checked at the call, before anything is journaled. */
function checkCreateWebhookOptions(opts: unknown): CreateWebhookOptions {
  if (opts === undefined) return {};
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    throw new Error(`createWebhook options must be an object, got ${describeValue(opts)}`);
  }
  const o = opts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!CREATE_WEBHOOK_OPTIONS.has(key) && o[key] !== undefined) {
      throw new Error(
        `createWebhook option \`${key}\` is not an option: it takes { name?, validator?, timeout?, pathPrefix?, baseUrl? }`,
      );
    }
  }
  if (o.name !== undefined) checkEventName("createWebhook", o.name);
  const validator = o.validator as { json?: unknown; isConvexValidator?: unknown } | undefined;
  if (
    validator !== undefined &&
    (typeof validator !== "object" || validator === null || !validator.isConvexValidator)
  ) {
    throw new Error(`createWebhook \`validator\` must be a Convex validator (v.*), got ${describeValue(validator)}`);
  }
  return {
    name: o.name as string | undefined,
    validator: o.validator as Validator<any, any, any> | undefined,
    timeout: checkDuration("createWebhook `timeout`", o.timeout, 1),
    pathPrefix:
      o.pathPrefix === undefined ? undefined : checkWebhookPathPrefix("createWebhook `pathPrefix`", o.pathPrefix),
    baseUrl: o.baseUrl === undefined ? undefined : checkWebhookBaseUrl("createWebhook `baseUrl`", o.baseUrl),
  };
}

export type WaitUntilOptions = {
  /** Give up after this many ms with a `timed out` error. Default: wait forever. */
  timeout?: number;
  /** First delay between checks, in ms. Default 1000. */
  pollInterval?: number;
  /** The delay doubles after each check up to this, in ms. Default 1_800_000 (30 min). */
  maxPollInterval?: number;
  /** The step's name in the journal. Default: the query's name. */
  name?: string;
};

/** The error a step throws when its deadline passes; see `isTimeoutError`. */
export class WorkflowTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowTimeoutError";
  }
}

/** True for the error `awaitEvent({ timeout })` and `waitUntil({ timeout })` reject with. */
export function isTimeoutError(error: unknown): boolean {
  return (
    error instanceof WorkflowTimeoutError || (error instanceof Error && error.message.startsWith(TIMEOUT_ERROR_PREFIX))
  );
}

function checkDuration(what: string, value: unknown, min: number): number | undefined {
  return value === undefined ? undefined : checkMs(what, value, min);
}

/**
 * Reject malformed step options at the call, before anything is journaled. `runAt` is
 * checked against the handler's clock, which replays the time the step was first requested.
 */
function checkRunOptions(opts: { name?: unknown; runAt?: unknown; runAfter?: unknown }): void {
  if (opts.name !== undefined && typeof opts.name !== "string") {
    throw new Error(`Step option \`name\` must be a string, got ${describeValue(opts.name)}`);
  }
  checkSchedule("Step", opts, Date.now());
}

/** `step.withOptions(defaults)`: checked when the ctx is made, like call options. */
function checkStepDefaults(defaults: unknown): StepDefaults {
  if (typeof defaults !== "object" || defaults === null) {
    throw new Error(`step.withOptions needs an object of step defaults, got ${describeValue(defaults)}`);
  }
  const d = defaults as StepDefaults;
  if (d.unstableArgs !== undefined) checkBoolean("step.withOptions `unstableArgs`", d.unstableArgs);
  checkRetryOption("step.withOptions", "retry", d.retry);
  return d;
}

type Sender = BaseChannel<StepCall>;

export function createWorkflowCtx(
  workflowId: WorkflowId,
  sender: Sender,
  webhooks: WebhookSettings,
  defaults: StepDefaults = {},
  run: RunControls = NO_RUN,
): WorkflowCtx {
  const channel = sender;
  sender = {
    push: (call: StepCall) => {
      run.noteSent();
      return channel.push(call);
    },
  } as Sender;
  const fn = (functionType: FunctionType) => (f: any, args?: any, opts?: any) =>
    runFunction(sender, functionType, f, args, opts, defaults);
  return {
    workflowId,
    journal: run.journal,
    continueAsNew: (args) => run.continueAsNew(args),
    withOptions: (more) =>
      createWorkflowCtx(workflowId, channel, webhooks, { ...defaults, ...checkStepDefaults(more) }, run),
    runQuery: fn("query") as WorkflowCtx["runQuery"],
    runMutation: fn("mutation") as WorkflowCtx["runMutation"],
    runAction: fn("action") as WorkflowCtx["runAction"],
    runWorkflow: async (workflow, args, opts) => {
      const { name, unstableArgs, ...schedulerOptions } = opts ?? {};
      checkRunOptions({ name, ...schedulerOptions });
      return (await send(sender, {
        name: name ?? functionName(workflow),
        target: { kind: "workflow", function: workflow, args: checkArgs(args ?? {}) },
        retry: undefined,
        inline: false,
        unstableArgs: unstableArgs ?? defaults.unstableArgs ?? false,
        transactionLimits: undefined,
        schedulerOptions,
      })) as any;
    },
    sleep: async (duration, opts) => {
      checkDelay("step.sleep `duration`", duration);
      await send(sender, {
        name: opts?.name ?? "sleep",
        target: { kind: "sleep", args: {} },
        retry: undefined,
        inline: false,
        unstableArgs: false,
        transactionLimits: undefined,
        schedulerOptions: { runAfter: duration },
      });
    },
    awaitEvent: async (event) => {
      if (typeof event !== "object" || event === null) {
        throw new Error(`awaitEvent needs { name } or { id }, got ${describeValue(event)}`);
      }
      // A send with an empty name is refused, so an await for one would wait forever.
      if (event.name !== undefined) checkEventName("awaitEvent", event.name);
      if (event.id !== undefined && (typeof event.id !== "string" || event.id.length === 0)) {
        throw new Error(`awaitEvent \`id\` must be an event id (from createEvent), got ${describeValue(event.id)}`);
      }
      const timeoutMs = checkDuration("awaitEvent `timeout`", event.timeout, 1);
      const value = await send(sender, {
        name: event.name ?? event.id ?? "Event",
        target: { kind: "event", args: { eventId: event.id } },
        retry: undefined,
        inline: false,
        unstableArgs: false,
        transactionLimits: undefined,
        schedulerOptions: {},
        timeoutMs,
      });
      return event.validator ? parse(event.validator, value) : (value as any);
    },
    createWebhook: async (opts) => {
      const options = checkCreateWebhookOptions(opts);
      const baseUrl = options.baseUrl ?? webhooks.baseUrl;
      if (!baseUrl) {
        throw new Error(
          "createWebhook needs the deployment's HTTP address for the webhook's URL, and CONVEX_SITE_URL is not set: " +
            "pass `baseUrl` to createWebhook, or set `new WorkflowManager(components.workflow, { webhooks: { baseUrl } })`.",
        );
      }
      const pathPrefix = options.pathPrefix ?? webhooks.pathPrefix;
      const args: Record<string, unknown> = { workflowId, name: options.name ?? DEFAULT_WEBHOOK_NAME };
      // Its JSON form (`validator.json`, a public getter the types leave out), as a string.
      if (options.validator) {
        args.validator = JSON.stringify((options.validator as unknown as { json: unknown }).json);
        checkWebhookValidatorJson("createWebhook `validator`", args.validator);
      }
      if (options.timeout !== undefined) args.timeoutMs = options.timeout;
      // An inline mutation step: the webhook is made in this replay's transaction, and its
      // token and event id are journaled as the step's result, the same on every replay.
      const created = (await send(sender, {
        name: "createWebhook",
        target: {
          kind: "function",
          functionType: "mutation",
          function: webhooks.component.webhooks.create,
          args: checkArgs(args),
        },
        retry: undefined,
        inline: true,
        unstableArgs: false,
        transactionLimits: undefined,
        schedulerOptions: {},
      })) as { token: string; eventId: string };
      return { url: `${baseUrl}${pathPrefix}/${created.token}`, eventId: created.eventId as EventId<any> };
    },
    waitUntil: async (query, args, opts) => {
      const timeoutMs = checkDuration("waitUntil `timeout`", opts?.timeout, 1);
      const pollIntervalMs =
        checkDuration("waitUntil `pollInterval`", opts?.pollInterval, MIN_POLL_INTERVAL_MS) ??
        DEFAULT_WAIT_POLL_INTERVAL_MS;
      const maxPollIntervalMs =
        checkDuration("waitUntil `maxPollInterval`", opts?.maxPollInterval, MIN_POLL_INTERVAL_MS) ??
        Math.max(DEFAULT_WAIT_MAX_POLL_INTERVAL_MS, pollIntervalMs);
      if (maxPollIntervalMs < pollIntervalMs) {
        throw new Error(
          `waitUntil \`maxPollInterval\` (${maxPollIntervalMs} ms) must not be less than \`pollInterval\` (${pollIntervalMs} ms)`,
        );
      }
      return (await send(sender, {
        name: opts?.name ?? functionName(query),
        target: { kind: "function", functionType: "query", function: query, args: checkArgs(args ?? {}) },
        retry: undefined,
        inline: false,
        unstableArgs: defaults.unstableArgs ?? false,
        transactionLimits: undefined,
        schedulerOptions: {},
        timeoutMs,
        wait: { pollIntervalMs, maxPollIntervalMs },
      })) as any;
    },
  };
}

type FunctionOptions = RunOptions & { inline?: boolean; transactionLimits?: TransactionLimits } & RetryOption;

async function runFunction(
  sender: Sender,
  functionType: FunctionType,
  f: FunctionReference<FunctionType, FunctionVisibility>,
  args: Record<string, unknown> | undefined,
  opts: FunctionOptions | undefined,
  defaults: StepDefaults,
): Promise<unknown> {
  const { name, retry, inline, transactionLimits, unstableArgs, ...schedulerOptions } = opts ?? {};
  checkRunOptions({ name, ...schedulerOptions });
  checkRetryOption("Step option", "retry", retry);
  if (inline && (schedulerOptions.runAt || schedulerOptions.runAfter)) {
    throw new Error("Cannot combine `inline` with `runAt` or `runAfter`.");
  }
  if (inline && functionType === "action") {
    throw new Error("Cannot run an action inline.");
  }
  if (!inline && transactionLimits) {
    throw new Error("Cannot set transaction limits for non-inline functions.");
  }
  const target: StepTarget = { kind: "function", functionType, function: f, args: checkArgs(args ?? {}) };
  return await send(sender, {
    name: name ?? functionName(f),
    target,
    retry: retry ?? (functionType === "action" ? defaults.retry : undefined),
    inline: inline ?? false,
    unstableArgs: unstableArgs ?? defaults.unstableArgs ?? false,
    transactionLimits,
    schedulerOptions,
  });
}

function checkArgs<T extends Record<string, unknown>>(args: T): T {
  const size = getConvexSize(args as Value);
  if (size > MAX_STEP_ARGS_SIZE) {
    throw new Error(`Step arguments too large (${size} bytes). Maximum is ${MAX_STEP_ARGS_SIZE} bytes.`);
  }
  return args;
}

/** Send a call and turn its result into a value or a thrown error. */
async function send(sender: Sender, call: Omit<StepCall, "resolve">): Promise<unknown> {
  let pushed!: Promise<void>;
  const result = new Promise<RunResult>((resolve) => {
    pushed = sender.push({ ...call, resolve });
  });
  await pushed;
  const outcome = await result;
  switch (outcome.kind) {
    case "success":
      return outcome.returnValue;
    case "failed":
      throw outcome.error.startsWith(TIMEOUT_ERROR_PREFIX)
        ? new WorkflowTimeoutError(outcome.error)
        : new Error(outcome.error);
    case "canceled":
      throw new Error("Canceled");
  }
}
