// How a step's work starts and stops: the one place that decides it, for each kind of step
// and each backend that can run it. journal.ts starts every step here (`startStep`); cancel.ts
// and cleanup.ts stop them here (`stopStepWork`, `stopCostOf`); the timeline asks `backendOf`.
// Nothing else tells backends apart, and only this module reaches the executor's task queue.
//
// | kind     | backend         | started by                               | stopped by                         |
// | -------- | --------------- | ---------------------------------------- | ---------------------------------- |
// | any      | `inline`        | the replay (journaled with its result)   | nothing to stop                    |
// | function | `workpool`      | `enqueueFunctionStep` (`step.workId`)    | the workpool's `cancel`            |
// | function | `taskQueue`     | `enqueueTask` (the entry's `task`)       | the write that stops or deletes it |
// | function | `conditionWait` | `startConditionWait` (`wait.timerId`)    | canceling the pending check        |
// | sleep    | `timer`         | a scheduled `pool.wakeUp` (`timerId`)    | canceling the wake-up              |
// | event    | `event`         | `attachEventStep` (`eventId`, `timerId`) | the caller: released or deleted    |
// | workflow | `childWorkflow` | `insertWorkflow` + its first replay      | the caller: canceled or deleted    |
import type { Workpool } from "@convex-dev/workpool";
import type { StepRequest, WorkpoolOptionsArg } from "../shared/protocol.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import type { StopBudget } from "./cancel.js";
import { attachEventStep } from "./event.js";
import { scheduleReplays } from "./executor/coordinator.js";
import { enqueueTask } from "./executor/taskQueue.js";
import { insertWorkflow } from "./model.js";
import { enqueueFunctionStep, getWorkpool } from "./pool.js";
import { scheduleReplay } from "./replay.js";
import { limitResultSize } from "./results.js";
import type { Step, StepEntry, Task } from "./schema.js";
import { cancelTimer, startConditionWait } from "./wait.js";

/**
 * What runs a step's work:
 * - `inline`: nothing outside a replay. The step ran in the replay that journaled it, or it
 *   was never started (a canceled nested workflow's), or it was a task whose result is in.
 * - `workpool`: a function step run by the nested workpool (`step.workId`).
 * - `taskQueue`: a function step waiting on an executor's shard (the entry's `task`).
 * - `conditionWait`: a `waitUntil` whose condition the component re-checks (`step.wait`).
 * - `timer`: a sleep's scheduled wake-up (`step.timerId`).
 * - `event`: an `awaitEvent` attached to its event (`step.eventId`, deadline `step.timerId`).
 * - `childWorkflow`: a nested workflow (`step.workflowId`).
 */
export type Backend = "inline" | "workpool" | "taskQueue" | "conditionWait" | "timer" | "event" | "childWorkflow";

/** The backend of a step by its kind; a function step's is `functionBackend` unless it waits. */
function backendOfKind(step: Step, functionBackend: Backend): Backend {
  switch (step.kind) {
    case undefined:
    case "function":
      return step.wait ? "conditionWait" : functionBackend;
    case "sleep":
      return "timer";
    case "event":
      return "event";
    case "workflow":
      return "childWorkflow";
  }
}

/** The backend behind a journal entry. */
export function backendOf(entry: { step: Step; task?: Task }): Backend {
  const step = entry.step;
  const functionBackend = entry.task ? "taskQueue" : "workId" in step && step.workId ? "workpool" : "inline";
  return backendOfKind(step, functionBackend);
}

/** The backend that will run a step the handler asks for. */
export function backendOfRequest(request: Pick<StepRequest, "step" | "task">): Backend {
  if (request.step.runResult) return "inline";
  return backendOfKind(request.step, request.task ? "taskQueue" : "workpool");
}

/** When a step asked to run later should start; undefined: now. */
export function runAtOf(options: StepRequest["schedulerOptions"], now: number): number | undefined {
  if (options?.runAt !== undefined) return options.runAt;
  if (options?.runAfter !== undefined) return now + options.runAfter;
  return undefined;
}

/** What the steps of one batch share while they start: one workpool client at most. */
export type StepBatch = {
  workflow: Doc<"workflows">;
  workpoolOptions: WorkpoolOptionsArg | undefined;
  workpool?: Workpool;
};

/**
 * Journal one step as `stepNumber` and start its work. Returns the entry as written (not read
 * back). A task costs one write (the entry, with its `task`); other backends insert the entry,
 * start their work with its id, and store what names that work (one patch).
 */
export async function startStep(
  ctx: MutationCtx,
  batch: StepBatch,
  request: StepRequest,
  stepNumber: number,
): Promise<StepEntry> {
  const { workflow } = batch;
  const runAt = runAtOf(request.schedulerOptions, Date.now());
  const backend = backendOfRequest(request);
  if (backend === "taskQueue") {
    return await enqueueTask(ctx, workflow, stepNumber, request.step, request.task!, {
      retry: request.retry,
      runAt,
      workpoolOptions: batch.workpoolOptions,
    });
  }
  const initial: Step = request.step.runResult
    ? { ...request.step, runResult: limitResultSize(request.step.runResult) }
    : request.step;
  const fields = { workflowId: workflow._id, stepNumber, step: initial };
  const entry: StepEntry = { _id: await ctx.db.insert("steps", fields), ...fields };
  const step = await startWork(ctx, batch, backend, entry, request, runAt);
  if (step === initial) return entry;
  await ctx.db.patch("steps", entry._id, { step });
  return { ...entry, step };
}

