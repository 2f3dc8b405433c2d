// The wire protocol between the app (the client: it replays handlers and runs executors) and
// the component (it stores journals and the task queue). Every shape that crosses is defined
// here once, as a validator, and used as `args`/`returns` on both sides.
//
// Ids of component tables reach the app as plain strings: an app-side validator cannot check
// an id of a component's table. So shapes the app validates are built with `wireId`, and the
// component's schema builds the same shapes with `v.id` (see `stepValidator`).
import { vResultValidator, vRetryBehavior, vWorkIdValidator, type WorkpoolOptions } from "@convex-dev/workpool";
import { type GenericId, type Infer, v, type VId, type VString } from "convex/values";
import { logLevel } from "./logging.js";

/** Where a shape is used: `"wire"` (ids as plain strings) or `"table"` (ids as `v.id`). */
export type IdStyle = "wire" | "table";
type IdValidator<T extends string, S extends IdStyle> = S extends "wire" ? VString<string> : VId<GenericId<T>>;
function idOf<S extends IdStyle>(style: S) {
  return <T extends string>(table: T) => (style === "wire" ? v.string() : v.id(table)) as IdValidator<T, S>;
}
export const wireId = "wire" as const;
export const tableId = "table" as const;

export const vFunctionType = v.union(v.literal("query"), v.literal("mutation"), v.literal("action"));

/** A `step.waitUntil`: the condition query is re-checked until it returns a value. */
export function conditionWaitValidator<S extends IdStyle>(style: S) {
  const id = idOf(style);
  return v.object({
    pollIntervalMs: v.number(),
    maxPollIntervalMs: v.number(),
    /** The delay before the next scheduled check (grows to maxPollIntervalMs). */
    nextIntervalMs: v.number(),
    /** When the wait gives up, if it has a timeout. */
    deadline: v.optional(v.number()),
    checks: v.number(),
    /** The pending scheduled check. */
    timerId: v.optional(id("_scheduled_functions")),
  });
}

/**
 * One journal entry's step: what the handler asked for, and its outcome once known. The
 * work behind it is named by a typed field per backend: `workId` (the nested workpool),
 * `timerId` (a scheduled function: a sleep's wake-up, a wait's next check, a deadline),
 * `workflowId` (a nested workflow), `eventId`; a step on the executor's task queue has a
 * `task` on its journal entry (see `taskValidator`).
 */
export function stepValidator<S extends IdStyle>(style: S) {
  const id = idOf(style);
  const common = {
    name: v.string(),
    inProgress: v.boolean(),
    argsSize: v.number(),
    args: v.any(),
    runResult: v.optional(vResultValidator),
    /**
     * When the step was journaled (the replay's time): it is queued from then. The handler's
     * clock on replay. `listSteps` reports it as `startedAt`, as 0.4.8 does.
     */
    queuedAt: v.number(),
    /** When its work began running, where known (executor mode records it). */
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
    /**
     * How many times the step's function ran, where known (executor mode records it; the
     * nested workpool does not report its retries).
     */
    attempts: v.optional(v.number()),
  };
  return v.union(
    v.object({
      kind: v.optional(v.literal("function")),
      functionType: vFunctionType,
      handle: v.string(),
      /** The nested workpool's job, for a step run there. */
      workId: v.optional(vWorkIdValidator),
      wait: v.optional(conditionWaitValidator(style)),
      ...common,
    }),
    v.object({
      kind: v.literal("workflow"),
      handle: v.string(),
      workflowId: v.optional(id("workflows")),
      ...common,
    }),
    v.object({
      kind: v.literal("event"),
      eventId: v.optional(id("events")),
      /** With `timeout`: when the wait ends unless the event was sent. */
      deadline: v.optional(v.number()),
      timerId: v.optional(id("_scheduled_functions")),
      ...common,
      /** The id as the handler passed it; checked when the step starts. */
      args: v.object({ eventId: v.optional(v.string()) }),
    }),
    v.object({
      kind: v.literal("sleep"),
      /** The scheduled wake-up. */
      timerId: v.optional(id("_scheduled_functions")),
      ...common,
    }),
  );
}

/** Action retries, as the workpool defines them. */
export const vRetryPolicy = vRetryBehavior;

/**
 * Executor mode: a journal entry waiting on its shard's task queue. It is set when the step
 * is journaled and cleared in the same write that records the step's result (or stops it).
 */
export const vTask = v.object({
  shard: v.number(),
  /** Not before this time (runAt / runAfter). */
  readyAt: v.number(),
  /** The workflow generation the step was journaled in: a result from another is stale. */
  generationNumber: v.number(),
  /** For actions registered with `workflow.action`: the name the executor runs in-process. */
  actionName: v.optional(v.string()),
  /** Actions only: how the executor retries a failure. */
  retry: v.optional(vRetryPolicy),
});

