import { vResultValidator, vWorkIdValidator } from "@convex-dev/workpool";
import { defineSchema, defineTable } from "convex/server";
import { type Infer, v } from "convex/values";
import { logLevel } from "../shared/logging.js";
import {
  conditionWaitValidator,
  vFlowGates,
  stepValidator,
  tableId,
  vLifecycleStatus,
  vListFilter,
  vTags,
  vTask,
} from "../shared/protocol.js";

/** A mutation (by function handle) to call once when a workflow finishes. */
export const vOnComplete = v.object({
  fnHandle: v.string(),
  context: v.optional(v.any()),
});

/** Where a nested workflow reports its result: a step of its parent. */
export const vParent = v.object({
  workflowId: v.id("workflows"),
  stepId: v.id("steps"),
  generationNumber: v.number(),
});

const workflowFields = {
  name: v.optional(v.string()),
  /** Function handle of the app's workflow mutation, which replays the handler. */
  workflowHandle: v.string(),
  args: v.any(),
  onComplete: v.optional(vOnComplete),
  parent: v.optional(vParent),
  /** Unset while running; set exactly once when the workflow finishes. */
  runResult: v.optional(vResultValidator),
  /** Fences stale replays and late step results: bumped by cancel and restart. */
  generationNumber: v.number(),
  /** When the current run finished (set with runResult). */
  finishedAt: v.optional(v.number()),
  /**
   * Versioning (docs/versioning.md): the definition's `version` that started this run (absent
   * = 0). A nested workflow's is stamped by its first replay (versioning.stampVersion).
   */
  version: v.optional(v.number()),
  /** Which run this is: 1 + the times it continued as new (absent = 1). */
  runNumber: v.optional(v.number()),
  /**
   * Set while a restart or a continue-as-new is still deleting the old journal (from step
   * `from`) in scheduled `restartContinue`s, for that generation (cleanup.ts `continueReset`).
   * The workflow is not ready meanwhile (nothing replays it against a half-deleted journal), and
   * a cancel in between does not stop the deletion; a later restart finishes it.
   */
  resetting: v.optional(v.object({ generationNumber: v.number(), from: v.optional(v.number()) })),
  /** Flow control (flowControl/): the start's `idempotencyKey`; a start of this name with it returns this workflow. */
  idempotencyKey: v.optional(v.string()),
  /**
   * Flow control: what gates this workflow's begins (priority, concurrency and rate limit, with
   * their keys computed at start). `slot`: it holds a slot of its (name, key) now (flowControl/slots.ts):
   * set when a run begins, cleared when that run releases it, so a slot is released once per run.
   */
  flow: v.optional(v.object({ ...vFlowGates, slot: v.optional(v.boolean()) })),
  /**
   * Flow control: present exactly while the workflow waits to begin (status "queued"): in its
   * (name, key) queue (`flowQueue`) or, with `debounceKey`, for its debounce window (`flowDebounce`).
   */
  queued: v.optional(v.object({ since: v.number(), priority: v.number(), debounceKey: v.optional(v.string()) })),
  /** Tags given at start (SPEC 4.3), also rows of `workflowTags` for filtering. */
  tags: v.optional(vTags),
  /**
   * Set while paused (pause.ts): no replay runs until `resume`. `counted`: the pause is in the
   * `paused` counter (stats.ts); absent on pauses made before that counter existed.
   */
  paused: v.optional(v.object({ at: v.number(), counted: v.optional(v.boolean()) })),
  /**
   * The lifecycle status, stored for indexed filtering: written at insert and then only by
   * status.ts (`refreshStatus`, `patchWithStatus`), derived by `lifecycleStatus`. Absent on
   * workflows from before it existed.
   */
  status: v.optional(vLifecycleStatus),
};
export const workflowDocument = v.object({
  _id: v.string(),
  _creationTime: v.number(),
  ...workflowFields,
});
export type Workflow = Infer<typeof workflowDocument>;

export const vStep = stepValidator(tableId);
export type Step = Infer<typeof vStep>;
export type Task = Infer<typeof vTask>;
export const vConditionWait = conditionWaitValidator(tableId);
export type ConditionWait = Infer<typeof vConditionWait>;

const journalFields = {
  workflowId: v.id("workflows"),
  stepNumber: v.number(),
  step: vStep,
  /**
   * Executor mode: the step's task on its shard's queue (see executor/taskQueue.ts). Set when
   * the step is journaled, cleared by the write that records its result or stops it.
   */
  task: v.optional(vTask),
};
export const journalDocument = v.object({
  _id: v.string(),
  _creationTime: v.number(),
  ...journalFields,
});
export type JournalEntry = Infer<typeof journalDocument>;
/**
 * A journal entry as written: its id and fields, without `_creationTime` (a fresh insert is
 * not read back). A stored `Doc<"steps">` is one too.
 */
export const stepEntry = v.object({ _id: v.id("steps"), ...journalFields });
export type StepEntry = Infer<typeof stepEntry>;

