// The executor: a long-running action, one per shard, that claims tasks from the component's
// task queue, runs them in-process with bounded concurrency, and records their results in
// flushes. This file is the loop; what it decides is in options.ts (defaults), pacing.ts (when
// to claim), retries.ts (back-off, rate limits, mutation retries), resultBuffer.ts (flushes)
// and tasks.ts (running a task). See docs/executor-mode.md for the knobs and failure behaviour.
import type { RunResult } from "@convex-dev/workpool";
import {
  type GenericActionCtx,
  type GenericDataModel,
  internalActionGeneric,
  type RegisteredAction,
} from "convex/server";
import { v, type Value } from "convex/values";
import { formatErrorWithStack } from "../../shared/errors.js";
import { errorMessage } from "../../shared/logging.js";
import type { WorkflowComponent } from "../types.js";
import { type ExecutorOptions, type ResolvedExecutorOptions, resolveExecutorOptions } from "./options.js";
import { ClaimPacing } from "./pacing.js";
import { ResultBuffer } from "./resultBuffer.js";
import { actionRetryDelay, mutationGroupFailure, RateLimits, Retries, WorkflowRateLimitError } from "./retries.js";
import { type ClaimedTask, type ExecutorAction, invokeTask, mutationGroups } from "./tasks.js";
import { type ExecutorTestHooks, takeTestHooks } from "./testHooks.js";

/** An action may run 10 minutes; a successor ignores our in-flight tasks until then. */
const ACTION_TIME_LIMIT_MS = 10 * 60_000;
const HEARTBEAT_EVERY_MS = 15_000;

type Fence = { shard: number; epoch: number; instance: number };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The executor action for `workflow.executor(options)`. `testHooks` inject faults in tests (by
 * default, those of an enclosing `withExecutorTestHooks`).
 */
export function makeExecutor(
  component: WorkflowComponent,
  actions: ReadonlyMap<string, ExecutorAction>,
  options: ExecutorOptions | undefined,
  testHooks: ExecutorTestHooks | undefined = takeTestHooks(),
): RegisteredAction<"internal", Fence, null> {
  const o = resolveExecutorOptions("workflow.executor()", options);
  return internalActionGeneric({
    args: { shard: v.number(), epoch: v.number(), instance: v.number() },
    returns: v.null(),
    handler: async (ctx, fence) => {
      await new Executor(ctx, component, actions, o, testHooks ?? {}, fence).run();
      return null;
    },
  });
}