/** A journal entry as it crosses the wire. */
export const vJournalEntry = v.object({
  _id: v.string(),
  _creationTime: v.optional(v.number()),
  workflowId: v.string(),
  stepNumber: v.number(),
  step: stepValidator(wireId),
  task: v.optional(vTask),
});
export type JournalEntry = Infer<typeof vJournalEntry>;
export type WireStep = JournalEntry["step"];

/** Executor mode: how a step request is routed to the task queue. */
export const vTaskRoute = v.object({
  shards: v.number(),
  /** Set for actions registered with `workflow.action`: run in-process by the executor. */
  actionName: v.optional(v.string()),
  /** The app's executor action, so the component can start executors on demand. */
  executorHandle: v.optional(v.string()),
});

/** The workpool options a workflow definition sends with each batch of steps. */
export const vWorkpoolOptions = v.object({
  logLevel: v.optional(logLevel),
  maxParallelism: v.optional(v.number()),
  defaultRetryBehavior: v.optional(vRetryBehavior),
  retryActionsByDefault: v.optional(v.boolean()),
});
export type WorkpoolOptionsArg = Infer<typeof vWorkpoolOptions>;
// Keep the validator in step with the workpool's own type.
const _check = (options: WorkpoolOptionsArg): WorkpoolOptions => options;
void _check;

/** One step the handler asks for past the end of its journal. */
export const vStepRequest = v.object({
  /** Not yet journaled, so it holds no ids: the app may validate it as the component does. */
  step: stepValidator(tableId),
  retry: v.optional(v.union(v.boolean(), vRetryBehavior)),
  schedulerOptions: v.optional(v.object({ runAt: v.optional(v.number()), runAfter: v.optional(v.number()) })),
  /** For `awaitEvent` and `waitUntil`: give up this many ms after the step starts. */
  timeoutMs: v.optional(v.number()),
  /** Executor mode: run this function step from the sharded task queue. */
  task: v.optional(vTaskRoute),
});
export type StepRequest = Infer<typeof vStepRequest>;

/** A replay group (executor mode): one workflow of the group, with its journal. */
export const vReplayItem = v.object({
  workflowId: v.string(),
  generationNumber: v.number(),
  args: v.any(),
  journal: v.array(vJournalEntry),
});

/** What a replay group returns for one workflow: the steps it asks for next, or its result. */
export const vReplayOutcome = v.object({
  workflowId: v.string(),
  runResult: v.optional(vResultValidator),
  steps: v.array(vStepRequest),
  workpoolOptions: v.optional(vWorkpoolOptions),
});
export type ReplayOutcome = Infer<typeof vReplayOutcome>;

/** Which executor may work a shard: only the current (epoch, instance). */
export const vFence = { shard: v.number(), epoch: v.number(), instance: v.number() };

/** A task as an executor claims it. `stepId` names both the task and its journal entry. */
export const vClaimedTask = v.object({
  stepId: v.id("steps"),
  workflowId: v.id("workflows"),
  functionType: vFunctionType,
  handle: v.string(),
  actionName: v.optional(v.string()),
  name: v.string(),
  args: v.any(),
  retry: v.optional(vRetryPolicy),
  readyAt: v.number(),
});

/** One result an executor records. */
export const vTaskResult = v.object({
  stepId: v.id("steps"),
  result: vResultValidator,
  /** When the executor began running the step (its last attempt). */
  startedAt: v.optional(v.number()),
  /** How many times the executor ran the step (retries included). */
  attempts: v.optional(v.number()),
});

// ---------------------------------------------------------------------------------------
// Operating workflows (SPEC 4.3): tags, the lifecycle status, the list filter.

/** A workflow's tags on the wire and in the document: `{ key, value }` pairs (checkTags). */
export const vTags = v.array(v.object({ key: v.string(), value: v.string() }));
/** A workflow's lifecycle status as stored (`workflows.status`, status.ts) and filtered by `list`. */
export const vLifecycleStatus = v.union(
  v.literal("queued"),
  v.literal("running"),
  v.literal("paused"),
  v.literal("completed"),
  v.literal("failed"),
  v.literal("canceled"),
);
export type LifecycleStatus = Infer<typeof vLifecycleStatus>;
/** What `list`, `cancelMany` and `restartMany` select: every field optional, combined with AND. */
export const vListFilter = v.object({
  name: v.optional(v.string()),
  status: v.optional(vLifecycleStatus),
  tag: v.optional(v.object({ key: v.string(), value: v.string() })),
});
export type ListFilter = Infer<typeof vListFilter>;