export const vEventState = v.union(
  v.object({ kind: v.literal("created") }),
  v.object({ kind: v.literal("sent"), result: vResultValidator, sentAt: v.number() }),
  v.object({
    kind: v.literal("waiting"),
    waitingAt: v.number(),
    stepId: v.id("steps"),
    /** The workflow generation (run) of the waiting step: only that run may consume a send. */
    generationNumber: v.optional(v.number()),
  }),
  v.object({
    kind: v.literal("consumed"),
    waitingAt: v.number(),
    sentAt: v.number(),
    consumedAt: v.number(),
    stepId: v.id("steps"),
  }),
  /** The awaiting step's deadline passed first: the event is closed to sends by id. */
  v.object({ kind: v.literal("timedOut"), waitingAt: v.number(), timedOutAt: v.number(), stepId: v.id("steps") }),
);

/**
 * The counters of `workflowCounts` / `workflowTotals` (stats.ts): `started` counts every
 * workflow that exists, the others those finished that way; running = started − finished.
 */
export const vCountStatus = v.union(
  v.literal("started"),
  v.literal("success"),
  v.literal("failed"),
  v.literal("canceled"),
  /** Flow control: workflows waiting to begin now (running = started − finished − queued − paused). */
  v.literal("queued"),
  /** Paused workflows (pause.ts). */
  v.literal("paused"),
);