class Executor {
  private readonly started = Date.now();
  /** Tasks running, by step id (a group of mutation tasks shares one promise). */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly retries = new Retries<ClaimedTask>();
  private readonly rateLimits: RateLimits;
  private readonly buffer: ResultBuffer;
  private readonly pacing: ClaimPacing;
  /** False once superseded or handed off: finish what we hold, record it, exit. */
  private claiming = true;
  private handedOff = false;
  private lastWork = Date.now();
  private lastHeartbeat = Date.now();
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: GenericActionCtx<GenericDataModel>,
    private readonly component: WorkflowComponent,
    private readonly actions: ReadonlyMap<string, ExecutorAction>,
    private readonly o: ResolvedExecutorOptions,
    private readonly hooks: ExecutorTestHooks,
    private readonly fence: Fence,
  ) {
    this.rateLimits = new RateLimits(o);
    this.buffer = new ResultBuffer(o);
    this.pacing = new ClaimPacing(o);
  }

  async run(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (!this.handedOff && this.claiming && now - this.started >= this.o.handoffAfterMs) {
        // An idle executor leaves instead of handing an empty shard to a successor.
        if (!this.isBusy() && (await this.exit())) return;
        await this.handOff();
      }
      if (this.claiming && this.hasFreeSlot()) await this.claim();
      this.startDueRetries(now);
      if (this.buffer.shouldFlush(now, !this.claiming && this.inFlight.size === 0)) await this.flush();
      const busy = this.isBusy();
      if (!this.claiming && !busy) {
        // Superseded or handed off: everything we started is recorded. Leave.
        await this.exit();
        return;
      }
      if (this.claiming && !busy && Date.now() - this.lastWork >= this.o.idleExitMs) {
        if (await this.exit()) return;
        this.lastWork = Date.now();
      }
      if (this.claiming && Date.now() - this.lastHeartbeat >= HEARTBEAT_EVERY_MS) {
        this.lastHeartbeat = Date.now();
        if (!(await this.ctx.runMutation(this.component.executor.shards.heartbeat, this.fence))) this.claiming = false;
      }
      // A due retry can only start with a free slot (a finishing task wakes the loop anyway).
      const retryAt = this.hasFreeSlot() ? this.retries.earliest() : null;
      await this.idle(this.pacing.nextWait(Date.now(), busy, [this.buffer.flushDueAt(), retryAt]));
    }
  }

  private hasFreeSlot(): boolean {
    return this.inFlight.size < this.o.concurrency;
  }

  private isBusy(): boolean {
    return this.inFlight.size > 0 || this.retries.size > 0 || this.buffer.size > 0;
  }

  /** Step ids of every task this executor holds: running, waiting for a retry, or buffered. */
  private held(): string[] {
    return [...this.inFlight.keys(), ...this.retries.ids(), ...this.buffer.stepIds()];
  }

  /** Asks the component whether to exit (it says no when work arrived meanwhile). */
  private async exit(): Promise<boolean> {
    const { exit } = await this.ctx.runMutation(this.component.executor.shards.exitExecutor, this.fence);
    return exit;
  }

  /** Sleep until the delay passes or a task finishes, whichever is first. */
  private async idle(ms: number): Promise<void> {
    await Promise.race([sleep(ms), new Promise<void>((resolve) => (this.wake = resolve))]);
    this.wake = undefined;
  }

  private async claim(): Promise<void> {
    await this.hooks.beforeClaim?.();
    const { stale, tasks, nextReadyAt } = await this.ctx.runQuery(this.component.executor.taskQueue.claimTasks, {
      ...this.fence,
      limit: this.o.concurrency - this.inFlight.size,
      exclude: this.held(),
    });
    if (stale) {
      // Superseded (a new epoch or a restart, not our own handoff): tasks waiting here for a
      // retry or a rate-limit pause are left to the current executor, which will claim them.
      this.claiming = false;
      this.retries.dropWaiting();
      return;
    }
    this.pacing.claimed(tasks.length, nextReadyAt);
    if (tasks.length > 0) this.lastWork = Date.now();
    const mutations: ClaimedTask[] = [];
    for (const task of tasks as ClaimedTask[]) {
      if (task.functionType === "mutation") mutations.push(task);
      else this.start(task);
    }
    for (const group of mutationGroups(mutations)) this.startMutations(group);
  }

  private track(ids: string[], work: Promise<void>): void {
    const done = work.finally(() => {
      for (const id of ids) this.inFlight.delete(id);
      this.lastWork = Date.now();
      this.wake?.();
    });
    for (const id of ids) this.inFlight.set(id, done);
  }

  private start(task: ClaimedTask): void {
    const pausedUntil = this.rateLimits.pausedUntil(task.name, Date.now());
    if (pausedUntil !== null) this.retries.wait(task.stepId, task, pausedUntil);
    else this.track([task.stepId], this.execute(task));
  }

  /** Held tasks whose time has come, while there are free slots. */
  private startDueRetries(now: number): void {
    for (const { id, task } of this.retries.due(now)) {
      if (!this.hasFreeSlot()) return;
      this.retries.release(id);
      if (task.functionType === "mutation") this.startMutations([task]);
      else this.start(task);
    }
  }

  /** Mutation tasks run inside the component's recording transaction: exactly once. */
  private startMutations(tasks: ClaimedTask[]): void {
    const stepIds = tasks.map((t) => t.stepId);
    const startedAt = Date.now();
    this.track(
      stepIds,
      (async () => {
        try {
          await this.hooks.beforeMutationGroup?.(tasks.length);
          const { replays } = await this.ctx.runMutation(this.component.executor.taskQueue.runMutationTasks, {
            ...this.fence,
            stepIds,
          });
          if (replays > 0) this.expectFollowUps();
          for (const id of stepIds) this.retries.forget(id);
        } catch (error) {
          this.mutationGroupFailed(tasks, error, startedAt);
        }
      })(),
    );
  }

  /**
   * A group's transaction failed, so none of it committed (a step's own error would have been
   * recorded as its result; this is the transaction itself: a limit, a timeout). Each task is
   * retried alone after a back-off; one that fails alone MUTATION_ATTEMPTS times is recorded as
   * failed. If it did commit after all (the error came after), that record is skipped.
   */
  private mutationGroupFailed(tasks: ClaimedTask[], error: unknown, startedAt: number): void {
    const message = formatErrorWithStack(error);
    console.warn(
      `Executor shard ${this.fence.shard}: a group of ${tasks.length} mutation steps failed: ${errorMessage(error)}`,
    );
    for (const task of tasks) {
      const { attempts, retryInMs } = mutationGroupFailure(this.retries.attempts(task.stepId), tasks.length);
      if (retryInMs === null) {
        this.retries.forget(task.stepId);
        const error = `Mutation step ${task.name} could not be run after ${attempts} attempts: ${message}`;
        this.push(task.stepId, { kind: "failed", error }, startedAt, attempts);
        continue;
      }
      this.retries.setAttempts(task.stepId, attempts);
      this.retries.wait(task.stepId, task, Date.now() + retryInMs);
    }
  }

  private async execute(task: ClaimedTask): Promise<void> {
    let result: RunResult;
    const startedAt = Date.now();
    // This run's number: earlier failed runs of the task on this executor, plus one.
    const attempts = this.retries.attempts(task.stepId) + 1;
    try {
      const value = await invokeTask(this.ctx, this.actions, task);
      result = { kind: "success", returnValue: (value ?? null) as Value };
      this.rateLimits.succeeded(task.name);
    } catch (error) {
      if (error instanceof WorkflowRateLimitError) {
        // Not an attempt: the task waits for its function's pause to end.
        this.retries.wait(task.stepId, task, this.rateLimits.strike(task.name, error.retryAfterMs, Date.now()));
        return;
      }
      const retryIn = task.functionType === "action" && task.retry ? actionRetryDelay(task.retry, attempts) : null;
      if (retryIn !== null) {
        this.retries.setAttempts(task.stepId, attempts);
        this.retries.wait(task.stepId, task, Date.now() + retryIn);
        return;
      }
      result = { kind: "failed", error: formatErrorWithStack(error) };
    }
    this.retries.forget(task.stepId);
    this.push(task.stepId, result, startedAt, attempts);
  }

  private push(stepId: string, result: RunResult, startedAt: number, attempts: number): void {
    this.buffer.push(Date.now(), { stepId, result, startedAt, attempts });
  }

  /**
   * Record buffered results, bounded by count and bytes per transaction. The component may
   * handle fewer than it was sent (it stops at its own byte budget): only those it `consumed`
   * leave the buffer. A flush whose transaction fails is retried with half as many results.
   */
  private async flush(): Promise<void> {
    const batch = this.buffer.next();
    await this.hooks.beforeFlush?.(batch.length);
    try {
      const { current, replays, consumed } = await this.ctx.runMutation(
        this.component.executor.taskQueue.recordResults,
        {
          ...this.fence,
          results: batch.map(({ stepId, result, startedAt, attempts }) => ({
            stepId,
            result,
            startedAt,
            attempts,
          })),
        },
      );
      if (replays > 0) this.expectFollowUps();
      this.buffer.flushed(Date.now(), batch.length, consumed);
      this.lastHeartbeat = Date.now();
      if (!current) this.claiming = false;
    } catch (error) {
      // The results stay; the tasks stay queued meanwhile.
      const size = this.buffer.flushFailed(Date.now(), batch.length);
      console.warn(
        `Executor shard ${this.fence.shard}: flush of ${batch.length} results failed, will retry ${size} at a time: ${errorMessage(error)}`,
      );
      await sleep(this.o.claimIntervalMs * 4);
    }
  }

  private expectFollowUps(): void {
    this.pacing.expectFollowUps(Date.now());
    this.lastWork = Date.now();
  }

  /** Start a successor now; keep finishing our in-flight tasks, which it leaves alone. */
  private async handOff(): Promise<void> {
    this.handedOff = true;
    this.claiming = false;
    await this.ctx.runMutation(this.component.executor.shards.handoff, {
      ...this.fence,
      stepIds: this.held(),
      until: this.started + ACTION_TIME_LIMIT_MS,
    });
  }
}
