// The executor: a long-running action, one per shard, that claims tasks from the
// component's task queue, runs them in-process with bounded concurrency, and records
// results in batches. See docs/executor-mode.md for the knobs and failure behaviour.
import type { RunResult } from "@convex-dev/workpool";
import { validate } from "convex-helpers/validators";
import {
  type FunctionHandle,
  type GenericActionCtx,
  type GenericDataModel,
  internalActionGeneric,
  type RegisteredAction,
} from "convex/server";
import { asObjectValidator, getConvexSize, type PropertyValidators, v, type Validator, type Value } from "convex/values";
import { errorMessage } from "../../shared/logging.js";
import { formatErrorWithStack } from "../../shared/errors.js";
import { checkExecutorOptions } from "../../shared/validateOptions.js";
import type { WorkflowComponent } from "../types.js";

/** Throw from a step handler to say "the service is rate limiting us: back off and retry". */
export class WorkflowRateLimitError extends Error {
  constructor(
    message = "Rate limited",
    /** How long to wait before calling this function again, if the service said. */
    public readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "WorkflowRateLimitError";
  }
}

export type ExecutorOptions = {
  /** Tasks one executor runs at once. Default 50. */
  concurrency?: number;
  /** Results recorded per flush at most. Default 100. */
  flushMaxCount?: number;
  /** Bytes of results per flush at most (a single larger result goes alone). Default 1 MiB. */
  flushMaxBytes?: number;
  /** Longest a finished result waits in the buffer. Default 100 ms. */
  flushIntervalMs?: number;
  /**
   * Delay between claims while there is work (doubling while claims come back empty, up to
   * `idlePollIntervalMs`), and for six claims (at least 300 ms) after a flush that let
   * workflows go on (their next steps come to this shard). Default 50 ms.
   */
  pollIntervalMs?: number;
  /** Delay between claims while idle, and the longest one while busy. Default 1000 ms. */
  idlePollIntervalMs?: number;
  /** Exit after this long with nothing to do (the component starts a new one when work arrives). Default 10 s. */
  idleExitMs?: number;
  /** Hand the shard to a successor after running this long (actions may run 10 minutes). Default 8 min. */
  handoffAfterMs?: number;
  /** First back-off after a `WorkflowRateLimitError`; doubles per repeat up to `rateLimitMaxBackoffMs`. Default 1 s. */
  rateLimitBackoffMs?: number;
  rateLimitMaxBackoffMs?: number;
  /** Fault injection for tests: called at the named points; a throw kills the executor there. */
  hooks?: {
    beforeClaim?: () => void | Promise<void>;
    beforeFlush?: (count: number) => void | Promise<void>;
    /** Before running a batch of mutation steps: a throw fails that batch's transaction. */
    beforeMutationBatch?: (count: number) => void | Promise<void>;
  };
};

const DEFAULTS = {
  concurrency: 50,
  flushMaxCount: 100,
  flushMaxBytes: 1 << 20,
  flushIntervalMs: 100,
  pollIntervalMs: 50,
  idlePollIntervalMs: 1_000,
  idleExitMs: 10_000,
  handoffAfterMs: 8 * 60_000,
  rateLimitBackoffMs: 1_000,
  rateLimitMaxBackoffMs: 60_000,
};
/**
 * After recording results that let workflows go on, claim at the busy interval for this many
 * more polls (and for at least FOLLOW_UP_MIN_MS): their next steps land on this shard (a
 * workflow's steps share a shard) as soon as the coordinator has replayed them, usually within
 * tens of ms.
 */
const FOLLOW_UP_POLLS = 6;
const FOLLOW_UP_MIN_MS = 300;
/** The shortest sleep between turns of the executor's loop. */
const MIN_WAIT_MS = 5;
/**
 * A mutation step whose transaction (its own run plus the recording of its result) fails this
 * many times on its own is recorded as failed, so its workflow sees the error instead of
 * waiting forever. Retries wait 1 s, then 2 s.
 */
