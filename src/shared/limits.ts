// Limits shared by the client (which replays handlers and runs executors) and the component
// (which stores the journal and the task queue). Both sides must agree on these numbers: each
// is defined here once.

/** The journal of one workflow may hold at most this many bytes (8 MiB). */
export const MAX_JOURNAL_SIZE = 8 << 20;

/** A step's return value (or an event's value) may be at most this many bytes (800 KiB). */
export const MAX_RETURN_VALUE_SIZE = 800 << 10;

/** Step arguments may be at most this many bytes, so a journal entry fits in a document. */
export const MAX_STEP_ARGS_SIZE = 800 << 10;

/**
 * Steps one replay journals together (one batch, one `startSteps`) when the workflow's
 * definition sets no `maxParallelism`.
 */
export const DEFAULT_BATCH_STEPS = 10;

/** `step.waitUntil`: the first delay between condition checks when `pollInterval` is not given. */
export const DEFAULT_WAIT_POLL_INTERVAL_MS = 1_000;
/** `step.waitUntil`: the delay doubles up to this when `maxPollInterval` is not given (30 min). */
export const DEFAULT_WAIT_MAX_POLL_INTERVAL_MS = 30 * 60_000;

// ---------------------------------------------------------------------------------------
// Option bounds, checked where each option enters (src/shared/validateOptions.ts), by the client
// and again by the component. docs/limits.md lists them with what a caller gets past them.

/** `maxParallelism`: the shared workpool refuses more (its `MAX_POSSIBLE_PARALLELISM`). */
export const MAX_PARALLELISM = 200;

/**
 * The longest delay anything may be scheduled by: `runAfter`, `runAt` (from now), `sleep`,
 * timeouts, `waitUntil` poll intervals and a retry policy's `initialBackoffMs`. The workpool silently
 * moves a start more than 4 years out to 1 year from now.
 */
export const MAX_DELAY_MS = 4 * 365 * 24 * 60 * 60 * 1000;

/**
 * The longest wait between two attempts a retry policy may reach, jitter included (about
 * 31,700 years). The workpool turns `now + wait` into a BigInt time segment stored as an
 * int64: a non-finite or overflowing one stops its loop for every caller. This bound keeps it
 * far inside, yet accepts long policies that work with 0.4.8 (30 attempts doubling from 1 s).
 */
export const MAX_RETRY_WAIT_MS = 1e15;
/** The workpool waits up to 1.5x the back-off (50% jitter). */
export const RETRY_JITTER_FACTOR = 1.5;

/** `retry.maxAttempts` (attempts in all, the first one included). */
export const MAX_RETRY_ATTEMPTS = 1000;
/** `retry.base`, the back-off multiplier. */
export const MAX_RETRY_BASE = 100;

/** Executor mode: shards (one long-running executor action each). */
export const MAX_EXECUTOR_SHARDS = 256;
/** Mutation steps the executor runs in one `runMutationTasks` transaction at most. */
export const MAX_MUTATION_TASKS = 20;
/** Executor mode: tasks one executor runs at once (also the most one claim returns). */
export const MAX_EXECUTOR_CONCURRENCY = 500;
/** Executor mode: results recorded per flush. */
export const MAX_EXECUTOR_FLUSH_COUNT = 1_000;
/** Executor mode: bytes of results per flush (a flush is one mutation's arguments). */
export const MAX_EXECUTOR_FLUSH_BYTES = 8 << 20;
/** Executor mode: every interval and time option; an action may run 10 minutes. */
export const MAX_EXECUTOR_INTERVAL_MS = 9 * 60_000;

/** A workflow's arguments, at start (like a step's arguments, they go in one document). */
export const MAX_WORKFLOW_ARGS_SIZE = 800 << 10;
/** The `context` passed to `onComplete`, at start; stored with the workflow's arguments. */
export const MAX_CONTEXT_SIZE = 64 << 10;
/**
 * A stored error: a failed step, event or workflow. A longer one is cut in the middle (the head
 * with the message and the tail are kept); `sendEvent({ error })` longer than this is refused.
 */
export const MAX_ERROR_LENGTH = 64 << 10;

// ---------------------------------------------------------------------------------------
// Pages: list, listByName, listSteps and timelinePage (src/component/paging.ts).

/** `paginationOpts.numItems` may be a whole number from 1 to this. */
export const MAX_PAGE_ITEMS = 1000;

/**
 * Bytes of documents one page reads, about: a page ends early (with `isDone: false` and a
 * cursor) once its reads reach this, but always holds at least one item. A query may read
 * 16 MiB in all; this leaves room for the caller's own reads.
 */
export const MAX_PAGE_READ_BYTES = 4 << 20;

/** `timelinePage`: workflows per page at most (a larger `numItems` gets this many). */
export const MAX_TIMELINE_WORKFLOWS_PER_PAGE = 100;
/** `timelinePage`: `maxStepsPerWorkflow` may be a whole number from 1 to this. */
export const MAX_TIMELINE_STEPS_PER_WORKFLOW = 500;
/** `timelinePage`: steps per workflow when `maxStepsPerWorkflow` is not given. */
export const DEFAULT_TIMELINE_STEPS_PER_WORKFLOW = 100;