/** Start the work behind a freshly inserted entry; returns the step as it should be stored. */
async function startWork(
  ctx: MutationCtx,
  batch: StepBatch,
  backend: Backend,
  entry: StepEntry,
  request: StepRequest,
  runAt: number | undefined,
): Promise<Step> {
  const { workflow } = batch;
  const step = entry.step;
  switch (backend) {
    case "inline":
    case "taskQueue":
      return step;
    case "conditionWait":
      return await startConditionWait(ctx, entry, workflow.generationNumber, request.timeoutMs);
    case "workpool": {
      batch.workpool ??= await getWorkpool(ctx, batch.workpoolOptions);
      const workId = await enqueueFunctionStep(ctx, batch.workpool, entry, workflow.generationNumber, {
        retry: request.retry,
        runAt,
      });
      return { ...step, workId } as Step;
    }
    case "timer": {
      const context = { stepId: entry._id, generationNumber: workflow.generationNumber };
      const timerId = await ctx.scheduler.runAt(runAt ?? Date.now(), internal.pool.wakeUp, context);
      return { ...step, timerId } as Step;
    }
    case "childWorkflow": {
      const child = await insertWorkflow(ctx, {
        name: step.name,
        workflowHandle: (step as Extract<Step, { kind: "workflow" }>).handle,
        args: step.args,
        generationNumber: 0,
        parent: { workflowId: workflow._id, stepId: entry._id, generationNumber: workflow.generationNumber },
      });
      await scheduleReplay(ctx, child, runAt);
      return { ...step, workflowId: child._id } as Step;
    }
    case "event":
      return await attachEventStep(ctx, entry, workflow, request.timeoutMs);
  }
}

/**
 * Index ranges stopping a step's work may read, at most, by backend (estimates with headroom):
 * a workpool cancel reads its globals, the work item and its pending cancelation and pings
 * the workpool's loop; releasing an event reads it and its deadline; canceling a nested
 * workflow reads the settings, its counts and the parent's step and workflow, besides what
 * its own steps cost. A task costs nothing: the write that stops or deletes its entry takes
 * it off the queue.
 */
export const STOP_COST: Readonly<Record<Backend, number>> = {
  inline: 0,
  workpool: 10,
  taskQueue: 0,
  conditionWait: 2,
  timer: 2,
  event: 4,
  childWorkflow: 12,
};

/** What stopping the most expensive step may read. */
export const MOST_A_STEP_COSTS = Math.max(...Object.values(STOP_COST));

/**
 * The index ranges `stopStepWork` (or, for events and nested workflows, the caller) may read
 * to stop what still runs behind the entry. A finished step has nothing running, except
 * perhaps a condition wait's pending check.
 */
export function stopCostOf(entry: { step: Step; task?: Task }): number {
  const backend = backendOf(entry);
  if (entry.step.inProgress || backend === "conditionWait") return STOP_COST[backend];
  return 0;
}

/**
 * Stop what still runs behind a step (a workpool job, a condition wait's or a sleep's timer),
 * charging its cost to the transaction's budget. The caller writes the entry (marks it
 * canceled with `task: undefined`, or deletes it), which takes a task off its queue. Events
 * and nested workflows are the caller's: a cancel releases the event and cancels the child,
 * a deletion deletes both.
 */
export async function stopStepWork(
  ctx: MutationCtx,
  entry: { step: Step; task?: Task },
  budget: StopBudget,
): Promise<void> {
  budget.ranges -= stopCostOf(entry);
  const step = entry.step;
  switch (backendOf(entry)) {
    case "workpool":
      if (step.inProgress && "workId" in step && step.workId) {
        budget.workpool ??= await getWorkpool(ctx, undefined);
        await budget.workpool.cancel(ctx, step.workId);
      }
      break;
    case "conditionWait":
      if ("wait" in step && step.wait?.timerId) await cancelTimer(ctx, step.wait.timerId);
      break;
    case "timer":
      if (step.inProgress && step.kind === "sleep" && step.timerId) await cancelTimer(ctx, step.timerId);
      break;
    case "inline":
    case "taskQueue":
    case "event":
    case "childWorkflow":
      break;
  }
}

/**
 * Executor mode: replay these workflows through the coordinator, in replay groups (startMany's
 * first replays). The one way into `executor/` for start.ts.
 */
export async function replayInGroups(
  ctx: MutationCtx,
  workflows: Array<Pick<Doc<"workflows">, "_id" | "workflowHandle">>,
): Promise<void> {
  await scheduleReplays(ctx, workflows);
}