const MUTATION_ATTEMPTS = 3;
const MUTATION_RETRY_MS = 1_000;
/** An action may run 10 minutes; a successor ignores our in-flight tasks until then. */
const ACTION_TIME_LIMIT_MS = 10 * 60_000;
const HEARTBEAT_EVERY_MS = 15_000;

export type ExecutorAction = {
  name: string;
  args?: PropertyValidators | Validator<any, "required", any>;
  handler: (ctx: GenericActionCtx<GenericDataModel>, args: any) => Promise<unknown>;
};

type Task = {
  _id: string;
  functionType: "query" | "mutation" | "action";
  handle: string;
  actionName?: string;
  name: string;
  args: any;
  retry?: { maxAttempts: number; initialBackoffMs: number; base: number };
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function makeExecutor(
  component: WorkflowComponent,
  actions: Map<string, ExecutorAction>,
  userOptions: ExecutorOptions | undefined,
): RegisteredAction<"internal", { shard: number; epoch: number; instance: number }, null> {
  checkExecutorOptions("workflow.executor()", userOptions, "");
  // A `rateLimitBackoffMs` above the default maximum raises the maximum with it.
  const rateLimitMaxBackoffMs =
    userOptions?.rateLimitMaxBackoffMs ?? Math.max(DEFAULTS.rateLimitMaxBackoffMs, userOptions?.rateLimitBackoffMs ?? 0);
  const o = { ...DEFAULTS, ...userOptions, rateLimitMaxBackoffMs };
  return internalActionGeneric({
    args: { shard: v.number(), epoch: v.number(), instance: v.number() },
    returns: v.null(),
    handler: async (ctx, fence) => {
      await new Executor(ctx, component, actions, o, fence).run();
      return null;
    },
  });
}

class Executor {
  private readonly started = Date.now();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly delayed = new Map<string, { task: Task; at: number; attempts: number }>();
  private readonly attempts = new Map<string, number>();
  private buffer: Array<{ taskId: string; result: RunResult; startedAt: number; bytes: number; attempts?: number }> = [];
  private bufferSince = 0;
  /** Results per flush at most, besides `flushMaxCount`: halved after a failed flush, see `flush`. */
  private flushLimit = Number.POSITIVE_INFINITY;
  private readonly paused = new Map<string, { until: number; strikes: number }>();
  private claiming = true;
  private handedOff = false;
  private lastWork = Date.now();
  private lastHeartbeat = Date.now();
  /** Until then, poll at the busy interval even when idle: follow-up steps are on their way. */
  private expectWorkUntil = 0;
  /** Claims in a row that found nothing: while busy, each doubles the wait before the next. */
  private emptyClaims = 0;
  /** When the next not-yet-ready task (runAt / runAfter) on the shard becomes ready, if any. */
  private nextReadyAt: number | null = null;
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: GenericActionCtx<GenericDataModel>,
    private readonly component: WorkflowComponent,
    private readonly actions: Map<string, ExecutorAction>,
    private readonly o: typeof DEFAULTS & ExecutorOptions,
    private readonly fence: { shard: number; epoch: number; instance: number },
  ) {}

  async run(): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (!this.handedOff && this.claiming && now - this.started >= this.o.handoffAfterMs) {
        // An idle executor leaves instead of handing an empty shard to a successor.
        if (!this.isBusy()) {
          const { exit } = await this.ctx.runMutation(this.component.executor.shards.exitExecutor, this.fence);
          if (exit) return;
        }
        await this.handOff();
      }
      if (this.claiming && this.inFlight.size < this.o.concurrency) await this.claim();
      this.promoteDelayed(now);
      if (this.shouldFlush(now)) await this.flush();
      const busy = this.isBusy();
      if (!this.claiming && !busy) {
        // Superseded or handed off: everything we started is recorded. Leave.
        await this.ctx.runMutation(this.component.executor.shards.exitExecutor, this.fence);
        return;
      }
      if (this.claiming && !busy && Date.now() - this.lastWork >= this.o.idleExitMs) {
        const { exit } = await this.ctx.runMutation(this.component.executor.shards.exitExecutor, this.fence);
        if (exit) return;
        this.lastWork = Date.now();
      }
      if (this.claiming && Date.now() - this.lastHeartbeat >= HEARTBEAT_EVERY_MS) {
        this.lastHeartbeat = Date.now();
        if (!(await this.ctx.runMutation(this.component.executor.shards.heartbeat, this.fence))) this.claiming = false;
      }
      await this.idle(this.nextWait(busy));
    }
  }

  /**
   * How long to sleep before the next turn. While busy, the first claim comes after
   * `pollIntervalMs`, and each claim that comes back empty doubles the wait (up to
   * `idlePollIntervalMs`), so an executor waiting on slow steps does not query its shard 20
   * times a second; a claim that finds work, or a flush that lets workflows go on, starts over.
   * Never past a due flush, a due retry, or a task becoming ready.
   */
  private nextWait(busy: boolean): number {
    const now = Date.now();
    if (now < this.expectWorkUntil) return Math.max(this.o.pollIntervalMs, MIN_WAIT_MS);
    let wait = busy
      ? Math.min(this.o.idlePollIntervalMs, this.o.pollIntervalMs * 2 ** Math.min(this.emptyClaims, 20))
      : this.o.idlePollIntervalMs;
    if (this.buffer.length > 0) wait = Math.min(wait, this.bufferSince + this.o.flushIntervalMs - now);
    // A due retry can only start with a free slot (a finishing task wakes the loop anyway).
    if (this.inFlight.size < this.o.concurrency) {
      for (const { at } of this.delayed.values()) wait = Math.min(wait, at - now);
    }
    if (this.nextReadyAt !== null) wait = Math.min(wait, this.nextReadyAt - now);
    return Math.max(wait, MIN_WAIT_MS);
  }

  private isBusy(): boolean {
    return this.inFlight.size > 0 || this.delayed.size > 0 || this.buffer.length > 0;
  }

  /** Sleep until the delay passes or a task finishes, whichever is first. */
  private async idle(ms: number): Promise<void> {
    await Promise.race([sleep(ms), new Promise<void>((resolve) => (this.wake = resolve))]);
    this.wake = undefined;
  }

  private async claim(): Promise<void> {
    await this.o.hooks?.beforeClaim?.();
    const { stale, tasks, nextReadyAt } = await this.ctx.runQuery(this.component.executor.taskQueue.claimTasks, {
      ...this.fence,
      limit: this.o.concurrency - this.inFlight.size,
      exclude: [...this.inFlight.keys(), ...this.delayed.keys(), ...this.buffer.map((b) => b.taskId)] as never,
    });
    if (stale) {
      // Superseded (a new epoch or a restart, not our own handoff): tasks waiting here for a
      // retry or a rate-limit pause are left to the current executor, which will claim them.
      this.claiming = false;
      this.delayed.clear();
      return;
    }
    this.nextReadyAt = nextReadyAt;
    if (tasks.length > 0) {
      this.lastWork = Date.now();
      this.emptyClaims = 0;
    } else {
      this.emptyClaims++;
    }
    const mutations: Task[] = [];
    for (const task of tasks as Task[]) {
      if (task.functionType === "mutation") mutations.push(task);
      else this.start(task);
    }
    for (let i = 0; i < mutations.length; i += 20) this.startMutations(mutations.slice(i, i + 20));
  }

  private track(ids: string[], work: Promise<void>): void {
    const done = work.finally(() => {
      for (const id of ids) this.inFlight.delete(id);
      this.lastWork = Date.now();
      this.wake?.();
    });
    for (const id of ids) this.inFlight.set(id, done);
  }

  private start(task: Task): void {
    const pause = this.paused.get(task.name);
    if (pause && pause.until > Date.now()) {
      this.delayed.set(task._id, { task, at: pause.until, attempts: this.attempts.get(task._id) ?? 0 });
      return;
    }
    this.track([task._id], this.execute(task));
  }

  /** Mutation tasks run inside the component's recording transaction: exactly once. */
  private startMutations(tasks: Task[]): void {
    const ids = tasks.map((t) => t._id);
    const startedAt = Date.now();
    this.track(
      ids,
      (async () => {
        try {
          await this.o.hooks?.beforeMutationBatch?.(tasks.length);
          const { replays } = await this.ctx.runMutation(this.component.executor.taskQueue.runMutationTasks, {
            ...this.fence,
            taskIds: ids,
          });
          if (replays > 0) this.expectFollowUps();
          for (const id of ids) this.attempts.delete(id);
        } catch (error) {
          this.mutationBatchFailed(tasks, error, startedAt);
        }
      })(),
    );
  }

  /**
   * A batch's transaction failed, so none of it committed (a step's own error would have been
   * recorded as its result; this is the transaction itself: a limit, a timeout). Each task is
   * retried alone after a back-off; one that fails alone `MUTATION_ATTEMPTS` times is recorded
   * as failed. If it did commit after all (the error came after), that record is skipped.
   */
  private mutationBatchFailed(tasks: Task[], error: unknown, startedAt: number): void {
    const message = formatErrorWithStack(error);
    console.warn(`Executor shard ${this.fence.shard}: a batch of ${tasks.length} mutation steps failed: ${errorMessage(error)}`);
    for (const task of tasks) {
      // Only a failure on its own counts against a task: in a batch, another may be the cause.
      const attempts = (this.attempts.get(task._id) ?? 0) + (tasks.length === 1 ? 1 : 0);
      if (attempts >= MUTATION_ATTEMPTS) {
        this.attempts.delete(task._id);
        this.push(
          task._id,
          { kind: "failed", error: `Mutation step ${task.name} could not be run after ${attempts} attempts: ${message}` },
          startedAt,
          attempts,
        );
        continue;
      }
      this.attempts.set(task._id, attempts);
      this.delayed.set(task._id, { task, at: Date.now() + MUTATION_RETRY_MS * 2 ** Math.max(0, attempts - 1), attempts });
    }
  }

  private async execute(task: Task): Promise<void> {
    let result: RunResult;
    const startedAt = Date.now();
    // This run's number: earlier failed runs of the task on this executor, plus one.
    const attempts = (this.attempts.get(task._id) ?? 0) + 1;
    try {
      const value = await this.invoke(task);
      result = { kind: "success", returnValue: (value ?? null) as Value };
      this.paused.delete(task.name);
    } catch (error) {
      if (error instanceof WorkflowRateLimitError) {
        const previous = this.paused.get(task.name)?.strikes ?? 0;
        const backoff =
          error.retryAfterMs ?? Math.min(this.o.rateLimitBackoffMs * 2 ** previous, this.o.rateLimitMaxBackoffMs);
        this.paused.set(task.name, { until: Date.now() + backoff, strikes: previous + 1 });
        this.delayed.set(task._id, { task, at: Date.now() + backoff, attempts: this.attempts.get(task._id) ?? 0 });
        return;
      }
      const retry = task.functionType === "action" ? task.retry : undefined;
      if (retry && attempts < retry.maxAttempts) {
        this.attempts.set(task._id, attempts);
        const jitter = 0.5 + Math.random();
        const at = Date.now() + retry.initialBackoffMs * retry.base ** (attempts - 1) * jitter;
        this.delayed.set(task._id, { task, at, attempts });
        return;
      }
      result = { kind: "failed", error: formatErrorWithStack(error) };
    }
    this.attempts.delete(task._id);
    this.push(task._id, result, startedAt, attempts);
  }

  private async invoke(task: Task): Promise<unknown> {
    switch (task.functionType) {
      case "query":
        return await this.ctx.runQuery(task.handle as FunctionHandle<"query">, task.args);
      case "mutation":
        throw new Error("Mutation tasks are run by runMutationTasks");
      case "action": {
        const action = task.actionName ? this.actions.get(task.actionName) : undefined;
        if (!action) return await this.ctx.runAction(task.handle as FunctionHandle<"action">, task.args);
        if (action.args) validate(asObjectValidator(action.args), task.args, { throw: true });
        return await action.handler(this.ctx, task.args);
      }
    }
  }

  private promoteDelayed(now: number): void {
    for (const [id, entry] of this.delayed) {
      if (entry.at > now || this.inFlight.size >= this.o.concurrency) continue;
      this.delayed.delete(id);
      if (entry.task.functionType === "mutation") this.startMutations([entry.task]);
      else this.start(entry.task);
    }
  }

  private push(taskId: string, result: RunResult, startedAt: number, attempts?: number): void {
    if (this.buffer.length === 0) this.bufferSince = Date.now();
    this.buffer.push({ taskId, result, startedAt, attempts, bytes: getConvexSize(result as unknown as Value) });
  }

  private shouldFlush(now: number): boolean {
    if (this.buffer.length === 0) return false;
    if (this.buffer.length >= this.o.flushMaxCount) return true;
    if (this.buffer.reduce((n, b) => n + b.bytes, 0) >= this.o.flushMaxBytes) return true;
    if (now - this.bufferSince >= this.o.flushIntervalMs) return true;
    return !this.claiming && this.inFlight.size === 0;
  }

  /**
   * Record buffered results: bounded by count and bytes per transaction. The component may
   * handle fewer than it was sent (it stops at its own byte budget, counting the tasks and
   * steps it reads): only those it `consumed` leave the buffer, the rest go in the next flush.
   * A flush whose transaction fails is retried with half as many results (down to one), and
   * the size grows back by doubling after each flush that succeeds.
   */
  private async flush(): Promise<void> {
    let bytes = 0;
    let count = 0;
    const maxCount = Math.min(this.o.flushMaxCount, this.flushLimit);
    while (count < this.buffer.length && count < maxCount) {
      if (count > 0 && bytes + this.buffer[count].bytes > this.o.flushMaxBytes) break;
      bytes += this.buffer[count].bytes;
      count++;
    }
    const batch = this.buffer.slice(0, count);
    await this.o.hooks?.beforeFlush?.(batch.length);
    try {
      const { current, replays, consumed } = await this.ctx.runMutation(this.component.executor.taskQueue.recordResultBatch, {
        ...this.fence,
        results: batch.map(({ taskId, result, startedAt, attempts }) => ({ taskId, result, startedAt, attempts })),
      });
      if (replays > 0) this.expectFollowUps();
      // An older component does not say (it handled all); a count out of range is taken as one.
      const done = consumed === undefined ? count : Number.isInteger(consumed) && consumed >= 1 ? Math.min(consumed, count) : 1;
      this.buffer = this.buffer.slice(done);
      this.flushLimit = Math.min(this.o.flushMaxCount, this.flushLimit * 2);
      this.bufferSince = Date.now();
      this.lastHeartbeat = Date.now();
      if (!current) this.claiming = false;
    } catch (error) {
      // Keep the results and try again on the next turn with half as many (a batch too big for
      // one transaction would otherwise fail forever); the tasks stay queued meanwhile.
      this.flushLimit = Math.max(1, Math.floor(count / 2));
      console.warn(
        `Executor shard ${this.fence.shard}: flush of ${count} results failed, will retry ${this.flushLimit} at a time: ${errorMessage(error)}`,
      );
      this.bufferSince = Date.now();
      await sleep(this.o.pollIntervalMs * 4);
    }
  }

  private expectFollowUps(): void {
    this.emptyClaims = 0;
    this.expectWorkUntil = Date.now() + Math.max(FOLLOW_UP_MIN_MS, FOLLOW_UP_POLLS * this.o.pollIntervalMs);
    this.lastWork = Date.now();
  }

  /** Start a successor now; keep finishing our in-flight tasks, which it leaves alone. */
  private async handOff(): Promise<void> {
    this.handedOff = true;
    this.claiming = false;
    const taskIds = [...this.inFlight.keys(), ...this.delayed.keys(), ...this.buffer.map((b) => b.taskId)];
    await this.ctx.runMutation(this.component.executor.shards.handoff, {
      ...this.fence,
      taskIds: taskIds,
      until: this.started + ACTION_TIME_LIMIT_MS,
    });
  }
}
