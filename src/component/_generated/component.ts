/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like `components.myComponent`.
 * Usage:
 * ```ts
 * async function myFunction(ctx: QueryCtx, component: ComponentApi) {
 *   return ctx.runQuery(component.someFile.someQuery, { ...args });
 * }
 * ```
 */
export type ComponentApi<Name extends string | undefined = string | undefined> =
  {
    bulk: {
      bulkProgress: FunctionReference<
        "query",
        "internal",
        { jobId: string },
        {
          batches: number;
          count: number;
          done: boolean;
          filter: {
            name?: string;
            status?:
              | "queued"
              | "running"
              | "paused"
              | "completed"
              | "failed"
              | "canceled";
            tag?: { key: string; value: string };
          };
          finishedAt?: number;
          kind: "cancel" | "restart";
          skipped: number;
          startedAt: number;
        },
        Name
      >;
      cancelMany: FunctionReference<
        "mutation",
        "internal",
        {
          filter: {
            name?: string;
            status?:
              | "queued"
              | "running"
              | "paused"
              | "completed"
              | "failed"
              | "canceled";
            tag?: { key: string; value: string };
          };
        },
        { count: number } | { jobId: string },
        Name
      >;
      restartMany: FunctionReference<
        "mutation",
        "internal",
        {
          filter: {
            name?: string;
            status?:
              | "queued"
              | "running"
              | "paused"
              | "completed"
              | "failed"
              | "canceled";
            tag?: { key: string; value: string };
          };
          from?: number | "failed";
        },
        { count: number } | { jobId: string },
        Name
      >;
    };
    event: {
      create: FunctionReference<
        "mutation",
        "internal",
        { name: string; workflowId: string },
        string,
        Name
      >;
      send: FunctionReference<
        "mutation",
        "internal",
        {
          eventId?: string;
          name?: string;
          result:
            | { kind: "success"; returnValue: any }
            | { error: string; kind: "failed" }
            | { kind: "canceled" };
          workflowId?: string;
        },
        string,
        Name
      >;
    };
    executor: {
      coordinator: {
        replayIfReady: FunctionReference<
          "mutation",
          "internal",
          { workflowId: string },
          boolean,
          Name
        >;
      };
      diagnose: {
        diagnose: FunctionReference<
          "query",
          "internal",
          { countUpTo?: number },
          Array<{
            epoch: number;
            heartbeatAgeMs: number;
            instance: number;
            oldestReadyAt: number | null;
            queued: number;
            queuedIsLowerBound: boolean;
            running: boolean;
            shard: number;
            shards: number;
          }>,
          Name
        >;
      };
      shards: {
        exitExecutor: FunctionReference<
          "mutation",
          "internal",
          { epoch: number; instance: number; shard: number },
          { exit: boolean },
          Name
        >;
        handoff: FunctionReference<
          "mutation",
          "internal",
          {
            epoch: number;
            instance: number;
            shard: number;
            stepIds: Array<string>;
            until: number;
          },
          { handedOff: boolean },
          Name
        >;
        heartbeat: FunctionReference<
          "mutation",
          "internal",
          { epoch: number; instance: number; shard: number },
          boolean,
          Name
        >;
        startExecutors: FunctionReference<
          "mutation",
          "internal",
          { executorHandle: string; shards: number },
          number,
          Name
        >;
      };
      taskQueue: {
        claimTasks: FunctionReference<
          "query",
          "internal",
          {
            epoch: number;
            exclude: Array<string>;
            instance: number;
            limit: number;
            shard: number;
          },
          {
            nextReadyAt: number | null;
            stale: boolean;
            tasks: Array<{
              actionName?: string;
              args: any;
              functionType: "query" | "mutation" | "action";
              handle: string;
              name: string;
              readyAt: number;
              retry?: {
                base: number;
                initialBackoffMs: number;
                maxAttempts: number;
              };
              stepId: string;
              workflowId: string;
            }>;
          },
          Name
        >;
        recordResults: FunctionReference<
          "mutation",
          "internal",
          {
            epoch: number;
            instance: number;
            results: Array<{
              attempts?: number;
              result:
                | { kind: "success"; returnValue: any }
                | { error: string; kind: "failed" }
                | { kind: "canceled" };
              startedAt?: number;
              stepId: string;
            }>;
            shard: number;
          },
          {
            consumed: number;
            current: boolean;
            recorded: number;
            replays: number;
            skipped: number;
          },
          Name
        >;
        runMutationTasks: FunctionReference<
          "mutation",
          "internal",
          {
            epoch: number;
            instance: number;
            shard: number;
            stepIds: Array<string>;
          },
          { recorded: number; replays: number; skipped: number },
          Name
        >;
      };
    };
    journal: {
      load: FunctionReference<
        "query",
        "internal",
        { generationNumber: number; workflowId: string },
        {
          error?: string;
          journal: Array<{
            _creationTime: number;
            _id: string;
            step:
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  functionType: "query" | "mutation" | "action";
                  handle: string;
                  inProgress: boolean;
                  kind?: "function";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  version?: number;
                  wait?: {
                    checks: number;
                    deadline?: number;
                    maxPollIntervalMs: number;
                    nextIntervalMs: number;
                    pollIntervalMs: number;
                    timerId?: string;
                  };
                  workId?: string;
                }
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  handle: string;
                  inProgress: boolean;
                  kind: "workflow";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  version?: number;
                  workflowId?: string;
                }
              | {
                  args: { eventId?: string };
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  deadline?: number;
                  eventId?: string;
                  inProgress: boolean;
                  kind: "event";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  timerId?: string;
                  version?: number;
                }
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  inProgress: boolean;
                  kind: "sleep";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  timerId?: string;
                  version?: number;
                };
            stepNumber: number;
            task?: {
              actionName?: string;
              generationNumber: number;
              readyAt: number;
              retry?: {
                base: number;
                initialBackoffMs: number;
                maxAttempts: number;
              };
              shard: number;
            };
            workflowId: string;
          }>;
          logLevel: "DEBUG" | "TRACE" | "INFO" | "REPORT" | "WARN" | "ERROR";
          state: "ready" | "blocked" | "stale" | "finished" | "tooLarge";
          workflow: {
            _creationTime: number;
            _id: string;
            args: any;
            finishedAt?: number;
            flow?: {
              concurrency?: { key: string; limit: number };
              priority?: number;
              rateLimit?: { count: number; key: string; periodMs: number };
              slot?: boolean;
            };
            generationNumber: number;
            idempotencyKey?: string;
            name?: string;
            onComplete?: { context?: any; fnHandle: string };
            parent?: {
              generationNumber: number;
              stepId: string;
              workflowId: string;
            };
            paused?: { at: number; counted?: boolean };
            queued?: { debounceKey?: string; priority: number; since: number };
            resetting?: { from?: number; generationNumber: number };
            runNumber?: number;
            runResult?:
              | { kind: "success"; returnValue: any }
              | { error: string; kind: "failed" }
              | { kind: "canceled" };
            status?:
              | "queued"
              | "running"
              | "paused"
              | "completed"
              | "failed"
              | "canceled";
            tags?: Array<{ key: string; value: string }>;
            version?: number;
            workflowHandle: string;
          };
        },
        Name
      >;
      startSteps: FunctionReference<
        "mutation",
        "internal",
        {
          generationNumber: number;
          steps: Array<{
            retry?:
              | boolean
              | { base: number; initialBackoffMs: number; maxAttempts: number };
            schedulerOptions?: { runAfter?: number; runAt?: number };
            step:
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  functionType: "query" | "mutation" | "action";
                  handle: string;
                  inProgress: boolean;
                  kind?: "function";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  version?: number;
                  wait?: {
                    checks: number;
                    deadline?: number;
                    maxPollIntervalMs: number;
                    nextIntervalMs: number;
                    pollIntervalMs: number;
                    timerId?: string;
                  };
                  workId?: string;
                }
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  handle: string;
                  inProgress: boolean;
                  kind: "workflow";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  version?: number;
                  workflowId?: string;
                }
              | {
                  args: { eventId?: string };
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  deadline?: number;
                  eventId?: string;
                  inProgress: boolean;
                  kind: "event";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  timerId?: string;
                  version?: number;
                }
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  inProgress: boolean;
                  kind: "sleep";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  timerId?: string;
                  version?: number;
                };
            task?: {
              actionName?: string;
              executorHandle?: string;
              shards: number;
            };
            timeoutMs?: number;
          }>;
          workflowId: string;
          workpoolOptions?: {
            defaultRetryBehavior?: {
              base: number;
              initialBackoffMs: number;
              maxAttempts: number;
            };
            logLevel?: "DEBUG" | "TRACE" | "INFO" | "REPORT" | "WARN" | "ERROR";
            maxParallelism?: number;
            retryActionsByDefault?: boolean;
          };
        },
        Array<{
          _creationTime?: number;
          _id: string;
          step:
            | {
                args: any;
                argsSize: number;
                attempts?: number;
                completedAt?: number;
                functionType: "query" | "mutation" | "action";
                handle: string;
                inProgress: boolean;
                kind?: "function";
                name: string;
                queuedAt: number;
                runResult?:
                  | { kind: "success"; returnValue: any }
                  | { error: string; kind: "failed" }
                  | { kind: "canceled" };
                startedAt?: number;
                version?: number;
                wait?: {
                  checks: number;
                  deadline?: number;
                  maxPollIntervalMs: number;
                  nextIntervalMs: number;
                  pollIntervalMs: number;
                  timerId?: string;
                };
                workId?: string;
              }
            | {
                args: any;
                argsSize: number;
                attempts?: number;
                completedAt?: number;
                handle: string;
                inProgress: boolean;
                kind: "workflow";
                name: string;
                queuedAt: number;
                runResult?:
                  | { kind: "success"; returnValue: any }
                  | { error: string; kind: "failed" }
                  | { kind: "canceled" };
                startedAt?: number;
                version?: number;
                workflowId?: string;
              }
            | {
                args: { eventId?: string };
                argsSize: number;
                attempts?: number;
                completedAt?: number;
                deadline?: number;
                eventId?: string;
                inProgress: boolean;
                kind: "event";
                name: string;
                queuedAt: number;
                runResult?:
                  | { kind: "success"; returnValue: any }
                  | { error: string; kind: "failed" }
                  | { kind: "canceled" };
                startedAt?: number;
                timerId?: string;
                version?: number;
              }
            | {
                args: any;
                argsSize: number;
                attempts?: number;
                completedAt?: number;
                inProgress: boolean;
                kind: "sleep";
                name: string;
                queuedAt: number;
                runResult?:
                  | { kind: "success"; returnValue: any }
                  | { error: string; kind: "failed" }
                  | { kind: "canceled" };
                startedAt?: number;
                timerId?: string;
                version?: number;
              };
          stepNumber: number;
          task?: {
            actionName?: string;
            generationNumber: number;
            readyAt: number;
            retry?: {
              base: number;
              initialBackoffMs: number;
              maxAttempts: number;
            };
            shard: number;
          };
          workflowId: string;
        }>,
        Name
      >;
    };
    retention: {
      configure: FunctionReference<
        "mutation",
        "internal",
        {
          retention: { canceled?: number; completed?: number; failed?: number };
        },
        null,
        Name
      >;
      retentionStatus: FunctionReference<
        "query",
        "internal",
        {},
        {
          deleted: number;
          lastSweptAt?: number;
          nextSweepAt?: number;
          retention: { canceled?: number; completed?: number; failed?: number };
        },
        Name
      >;
    };
    start: {
      createMany: FunctionReference<
        "mutation",
        "internal",
        {
          argsList: Array<any>;
          coordinated?: boolean;
          flows?: Array<{
            concurrency?: { key: string; limit: number };
            debounce?: { delayMs: number; key: string; maxDelayMs?: number };
            idempotencyKey?: string;
            priority?: number;
            rateLimit?: { count: number; key: string; periodMs: number };
          }>;
          workflow: {
            flow?: {
              concurrency?: { key: string; limit: number };
              debounce?: { delayMs: number; key: string; maxDelayMs?: number };
              idempotencyKey?: string;
              priority?: number;
              rateLimit?: { count: number; key: string; periodMs: number };
            };
            maxParallelism?: number;
            onComplete?: { context?: any; fnHandle: string };
            retention?: {
              canceled?: number;
              completed?: number;
              failed?: number;
            };
            tags?: Array<{ key: string; value: string }>;
            version?: number;
            workflowHandle: string;
            workflowName: string;
          };
        },
        Array<string>,
        Name
      >;
    };
    stats: {
      counts: FunctionReference<
        "query",
        "internal",
        { cursor?: string | null; name?: string; numNames?: number },
        {
          byName: Array<{
            counts: {
              canceled: number;
              failed: number;
              paused: number;
              queued: number;
              running: number;
              success: number;
            };
            name: string;
          }>;
          continueCursor: string;
          isDone: boolean;
          total: {
            canceled: number;
            failed: number;
            paused: number;
            queued: number;
            running: number;
            success: number;
          };
        },
        Name
      >;
    };
    timeline: {
      timelinePage: FunctionReference<
        "query",
        "internal",
        {
          maxStepsPerWorkflow?: number;
          name?: string;
          order?: "asc" | "desc";
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            createdAt: number;
            finishedAt: number | null;
            name: string;
            runNumber?: number;
            status: "running" | "success" | "failed" | "canceled" | "queued";
            steps: Array<{
              attempts: number | null;
              finishedAt: number | null;
              kind: string;
              name: string;
              outcome: "running" | "success" | "failed" | "canceled" | "queued";
              queuedAt: number;
              startedAt: number | null;
              stepNumber: number;
              version?: number;
            }>;
            stepsTruncated: boolean;
            version?: number;
            workflowId: string;
          }>;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
          splitCursor?: string | null;
        },
        Name
      >;
    };
    versioning: {
      continueAsNew: FunctionReference<
        "mutation",
        "internal",
        {
          args: any;
          generationNumber: number;
          version: number;
          workflowId: string;
        },
        null,
        Name
      >;
      stampVersion: FunctionReference<
        "mutation",
        "internal",
        { generationNumber: number; version: number; workflowId: string },
        null,
        Name
      >;
    };
    wait: {
      notify: FunctionReference<
        "mutation",
        "internal",
        { workflowId: string },
        number,
        Name
      >;
    };
    webhooks: {
      create: FunctionReference<
        "mutation",
        "internal",
        {
          name: string;
          timeoutMs?: number;
          validator?: string;
          workflowId: string;
        },
        { eventId: string; token: string },
        Name
      >;
      deliver: FunctionReference<
        "mutation",
        "internal",
        { token: string; value: any },
        { error?: string; status: 200 | 400 | 404 | 409 | 410 | 413 },
        Name
      >;
    };
    workflow: {
      cancel: FunctionReference<
        "mutation",
        "internal",
        { workflowId: string },
        null,
        Name
      >;
      cleanup: FunctionReference<
        "mutation",
        "internal",
        { force?: boolean; workflowId: string },
        boolean,
        Name
      >;
      complete: FunctionReference<
        "mutation",
        "internal",
        {
          generationNumber: number;
          runResult:
            | { kind: "success"; returnValue: any }
            | { error: string; kind: "failed" }
            | { kind: "canceled" };
          workflowId: string;
        },
        null,
        Name
      >;
      create: FunctionReference<
        "mutation",
        "internal",
        {
          createOnly?: boolean;
          flow?: {
            concurrency?: { key: string; limit: number };
            debounce?: { delayMs: number; key: string; maxDelayMs?: number };
            idempotencyKey?: string;
            priority?: number;
            rateLimit?: { count: number; key: string; periodMs: number };
          };
          maxParallelism?: number;
          onComplete?: { context?: any; fnHandle: string };
          retention?: {
            canceled?: number;
            completed?: number;
            failed?: number;
          };
          startAsync?: boolean;
          tags?: Array<{ key: string; value: string }>;
          version?: number;
          workflowArgs: any;
          workflowHandle: string;
          workflowName: string;
        },
        string,
        Name
      >;
      getStatus: FunctionReference<
        "query",
        "internal",
        { workflowId: string },
        {
          inProgress: Array<{
            _creationTime: number;
            _id: string;
            step:
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  functionType: "query" | "mutation" | "action";
                  handle: string;
                  inProgress: boolean;
                  kind?: "function";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  version?: number;
                  wait?: {
                    checks: number;
                    deadline?: number;
                    maxPollIntervalMs: number;
                    nextIntervalMs: number;
                    pollIntervalMs: number;
                    timerId?: string;
                  };
                  workId?: string;
                }
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  handle: string;
                  inProgress: boolean;
                  kind: "workflow";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  version?: number;
                  workflowId?: string;
                }
              | {
                  args: { eventId?: string };
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  deadline?: number;
                  eventId?: string;
                  inProgress: boolean;
                  kind: "event";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  timerId?: string;
                  version?: number;
                }
              | {
                  args: any;
                  argsSize: number;
                  attempts?: number;
                  completedAt?: number;
                  inProgress: boolean;
                  kind: "sleep";
                  name: string;
                  queuedAt: number;
                  runResult?:
                    | { kind: "success"; returnValue: any }
                    | { error: string; kind: "failed" }
                    | { kind: "canceled" };
                  startedAt?: number;
                  timerId?: string;
                  version?: number;
                };
            stepNumber: number;
            task?: {
              actionName?: string;
              generationNumber: number;
              readyAt: number;
              retry?: {
                base: number;
                initialBackoffMs: number;
                maxAttempts: number;
              };
              shard: number;
            };
            workflowId: string;
          }>;
          workflow: {
            _creationTime: number;
            _id: string;
            args: any;
            finishedAt?: number;
            flow?: {
              concurrency?: { key: string; limit: number };
              priority?: number;
              rateLimit?: { count: number; key: string; periodMs: number };
              slot?: boolean;
            };
            generationNumber: number;
            idempotencyKey?: string;
            name?: string;
            onComplete?: { context?: any; fnHandle: string };
            parent?: {
              generationNumber: number;
              stepId: string;
              workflowId: string;
            };
            paused?: { at: number; counted?: boolean };
            queued?: { debounceKey?: string; priority: number; since: number };
            resetting?: { from?: number; generationNumber: number };
            runNumber?: number;
            runResult?:
              | { kind: "success"; returnValue: any }
              | { error: string; kind: "failed" }
              | { kind: "canceled" };
            status?:
              | "queued"
              | "running"
              | "paused"
              | "completed"
              | "failed"
              | "canceled";
            tags?: Array<{ key: string; value: string }>;
            version?: number;
            workflowHandle: string;
          };
        },
        Name
      >;
      list: FunctionReference<
        "query",
        "internal",
        {
          name?: string;
          order: "asc" | "desc";
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
          status?:
            | "queued"
            | "running"
            | "paused"
            | "completed"
            | "failed"
            | "canceled";
          tag?: { key: string; value: string };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            args: any;
            context?: any;
            createdAt: number;
            finishedAt?: number;
            name?: string;
            runNumber?: number;
            runResult?:
              | { kind: "success"; returnValue: any }
              | { error: string; kind: "failed" }
              | { kind: "canceled" };
            status:
              | "queued"
              | "running"
              | "paused"
              | "completed"
              | "failed"
              | "canceled";
            tags: Record<string, string>;
            version?: number;
            workflowId: string;
          }>;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
          splitCursor?: string | null;
        },
        Name
      >;
      listByName: FunctionReference<
        "query",
        "internal",
        {
          name: string;
          order: "asc" | "desc";
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            args: any;
            context?: any;
            createdAt: number;
            finishedAt?: number;
            name?: string;
            runNumber?: number;
            runResult?:
              | { kind: "success"; returnValue: any }
              | { error: string; kind: "failed" }
              | { kind: "canceled" };
            status:
              | "queued"
              | "running"
              | "paused"
              | "completed"
              | "failed"
              | "canceled";
            tags: Record<string, string>;
            version?: number;
            workflowId: string;
          }>;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
          splitCursor?: string | null;
        },
        Name
      >;
      listSteps: FunctionReference<
        "query",
        "internal",
        {
          order: "asc" | "desc";
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
          workflowId: string;
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            args: any;
            completedAt?: number;
            eventId?: string;
            kind: "function" | "workflow" | "event" | "sleep";
            name: string;
            nestedWorkflowId?: string;
            runResult?:
              | { kind: "success"; returnValue: any }
              | { error: string; kind: "failed" }
              | { kind: "canceled" };
            startedAt: number;
            stepId: string;
            stepNumber: number;
            version?: number;
            workId?: string;
            workflowId: string;
          }>;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
          splitCursor?: string | null;
        },
        Name
      >;
      pause: FunctionReference<
        "mutation",
        "internal",
        { workflowId: string },
        null,
        Name
      >;
      restart: FunctionReference<
        "mutation",
        "internal",
        {
          args?: any;
          from?: number | string;
          startAsync?: boolean;
          workflowId: string;
        },
        null,
        Name
      >;
      resume: FunctionReference<
        "mutation",
        "internal",
        { workflowId: string },
        null,
        Name
      >;
    };
  };
