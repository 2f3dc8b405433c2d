// The replayer: the other half of a replay. The handler sends step calls down a channel;
// the replayer answers each from the journal while there are entries left (in order,
// checking that the call asks for what was recorded), then journals the next batch of new
// steps through its `StepJournal`. Inline steps finish in this transaction, so the replayer
// keeps going; anything else means the replay is over until the batch completes.
import type { RetryBehavior } from "@convex-dev/workpool";
import type { BaseChannel } from "async-channel";
import {
  createFunctionHandle,
  type FunctionReference,
  type FunctionType,
  type FunctionVisibility,
  type GenericDataModel,
  type GenericMutationCtx,
} from "convex/server";
import { convexToJson, getConvexSize, type Value } from "convex/values";
import { formatErrorWithStack } from "../../shared/errors.js";
import type { JournalEntry, StepRequest, WireStep } from "../../shared/protocol.js";
import type { EventId, SchedulerOptions } from "../../shared/types.js";
import { VERSIONING_HINT } from "../../shared/versioning.js";
import { functionName } from "../functionName.js";
import type { RunResult, TransactionLimits } from "../types.js";
import { JournalSize, type StepJournal } from "./stepJournal.js";

export type StepTarget =
  | {
      kind: "function";
      functionType: FunctionType;
      function: FunctionReference<FunctionType, FunctionVisibility>;
      args: Record<string, unknown>;
    }
  | { kind: "workflow"; function: FunctionReference<"mutation", "internal">; args: Record<string, unknown> }
  | { kind: "event"; args: { eventId?: EventId } }
  | { kind: "sleep"; args: Record<string, never> };

/** One `step.*` call of the handler, as it goes down the channel to the replayer. */
export type StepCall = {
  name: string;
  target: StepTarget;
  retry: RetryBehavior | boolean | undefined;
  inline: boolean;
  unstableArgs: boolean;
  transactionLimits: TransactionLimits | undefined;
  schedulerOptions: SchedulerOptions;
  /** `awaitEvent` / `waitUntil` deadline, in ms from when the step starts. */
  timeoutMs?: number;
  /** `waitUntil`: how often the condition query is re-checked. */
  wait?: { pollIntervalMs: number; maxPollIntervalMs: number };
  resolve: (result: RunResult) => void;
};

/** Executor mode: which function steps go to the task queue, and how. */
export type TaskRouting = {
  shards: number;
  /** The registered in-process action for a function name, if any. */
  actionFor: (functionName: string) => string | undefined;
  /** The app's executor action as a function handle, once `setExecutorRef` was called. */
  executorHandle: () => Promise<string | undefined>;
};

export type ReplayerOptions = {
  workflowId: string;
  /** The workflow mutation's ctx: inline steps run in it. */
  ctx: GenericMutationCtx<GenericDataModel>;
  /** The journal so far, in step order: replayed before anything new is journaled. */
  entries: JournalEntry[];
  /** Where the steps past the journal go. */
  journal: StepJournal;
  channel: BaseChannel<StepCall>;
  /** When this replay started: the handler's clock past the journal, and new steps' `queuedAt`. */
  replayTime: number;
  /** Steps journaled together at most (one batch). */
  maxBatch: number;
  /** Executor mode. */
  routing?: TaskRouting;
  /** The definition's `version` (docs/versioning.md): journaled on each new step. Default 0. */
  version?: number;
  /**
   * Called with the first batch past the journal, before anything is run or journaled; if it
   * throws, `run` rejects with that error (`replayJournal` stops there: no database).
   */
  onPastJournal?: (batch: StepCall[]) => void;
};

/** What `step.journal.consumeNext` returns: the skipped entry as recorded. */
export type ConsumedStep = { name: string; args: unknown; runResult: RunResult | undefined };

/** A step as the replayer makes it, before it is journaled. */
type NewStep = StepRequest["step"];

/** How a replay ended, when the handler did not finish: it waits on journaled steps. */
export type ReplayBlocked = { type: "blocked" };

export class Replayer {
  private readonly workflowId: string;
  private readonly ctx: GenericMutationCtx<GenericDataModel>;
  private readonly entries: JournalEntry[];
  private readonly journal: StepJournal;
  private readonly channel: BaseChannel<StepCall>;
  private readonly replayTime: number;
  private readonly maxBatch: number;
  private readonly routing: TaskRouting | undefined;
  private readonly size: JournalSize;
  /** The definition's version. */
  readonly version: number;
  /** Calls the handler sent (`noteSent`) and `run` took: the difference is still in the channel. */
  private sent = 0;
  private received = 0;
  /** Steps requested in this run, skipped ones included (`step.journal.getStepCount()`). */
  private requested = 0;
  private readonly onPastJournal: ((batch: StepCall[]) => void) | undefined;
  /** The error a `step.journal` call threw, if any (the handler may have caught it). */
  journalError: Error | undefined;