// ---------------------------------------------------------------------------------------
// Stopping in-flight steps (cancel, and any finish that leaves steps running): one transaction
// stops what fits in these, a scheduled continuation per workflow the rest (src/component/cancel.ts).

/** Index ranges one transaction may spend stopping steps (Convex allows 4096 in all). */
export const STOP_BUDGET_RANGES = 1000;
/**
 * Bytes of documents one transaction may read stopping steps, or deleting them (cleanup), counting
 * a document patched or deleted twice (Convex allows 16 MiB read per transaction).
 */
export const STOP_BUDGET_BYTES = 4 << 20;
/** Documents one transaction may patch or delete stopping or deleting steps (Convex allows 8192 written). */
export const STOP_BUDGET_WRITES = 1000;
/**
 * One budget serves a whole transaction, and it never takes the transaction past this much of
 * Convex's headroom: an app mutation that cancels or cleans up several trees, or did its own
 * reads first, leaves the rest to the scheduled continuations (`ctx.meta.getTransactionMetrics`).
 */
export const STOP_RESERVE = { ranges: 1000, bytes: 6 << 20, writes: 2000 } as const;

/** `counts`: workflow names per page at most, and the default (`numNames`). */
export const MAX_COUNT_NAMES_PER_PAGE = 100;
/**
 * Count changes (countFolding.ts): the folder runs this long after the first change it has not
 * folded, and again every this long while changes keep arriving, so `counts`' stored rows lag by
 * about this much; `counts` adds the changes not yet folded (up to COUNT_CHANGES_READ).
 */
export const COUNT_FOLD_INTERVAL_MS = 1000;
/** Count-change rows one fold transaction reads and deletes at most (each a name and ≤ 5 numbers). */
export const COUNT_FOLD_BATCH = 500;
/**
 * After a full batch the folder runs again this soon: catching up at up to 5,000 changes a
 * second while writing each counter row at most once per 100 ms.
 */
export const COUNT_FOLD_CATCH_UP_MS = 100;
/**
 * The folder's liveness: while it runs it notes the time on its flag at most this often, and a
 * transition that finds the flag older than COUNT_FOLDER_STALE_MS schedules a new folder (the
 * old one failed or was canceled). The note is the one write to a row every transition reads,
 * so it is rare: a transaction running at that moment retries once.
 */
export const COUNT_FOLDER_ALIVE_MS = 60_000;
export const COUNT_FOLDER_STALE_MS = 5 * 60_000;
/** Count-change rows not yet folded that one `counts` call adds in at most. */
export const COUNT_CHANGES_READ = 1000;
/**
 * Bytes of count-change rows one fold or one `counts` call reads, about (a row is small, but
 * holds its workflow's name): it stops after the row that reaches this.
 */
export const COUNT_CHANGES_READ_BYTES = 1 << 20;

// ---------------------------------------------------------------------------------------
// Executor mode and status reads, bounded in bytes as well as documents (a transaction may read
// 16 MiB; a task carries its step's arguments, up to MAX_STEP_ARGS_SIZE). docs/limits.md.

/**
 * `claimTasks`: bytes of tasks one claim reads, about. It stops once its reads reach this, but
 * returns at least one task when one is ready (see MAX_CLAIM_SKIP_BYTES).
 */
export const MAX_CLAIM_READ_BYTES = 4 << 20;
/**
 * `claimTasks`: bytes it reads at most while looking past the tasks its executor already holds.
 * Past this it returns what it found, perhaps nothing; the executor claims again later.
 */
export const MAX_CLAIM_SKIP_BYTES = 12 << 20;
/**
 * `recordResults`: bytes of steps (the tasks), results and workflows one flush reads and
 * writes, about. It stops there (after at least one result) and says how many results it `consumed`;
 * the executor sends the rest in its next flush.
 */
export const MAX_FLUSH_BYTES = 4 << 20;
/** `diagnose`: bytes of tasks it reads across all shards; past it, counts are lower bounds. */
export const MAX_DIAGNOSE_READ_BYTES = 8 << 20;
/**
 * `getStatus` (the `running` list of `status()`) and the nudge of `waitUntil` checks (`notify`,
 * after events): bytes of in-progress steps one call reads, about; it stops once its reads
 * reach this (after at least one step). Small, since an app may ask for many statuses in one query.
 */
export const MAX_STATUS_READ_BYTES = 1 << 20;
/** Executor `claimIntervalMs`: the least allowed (0 made an executor claim in a tight loop). */
export const MIN_EXECUTOR_CLAIM_INTERVAL_MS = 10;
/** `getStatus`: in-progress steps it returns at most (the `running` list of `status()`). */
export const MAX_STATUS_STEPS = 1000;

