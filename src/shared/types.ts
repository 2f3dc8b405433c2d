// Public types and validators shared by the client and the component.
import { type RunResult, vResultValidator, type WorkId, vWorkIdValidator } from "@convex-dev/workpool";
import { type Infer, v, type Validator, type Value, type VString } from "convex/values";

export type WorkflowId = string & { __isWorkflowId: true };
export const vWorkflowId = v.string() as VString<WorkflowId>;

export type EventId<Name extends string = string> = string & { __isEventId: true; __name: Name };
export type VEventId<Name extends string> = VString<EventId<Name>>;
/** Validator for an event id; the optional name only narrows the type. */
export const vEventId = <Name extends string = string>(_name?: Name): VEventId<Name> => v.string() as VEventId<Name>;

/** A workflow as `list` and `listByName` return it. */
export type PublicWorkflow = {
  workflowId: WorkflowId;
  name?: string;
  args: any;
  context?: any;
  runResult?: RunResult;
  /** The tags given at start (SPEC 4.3); `{}` when none. */
  tags: Record<string, string>;
  /** Its lifecycle status, as `list({ status })` filters by it. */
  status: "queued" | "running" | "paused" | "completed" | "failed" | "canceled";
  /** When it was created (ms since the epoch). */
  createdAt: number;
  /** When its current run finished; unset while it runs. */
  finishedAt?: number;
};
export const vPublicWorkflow = v.object({
  workflowId: vWorkflowId,
  name: v.optional(v.string()),
  args: v.any(),
  context: v.optional(v.any()),
  runResult: v.optional(vResultValidator),
  tags: v.record(v.string(), v.string()),
  status: v.union(
    v.literal("queued"),
    v.literal("running"),
    v.literal("paused"),
    v.literal("completed"),
    v.literal("failed"),
    v.literal("canceled"),
  ),
  createdAt: v.number(),
  finishedAt: v.optional(v.number()),
});
const _publicWorkflowCheck: Infer<typeof vPublicWorkflow> = {} as PublicWorkflow;
void _publicWorkflowCheck;

/**
 * One journal entry as `listSteps` returns it. `workId` is a function step's nested workpool
 * job (none for inline, `waitUntil` and executor task-queue steps), or a sleep's scheduled
 * wake-up (0.4.8 reported a workpool job for it).
 */
export type WorkflowStep = {
  workflowId: WorkflowId;
  name: string;
  stepId: string;
  stepNumber: number;
  args: unknown;
  runResult?: RunResult;
  /** When the step was journaled (its `queuedAt`), as 0.4.8 reports it; not when its work began. */
  startedAt: number;
  completedAt?: number;
} & (
  | { kind: "function"; workId?: WorkId }
  | { kind: "workflow"; nestedWorkflowId: WorkflowId }
  | { kind: "event"; eventId: EventId }
  | { kind: "sleep"; workId: WorkId }
);
export const vWorkflowStep = v.object({
  workflowId: vWorkflowId,
  name: v.string(),
  stepId: v.string(),
  stepNumber: v.number(),
  args: v.any(),
  runResult: v.optional(vResultValidator),
  startedAt: v.number(),
  completedAt: v.optional(v.number()),
  kind: v.union(v.literal("function"), v.literal("workflow"), v.literal("event"), v.literal("sleep")),
  workId: v.optional(vWorkIdValidator),
  nestedWorkflowId: v.optional(vWorkflowId),
  eventId: v.optional(vEventId()),
});
const _workflowStepCheck: Infer<typeof vWorkflowStep> = {} as WorkflowStep;
void _workflowStepCheck;

/** When a step should run: at a time, after a delay, or (neither) as soon as possible. */
export type SchedulerOptions = { runAt?: number; runAfter?: never } | { runAfter?: number; runAt?: never };

/** What an onComplete handler receives. */
export type OnCompleteArgs<Context = unknown> = {
  workflowId: WorkflowId;
  context: Context;
  result: RunResult;
};

export function vPaginationResult<T extends Validator<Value, "required", string>>(item: T) {
  return v.object({
    page: v.array(item),
    continueCursor: v.string(),
    isDone: v.boolean(),
    splitCursor: v.optional(v.union(v.string(), v.null())),
    pageStatus: v.optional(v.union(v.literal("SplitRecommended"), v.literal("SplitRequired"), v.null())),
  });
}
