// The step executor: the other half of a poll. The handler sends step requests down a
// channel; the executor answers each from the journal while there are entries left (in
// order, checking that the request matches what was recorded), then journals the next
// batch of new requests with `startSteps`. Inline steps finish in this transaction, so the
// executor keeps going; anything else means the poll is over until the batch completes.
import type { RetryBehavior, WorkpoolOptions } from "@convex-dev/workpool";
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
import type { JournalEntry } from "../../component/schema.js";
import { MAX_JOURNAL_SIZE } from "../../shared/limits.js";
import { formatErrorWithStack, journalSizeError } from "../../shared/errors.js";
import type { EventId, SchedulerOptions } from "../../shared/types.js";
import { functionName } from "../functionName.js";
import type { RunResult, TransactionLimits, WorkflowComponent } from "../types.js";

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

export type StepRequest = {
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
export type ExecutorRouting = {
  shards: number;
  /** The registered in-process action for a function name, if any. */
  actionFor: (functionName: string) => string | undefined;
  /** The app's executor action as a function handle, once `setExecutorRef` was called. */
  executorHandle: () => Promise<string | undefined>;
};

/** How a poll ended, when the handler did not finish. */
export type ExecutorResult = { type: "blocked" };

type StepDoc = JournalEntry["step"];

export class StepExecutor {
  private journalSize: number;
  private readonly journal: JournalEntry[];

  constructor(
    private readonly workflowId: string,
    private readonly generationNumber: number,
    private readonly ctx: GenericMutationCtx<GenericDataModel>,
    private readonly component: WorkflowComponent,
    journal: JournalEntry[],
    private readonly channel: BaseChannel<StepRequest>,
    private readonly pollTime: number,
    private readonly workpoolOptions: WorkpoolOptions | undefined,
    private readonly maxBatch: number,
    private readonly routing?: ExecutorRouting,
    /**
     * Collect new steps instead of journaling them (a batched replay: the component
     * journals what `collected` returns, in the same transaction).
     */
    private readonly collect = false,
  ) {
    this.journal = [...journal];
    this.journalSize = journal.reduce((size, entry) => size + getConvexSize(entry as unknown as Value), 0);
    if (this.journalSize > MAX_JOURNAL_SIZE) throw new Error(journalSizeError(this.journalSize, workflowId));
  }

  /**
   * The handler's clock: while replaying, the time the next step was originally
   * requested; past the journal, the time this poll started.
   */
  clock = (): { now: number; latest: boolean } => {
    // Requests already sent but not yet read will consume journal entries first.
    const next = this.journal[this.channel.bufferSize];
    return next ? { now: next.step.queuedAt, latest: false } : { now: this.pollTime, latest: true };
  };

  private stopped = false;
  private starting: Promise<unknown> | undefined;

  /**
   * The handler has finished: start nothing more, and wait for a batch being journaled right
   * now, so the workflow is completed only after everything this poll did is in the journal
   * (a `Promise.all` can reject while its other members are still being journaled).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
  }

  async run(): Promise<ExecutorResult> {
    for (;;) {
      const request = await this.channel.get();
      if (this.stopped) return { type: "blocked" };
      const entry = this.journal.shift();
      if (entry) {
        this.replay(request, entry);
        continue;
      }
      // Past the journal: everything the handler asked for together is one batch.
      const batch = [request];
      while (this.channel.bufferSize > 0 && batch.length < this.maxBatch) {
        batch.push(await this.channel.get());
      }
      if (this.stopped) return { type: "blocked" };
      this.starting = this.start(batch);
      const entries = (await this.starting) as JournalEntry[];
      this.starting = undefined;
      if (!entries.every((e) => e.step.runResult)) return { type: "blocked" };
      if (this.stopped) return { type: "blocked" };
      batch.forEach((r, i) => r.resolve(entries[i].step.runResult!));
    }
  }

  /** Answer a request from its journal entry, after checking it asks for the same thing. */
  private replay(request: StepRequest, entry: JournalEntry): void {
    const recorded = { name: entry.step.name, kind: entry.step.kind ?? "function", args: entry.step.args };
    const requested = { name: request.name, kind: request.target.kind, args: request.target.args };
    if (request.unstableArgs) {
      delete (recorded as Partial<typeof recorded>).args;
      delete (requested as Partial<typeof requested>).args;
    }
    const a = canonicalJson(recorded);
    const b = canonicalJson(requested as Value);
    if (a !== b) {
      throw new Error(
        `Journal entry mismatch: step ${entry.stepNumber} was recorded as\n\n${a}\n\nbut the handler now asks for\n\n${b}\n\n` +
          "Workflow handlers must be deterministic: on replay they must request the same steps in the same order.",
      );
    }
    if (entry.step.inProgress || !entry.step.runResult) {
      throw new Error(`Assertion failed: replaying step ${entry.stepNumber} of ${this.workflowId}, which has no result`);
    }
    request.resolve(entry.step.runResult);
  }

  /** Steps requested past the journal, in order, when collecting. */
  readonly collected: Array<{
    step: StepDoc;
    retry: StepRequest["retry"];
    schedulerOptions: SchedulerOptions;
    timeoutMs?: number;
    task?: Awaited<ReturnType<StepExecutor["routeToExecutor"]>>;
  }> = [];

  /** Journal a batch (running inline steps first) and return the stored entries. */
  private async start(batch: StepRequest[]): Promise<JournalEntry[]> {
    const steps = [];
    for (const request of batch) {
      steps.push({
        step: await this.toStepDoc(request),
        retry: request.retry,
        schedulerOptions: request.schedulerOptions,
        timeoutMs: request.timeoutMs,
        task: await this.routeToExecutor(request),
      });
    }
    if (this.collect) {
      // Inline steps are done already; anything else ends this replay.
      this.collected.push(...steps);
      for (const { step } of steps) this.journalSize += getConvexSize(step);
      if (this.journalSize > MAX_JOURNAL_SIZE) throw new Error(journalSizeError(this.journalSize, this.workflowId));
      return steps.map(({ step }) => ({ step }) as JournalEntry);
    }
    const entries = (await this.ctx.runMutation(this.component.journal.startSteps, {
      workflowId: this.workflowId,
      generationNumber: this.generationNumber,
      steps: steps,
      workpoolOptions: this.workpoolOptions,
    })) as unknown as JournalEntry[];
    for (const entry of entries) {
      this.journalSize += getConvexSize(entry);
      if (this.journalSize > MAX_JOURNAL_SIZE) {
        throw new Error(
          `${journalSizeError(this.journalSize, this.workflowId)} The step that crossed it was "${entry.step.name}" (${entry._id}).`,
        );
      }
    }
    return entries;
  }

  /** Executor mode sends queries, mutations and registered actions to the task queue. */
  private async routeToExecutor(request: StepRequest) {
    const { target } = request;
    if (!this.routing || target.kind !== "function" || request.inline || request.wait) return undefined;
    const name = functionName(target.function);
    const actionName = target.functionType === "action" ? this.routing.actionFor(name) : undefined;
    if (target.functionType === "action" && !actionName) return undefined; // unregistered: workpool
    return { shards: this.routing.shards, actionName, executorHandle: await this.routing.executorHandle() };
  }

  private async toStepDoc(request: StepRequest): Promise<StepDoc> {
    const { target } = request;
    const args = target.args as Value;
    const argsSize = getConvexSize(args);
    const common = {
      name: request.name,
      inProgress: true,
      args,
      argsSize,
      queuedAt: this.pollTime,
    };
    switch (target.kind) {
      case "function": {
        const handle = await createFunctionHandle(target.function);
        const base = { kind: "function" as const, functionType: target.functionType, handle, ...common };
        if (request.wait) {
          const { pollIntervalMs, maxPollIntervalMs } = request.wait;
          return { ...base, wait: { pollIntervalMs, maxPollIntervalMs, nextIntervalMs: pollIntervalMs, checks: 0 } };
        }
        if (!request.inline) return base;
        return { ...base, ...(await this.runInline(request, target)) };
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
    request: StepRequest,
    target: Extract<StepTarget, { kind: "function" }>,
  ): Promise<Pick<StepDoc, "inProgress" | "runResult" | "completedAt">> {
    const options = request.transactionLimits ? { transactionLimits: request.transactionLimits } : undefined;
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
    return { inProgress: false, runResult, completedAt: this.pollTime };
  }
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
