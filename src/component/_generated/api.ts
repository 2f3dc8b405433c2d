/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as bulk from "../bulk.js";
import type * as cancel from "../cancel.js";
import type * as cleanup from "../cleanup.js";
import type * as completion from "../completion.js";
import type * as config from "../config.js";
import type * as countFolding from "../countFolding.js";
import type * as event from "../event.js";
import type * as executor_coordinator from "../executor/coordinator.js";
import type * as executor_diagnose from "../executor/diagnose.js";
import type * as executor_shards from "../executor/shards.js";
import type * as executor_taskQueue from "../executor/taskQueue.js";
import type * as flowControl_debounce from "../flowControl/debounce.js";
import type * as flowControl_gates from "../flowControl/gates.js";
import type * as flowControl_lifecycle from "../flowControl/lifecycle.js";
import type * as flowControl_queue from "../flowControl/queue.js";
import type * as flowControl_rateLimit from "../flowControl/rateLimit.js";
import type * as flowControl_slots from "../flowControl/slots.js";
import type * as journal from "../journal.js";
import type * as listing from "../listing.js";
import type * as model from "../model.js";
import type * as operate from "../operate.js";
import type * as paging from "../paging.js";
import type * as pause from "../pause.js";
import type * as pool from "../pool.js";
import type * as readiness from "../readiness.js";
import type * as replay from "../replay.js";
import type * as restartArgs from "../restartArgs.js";
import type * as results from "../results.js";
import type * as retention from "../retention.js";
import type * as start from "../start.js";
import type * as stats from "../stats.js";
import type * as status from "../status.js";
import type * as stepWork from "../stepWork.js";
import type * as tags from "../tags.js";
import type * as timeline from "../timeline.js";
import type * as utils from "../utils.js";
import type * as versioning from "../versioning.js";
import type * as wait from "../wait.js";
import type * as webhooks from "../webhooks.js";
import type * as workflow from "../workflow.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
  bulk: typeof bulk;
  cancel: typeof cancel;
  cleanup: typeof cleanup;
  completion: typeof completion;
  config: typeof config;
  countFolding: typeof countFolding;
  event: typeof event;
  "executor/coordinator": typeof executor_coordinator;
  "executor/diagnose": typeof executor_diagnose;
  "executor/shards": typeof executor_shards;
  "executor/taskQueue": typeof executor_taskQueue;
  "flowControl/debounce": typeof flowControl_debounce;
  "flowControl/gates": typeof flowControl_gates;
  "flowControl/lifecycle": typeof flowControl_lifecycle;
  "flowControl/queue": typeof flowControl_queue;
  "flowControl/rateLimit": typeof flowControl_rateLimit;
  "flowControl/slots": typeof flowControl_slots;
  journal: typeof journal;
  listing: typeof listing;
  model: typeof model;
  operate: typeof operate;
  paging: typeof paging;
  pause: typeof pause;
  pool: typeof pool;
  readiness: typeof readiness;
  replay: typeof replay;
  restartArgs: typeof restartArgs;
  results: typeof results;
  retention: typeof retention;
  start: typeof start;
  stats: typeof stats;
  status: typeof status;
  stepWork: typeof stepWork;
  tags: typeof tags;
  timeline: typeof timeline;
  utils: typeof utils;
  versioning: typeof versioning;
  wait: typeof wait;
  webhooks: typeof webhooks;
  workflow: typeof workflow;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {
  workpool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"workpool">;
};