export default defineSchema({
  /** A single row: component-wide settings (see utils:updateConfig). */
  config: defineTable({
    logLevel: v.optional(logLevel),
    maxParallelism: v.optional(v.number()),
    /** Retention periods in ms (retention.ts), from `new WorkflowManager(c, { retention })`. */
    retention: v.optional(
      v.object({ completed: v.optional(v.number()), failed: v.optional(v.number()), canceled: v.optional(v.number()) }),
    ),
  }),
  workflows: defineTable(workflowFields)
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- list needs creation order within the range
    .index("name", ["name"])
    /** `list({ status })` and `list({ name, status })`, in creation order (listing.ts). */
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- list needs creation order within the range
    .index("status", ["status"])
    .index("name_status", ["name", "status"])
    /** Retention (retention.ts): finished top-level workflows (no parent) by when they finished. */
    .index("retention", ["status", "parent.workflowId", "finishedAt"])
    /** Flow control: the workflow of a name started with an idempotency key (one, until cleanup). */
    .index("idempotencyKey", ["name", "idempotencyKey"]),
  /**
   * One row per tag of a workflow (tags.ts), with the workflow's name and status copied so that
   * `list({ tag, name?, status? })` is one index range, in creation order.
   */
  workflowTags: defineTable({
    workflowId: v.id("workflows"),
    key: v.string(),
    value: v.string(),
    name: v.string(),
    status: vLifecycleStatus,
  })
    .index("workflow", ["workflowId"])
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- list needs creation order within the range
    .index("key_value", ["key", "value"])
    .index("key_value_status", ["key", "value", "status"])
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes -- list needs creation order within the range
    .index("key_value_name", ["key", "value", "name"])
    .index("key_value_name_status", ["key", "value", "name", "status"]),
  /** `cancelMany` / `restartMany` jobs (bulk.ts): progress, read by `bulkProgress`. */
  bulkJobs: defineTable({
    kind: v.union(v.literal("cancel"), v.literal("restart")),
    filter: vListFilter,
    /** `restartMany`: where each workflow re-runs from (unset: 0). */
    from: v.optional(v.union(v.number(), v.literal("failed"))),
    /** Where the next batch continues (a `list` cursor); null: from the start. */
    cursor: v.union(v.string(), v.null()),
    /** Workflows acted on so far. */
    count: v.number(),
    /** Workflows the filter matched that were left as they were (not running, or not finished). */
    skipped: v.number(),
    batches: v.number(),
    startedAt: v.number(),
    finishedAt: v.optional(v.number()),
  }),
  /** Retention (retention.ts): a single row guarding the one sweep that may be scheduled. */
  retentionSweep: defineTable({
    scheduledId: v.optional(v.id("_scheduled_functions")),
    nextAt: v.number(),
    lastSweptAt: v.optional(v.number()),
    deleted: v.number(),
  }),
  steps: defineTable(journalFields)
    .index("workflow", ["workflowId", "stepNumber"])
    .index("inProgress", ["step.inProgress", "workflowId"])
    /** Executor mode: each shard's task queue, in the order tasks become ready. */
    .index("task", ["task.shard", "task.readyAt"]),
  events: defineTable({
    workflowId: v.id("workflows"),
    name: v.string(),
    createdAt: v.optional(v.number()),
    state: vEventState,
  }).index("workflowId_state", ["workflowId", "state.kind", "name"]),
  /**
   * Webhooks (webhooks.ts): an event of a workflow reachable over HTTP by a secret token.
   * Only the token's SHA-256 (hex) is stored.
   */
  webhooks: defineTable({
    workflowId: v.id("workflows"),
    eventId: v.id("events"),
    /**
     * Set when a restart deleted the `createWebhook` step that made it: the new run makes its
     * own, and this one answers 410. A restart that keeps that step keeps the webhook open.
     */
    closedAt: v.optional(v.number()),
    tokenHash: v.string(),
    name: v.string(),
    /**
     * The validator a delivered value must match: its JSON form (`validator.json`) as a JSON
     * string (the form itself may hold field names a document cannot, like `$integer`).
     */
    validator: v.optional(v.string()),
    expiresAt: v.optional(v.number()),
    createdAt: v.number(),
  })
    .index("by_tokenHash", ["tokenHash"])
    /** Retention purges a deleted workflow's rows (retention.ts). */
    .index("by_workflow", ["workflowId"]),
  /** Executor mode: one row per shard — who may claim its tasks (epoch, instance) and liveness. */
  executorEpoch: defineTable({
    shard: v.number(),
    shards: v.number(),
    /** Bumped by every `startExecutors`: executors of older epochs stop claiming. */
    epoch: v.number(),
    /** Bumped by each handoff or restart within an epoch: only the newest instance claims. */
    instance: v.number(),
    executorHandle: v.string(),
    running: v.boolean(),
    heartbeatAt: v.number(),
    watchdogScheduled: v.optional(v.boolean()),
  }).index("by_shard", ["shard"]),
  /** Tasks (by step) a handing-off executor is still finishing; its successor leaves them alone until `until`. */
  executorHandoff: defineTable({
    shard: v.number(),
    fromInstance: v.number(),
    stepIds: v.array(v.id("steps")),
    until: v.number(),
  }).index("by_shard", ["shard"]),
  /**
   * Workflow counts by name and counter, as of the last fold (countFolding.ts, their only
   * writer): one row per (name, counter) in slot 0; earlier versions used slots 0–15.
   */
  workflowCounts: defineTable({
    name: v.string(),
    status: vCountStatus,
    slot: v.number(),
    count: v.number(),
  }).index("by_name_status_slot", ["name", "status", "slot"]),
  /**
   * The same counts summed over all names (slot 0; earlier versions used slots 0–63), so that
   * the totals cost a fixed number of reads however many names there are.
   */
  workflowTotals: defineTable({
    status: vCountStatus,
    slot: v.number(),
    count: v.number(),
  }).index("by_status_slot", ["status", "slot"]),
  /**
   * Counter changes not yet folded into the counts: one row per (transaction, workflow name),
   * only ever inserted by transitions and deleted by the folder (countFolding.ts).
   */
  countChanges: defineTable({
    name: v.string(),
    changes: v.array(v.object({ counter: vCountStatus, delta: v.number() })),
  }).index("by_name", ["name"]),
  /**
   * One row: whether the folder (countFolding.ts) is scheduled, and when it was last known
   * alive (scheduled, or its periodic note while it runs).
   */
  countFolding: defineTable({ scheduled: v.boolean(), aliveAt: v.optional(v.number()) }),
  /**
   * Flow control (flowControl/slots.ts): one row per (workflow name, gate key): how many of its
   * workflows hold a slot (run) now, and when a scheduled pump of its queue is due (at most one).
   * The key is `c:<concurrency key>` with a concurrency limit, else `r:<rate-limit key>`.
   */
  flowSlots: defineTable({
    name: v.string(),
    key: v.string(),
    running: v.number(),
    wakeAt: v.optional(v.number()),
  }).index("by_name_key", ["name", "key"]),
  /** Flow control (flowControl/queue.ts): queued workflows per (name, key), higher priority first, FIFO within. */
  flowQueue: defineTable({
    name: v.string(),
    key: v.string(),
    /** −priority, so that the index's ascending order puts the highest priority first. */
    rank: v.number(),
    workflowId: v.id("workflows"),
  })
    .index("by_queue", ["name", "key", "rank"])
    .index("by_workflow", ["workflowId"]),
  /** Flow control (flowControl/rateLimit.ts): per (name, rate-limit key), the begin times in the sliding window, oldest first. */
  flowRateWindow: defineTable({
    name: v.string(),
    key: v.string(),
    begins: v.array(v.number()),
  }).index("by_name_key", ["name", "key"]),
  /** Flow control (flowControl/debounce.ts): the open debounce window of a (name, key) and its workflow. */
  flowDebounce: defineTable({
    name: v.string(),
    key: v.string(),
    workflowId: v.id("workflows"),
    firstAt: v.number(),
    beginAt: v.number(),
  }).index("by_name_key", ["name", "key"]),
  /**
   * onComplete handlers that threw, kept for inspection; the workflow's result stands. Deleted
   * with their workflow (cleanup.ts, through `by_workflow`).
   */
  onCompleteFailures: defineTable(
    v.union(
      v.object({
        workflowId: v.id("workflows"),
        generationNumber: v.number(),
        runResult: vResultValidator,
        error: v.string(),
      }),
      v.object({
        workId: v.optional(vWorkIdValidator),
        workflowId: v.optional(v.string()),
        result: vResultValidator,
        context: v.any(),
      }),
    ),
  ).index("by_workflow", ["workflowId"]),
});