/**
 * Executor mode, coordinator: journals (with their workflows' arguments) passed to one replay
 * group at most. A workflow whose journal does not fit an empty group is replayed alone.
 */
export const MAX_REPLAY_GROUP_JOURNAL_BYTES = 1 << 20;
/**
 * Bytes of documents (workflows, journal entries) one coordinator transaction reads, give or
 * take one document: the workflows it has not read by then are replayed by a later one.
 * Convex allows a transaction 16 MiB.
 */
export const MAX_REPLAY_READ_BYTES = 4 << 20;

// ---------------------------------------------------------------------------------------
// Webhooks (src/component/webhooks.ts, src/client/webhooks.ts, `step.createWebhook`).
// A delivered body is refused past MAX_RETURN_VALUE_SIZE (it becomes the event's value).

/** Random bytes in a webhook token (256 bits; at least 128 are required). */
export const WEBHOOK_TOKEN_BYTES = 32;
/** The path the webhook route is mounted under, and the one webhook URLs use, unless set. */
export const DEFAULT_WEBHOOK_PATH_PREFIX = "/workflow/webhooks";
/** A webhook's event name when `createWebhook` is given none. */
export const DEFAULT_WEBHOOK_NAME = "webhook";
/** Webhook `baseUrl` and `pathPrefix`: characters at most. */
export const MAX_WEBHOOK_URL_PART_LENGTH = 2048;
/** Webhook validators (their JSON form): bytes at most. */
export const MAX_WEBHOOK_VALIDATOR_SIZE = 64 << 10;

// ---------------------------------------------------------------------------------------
// Flow control (src/component/flowControl/, docs/flow-control.md): idempotency keys, priority,
// concurrency, rate limits and debounce.

/** `idempotencyKey` and every key a `key(args)` function returns: characters, at least 1 and at most this. */
export const MAX_FLOW_KEY_LENGTH = 256;
/** `concurrency.limit`: workflows running at once per key, at most. */
export const MAX_CONCURRENCY_LIMIT = 10_000;
/** `rateLimit.count`: begins per window, at most (the window row holds one time per begin). */
export const MAX_RATE_LIMIT_COUNT = 1_000;
/** `priority`: from minus this to this. */
export const MAX_FLOW_PRIORITY = 1e9;
/**
 * Queued workflows one transaction begins (a pump); past it, the pump continues itself in a
 * scheduled function. A freed slot begins one, a freed rate window up to `rateLimit.count`.
 */
export const MAX_BEGINS_PER_PUMP = 20;

// ---------------------------------------------------------------------------------------
// Operating workflows (SPEC 4.3): tags, bulk actions, retention (src/component/tags.ts,
// bulk.ts, retention.ts). docs/managing-workflows.md.

/** `start({ tags })`: tag pairs per workflow at most. */
export const MAX_TAGS = 16;
/** A tag's key: characters at most (at least 1). */
export const MAX_TAG_KEY_LENGTH = 64;
/** A tag's value: characters at most. */
export const MAX_TAG_VALUE_LENGTH = 256;
/** `cancelMany` / `restartMany`: workflows one batch (one transaction) handles at most. */
export const BULK_BATCH_SIZE = 50;
/** `cancelMany` / `restartMany`: bytes of workflows one batch reads, about. */
export const BULK_BATCH_READ_BYTES = 2 << 20;
/** Retention: finished workflows one sweep transaction deletes at most (each may continue its own cleanup). */
export const RETENTION_BATCH_SIZE = 50;
/**
 * Retention: bytes one sweep transaction reads selecting due workflow documents and deleting
 * them, about: each is charged twice (each may hold up to 800 KiB of args and a result;
 * deleting reads it again). Past it the batch ends and the next sweep is scheduled at once.
 */
export const RETENTION_BATCH_READ_BYTES = 4 << 20;
/** Retention: the longest retention period (10 years); 0 deletes at the next sweep. */
export const MAX_RETENTION_MS = 10 * 365 * 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------
// Starting many workflows at once (`startMany`, src/component/start.ts `createMany`).

/** `startMany`: workflows one call starts at most (one transaction). */
export const MAX_START_MANY = 1000;
/**
 * `startMany`: bytes of arguments (and `context`) of all the workflows of one call, at most.
 * They are all written in one transaction; Convex allows 16 MiB written, this keeps to half.
 */
export const MAX_START_MANY_BYTES = 8 << 20;
/**
 * `startMany`: documents one call writes for its workflows, at most: each workflow and one
 * row per tag (`workflowTags`). Convex allows 16,000 documents written per transaction; this
 * keeps to half.
 */
export const MAX_START_MANY_DOCUMENTS = 8000;
/**
 * `startMany`: bytes of arguments one `createMany` component call carries, about; a larger
 * list is split into several calls (in the same transaction), each with at least one workflow.
 */
export const MAX_START_MANY_CALL_BYTES = 1 << 20;
/** `startMany`, standard mode: first replays one scheduled function schedules (in chunks). */
export const START_MANY_REPLAYS_PER_TRANSACTION = 100;