  /** Throws the journal size error if `entries` are already over the limit. */
  constructor(options: ReplayerOptions) {
    this.workflowId = options.workflowId;
    this.ctx = options.ctx;
    this.entries = [...options.entries];
    this.journal = options.journal;
    this.channel = options.channel;
    this.replayTime = options.replayTime;
    this.maxBatch = options.maxBatch;
    this.routing = options.routing;
    this.size = JournalSize.of(options.workflowId, options.entries);
    this.version = options.version ?? 0;
    this.onPastJournal = options.onPastJournal;
  }

  // --- step.journal (SPEC 4.1). Entries are matched to calls in the order the handler sent
  // them; `entries[unread]` is the entry the handler's next request will meet.

  /** The handler sent a step call (counted when it is pushed, before the replayer reads it). */
  noteSent(): void {
    this.sent++;
    this.requested++;
  }

  private get unread(): number {
    return Math.max(0, this.sent - this.received);
  }

  /** The next recorded entry's version while replaying; past the journal, the definition's. */
  getVersion(): number {
    const next = this.entries[this.unread];
    return next ? (next.step.version ?? 0) : this.version;
  }

  getStepCount(): number {
    return this.requested;
  }

  /** Skip the next recorded entry (a step this version no longer asks for) and return it. */
  consumeNext(name?: string): ConsumedStep {
    if (name !== undefined && typeof name !== "string") {
      throw new Error(`step.journal.consumeNext: \`name\` must be a string, got ${typeof name}`);
    }
    const index = this.unread;
    const entry = this.entries[index];
    const what = `step.journal.consumeNext(${name === undefined ? "" : JSON.stringify(name)})`;
    if (!entry) {
      throw this.journalFailure(
        `${what}: no recorded step left to skip: step ${this.requested} of workflow ${this.workflowId} is past its ` +
          "recorded history. Call consumeNext only on the path of runs that recorded the step, e.g. under " +
          "`if (step.journal.getVersion() < N)`.",
      );
    }
    const recorded = { name: entry.step.name, kind: entry.step.kind ?? "function" };
    if (name !== undefined && recorded.name !== name) {
      throw this.journalFailure(
        `${what}: step ${entry.stepNumber} of workflow ${this.workflowId} was recorded as ` +
          `${JSON.stringify(recorded)} (version ${entry.step.version ?? 0}), not "${name}".`,
      );
    }
    this.entries.splice(index, 1);
    this.requested++;
    return { name: entry.step.name, args: entry.step.args, runResult: entry.step.runResult };
  }

  private journalFailure(message: string): Error {
    this.journalError = new Error(message);
    return this.journalError;
  }

  /** Recorded entries not yet replayed or skipped. */
  get remaining(): readonly JournalEntry[] {
    return this.entries;
  }

  /**
   * The handler's clock: while replaying, the time the next step was originally
   * requested; past the journal, the time this replay started.
   */
  clock = (): { now: number; latest: boolean } => {
    // Calls already sent but not yet read will consume journal entries first.
    const next = this.entries[this.channel.bufferSize];
    return next ? { now: next.step.queuedAt, latest: false } : { now: this.replayTime, latest: true };
  };

  private stopped = false;
  private journaling: Promise<unknown> | undefined;

  /**
   * The handler has finished: start nothing more, and wait for a batch being journaled right
   * now, so the workflow is completed only after everything this replay did is in the journal
   * (a `Promise.all` can reject while its other members are still being journaled).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.journaling?.catch(() => undefined);
  }

  async run(): Promise<ReplayBlocked> {
    for (;;) {
      const call = await this.channel.get();
      this.received++;
      if (this.stopped) return { type: "blocked" };
      const entry = this.entries.shift();
      if (entry) {
        this.replay(call, entry);
        continue;
      }
      // Past the journal: everything the handler asked for together is one batch.
      const batch = [call];
      while (this.channel.bufferSize > 0 && batch.length < this.maxBatch) {
        batch.push(await this.channel.get());
        this.received++;
      }
      if (this.stopped) return { type: "blocked" };
      this.onPastJournal?.(batch);
      this.journaling = this.start(batch);
      const steps = (await this.journaling) as WireStep[];
      this.journaling = undefined;
      if (!steps.every((step) => step.runResult)) return { type: "blocked" };
      if (this.stopped) return { type: "blocked" };
      batch.forEach((c, i) => c.resolve(steps[i].runResult!));
    }
  }

  /** Answer a call from its journal entry, after checking it asks for the same thing. */
  private replay(call: StepCall, entry: JournalEntry): void {
    const mismatch = journalMismatch(call, entry, this.version);
    if (mismatch) throw mismatch;
    if (entry.step.inProgress || !entry.step.runResult) {
      throw new Error(
        `Assertion failed: replaying step ${entry.stepNumber} of ${this.workflowId}, which has no result`,
      );
    }
    call.resolve(entry.step.runResult);
  }

  /** Journal a batch (running inline steps first) and return its steps as journaled. */
  private async start(batch: StepCall[]): Promise<WireStep[]> {
    const requests: StepRequest[] = [];
    for (const call of batch) {
      requests.push({
        step: await this.toStep(call),
        retry: call.retry,
        schedulerOptions: call.schedulerOptions,
        timeoutMs: call.timeoutMs,
        task: await this.routeToTask(call),
      });
    }
    return await this.journal.journal(requests, this.size);
  }

  /** Executor mode sends queries, mutations and registered actions to the task queue. */
  private async routeToTask(call: StepCall): Promise<StepRequest["task"]> {
    const { target } = call;
    if (!this.routing || target.kind !== "function" || call.inline || call.wait) return undefined;
    const name = functionName(target.function);
    const actionName = target.functionType === "action" ? this.routing.actionFor(name) : undefined;
    if (target.functionType === "action" && !actionName) return undefined; // unregistered: workpool
    return { shards: this.routing.shards, actionName, executorHandle: await this.routing.executorHandle() };
  }

  private async toStep(call: StepCall): Promise<NewStep> {
    const { target } = call;
    const args = target.args as Value;
    const argsSize = getConvexSize(args);
    const common = {
      name: call.name,
      inProgress: true,
      args,
      argsSize,
      queuedAt: this.replayTime,
      ...(this.version !== 0 && { version: this.version }),
    };
    switch (target.kind) {
      case "function": {
        const handle = await createFunctionHandle(target.function);
        const base = { kind: "function" as const, functionType: target.functionType, handle, ...common };
        if (call.wait) {
          const { pollIntervalMs, maxPollIntervalMs } = call.wait;
          return { ...base, wait: { pollIntervalMs, maxPollIntervalMs, nextIntervalMs: pollIntervalMs, checks: 0 } };
        }
        if (!call.inline) return base;
        return { ...base, ...(await this.runInline(call, target)) };
      }
      case "workflow":
        return { kind: "workflow", handle: await createFunctionHandle(target.function), ...common };
      case "event":
        return { kind: "event", ...common, args: { eventId: target.args.eventId } };
      case "sleep":
        return { kind: "sleep", ...common };
    }
  }

  /** Run a query or mutation inside this transaction; its outcome is journaled as done. */
  private async runInline(
    call: StepCall,
    target: Extract<StepTarget, { kind: "function" }>,
  ): Promise<Pick<NewStep, "inProgress" | "runResult" | "completedAt">> {
    const options = call.transactionLimits ? { transactionLimits: call.transactionLimits } : undefined;
    let runResult: RunResult;
    try {
      const run =
        target.functionType === "query"
          ? (this.ctx.runQuery as (...a: unknown[]) => Promise<unknown>)
          : (this.ctx.runMutation as (...a: unknown[]) => Promise<unknown>);
      const returnValue = await run(target.function, target.args, ...(options ? [options] : []));
      runResult = { kind: "success", returnValue: returnValue ?? null };
    } catch (error) {
      runResult = { kind: "failed", error: formatErrorWithStack(error) };
    }
    return { inProgress: false, runResult, completedAt: this.replayTime };
  }
}

/** The `Journal entry mismatch` error if `call` does not ask for what `entry` recorded. */
export function journalMismatch(
  call: Pick<StepCall, "name" | "target" | "unstableArgs">,
  entry: JournalEntry,
  version: number,
): Error | undefined {
  const recorded = { name: entry.step.name, kind: entry.step.kind ?? "function", args: entry.step.args };
  const requested = { name: call.name, kind: call.target.kind, args: call.target.args };
  if (call.unstableArgs) {
    delete (recorded as Partial<typeof recorded>).args;
    delete (requested as Partial<typeof requested>).args;
  }
  const a = canonicalJson(recorded);
  const b = canonicalJson(requested as Value);
  if (a === b) return undefined;
  return new Error(
    `Journal entry mismatch: step ${entry.stepNumber} was recorded as\n\n${a}\n\nbut the handler now asks for\n\n${b}\n\n` +
      "Workflow handlers must be deterministic: on replay they must request the same steps in the same order.\n\n" +
      mismatchDetails(entry, call, version),
  );
}

/**
 * The versioning part of a mismatch (SPEC 4.1): the step number, the recorded and the requested
 * `{ name, kind }`, the recorded and the current version, and how to branch.
 */
export function mismatchDetails(entry: JournalEntry, call: Pick<StepCall, "name" | "target">, version: number): string {
  const recorded = JSON.stringify({ name: entry.step.name, kind: entry.step.kind ?? "function" });
  const requested = JSON.stringify({ name: call.name, kind: call.target.kind });
  return (
    `Step ${entry.stepNumber}: recorded ${recorded} at version ${entry.step.version ?? 0}; ` +
    `requested ${requested} at current version ${version}. ${VERSIONING_HINT}`
  );
}

/** JSON with object keys sorted, so that storage reordering fields never looks like a change. */
export function canonicalJson(value: Value): string {
  const sort = (json: unknown): unknown => {
    if (Array.isArray(json)) return json.map(sort);
    if (json && typeof json === "object") {
      return Object.fromEntries(
        Object.keys(json)
          .sort()
          .map((k) => [k, sort((json as Record<string, unknown>)[k])]),
      );
    }
    return json;
  };
  return JSON.stringify(sort(convexToJson(value)));
}
