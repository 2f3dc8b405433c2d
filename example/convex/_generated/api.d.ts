/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as approvals from "../approvals.js";
import type * as attempts from "../attempts.js";
import type * as badInputWorkflows from "../badInputWorkflows.js";
import type * as batch from "../batch.js";
import type * as boundsWorkflows from "../boundsWorkflows.js";
import type * as cancelWorkflows from "../cancelWorkflows.js";
import type * as chaosWorkflows from "../chaosWorkflows.js";
import type * as combinedWorkflows from "../combinedWorkflows.js";
import type * as consoleWorkflows from "../consoleWorkflows.js";
import type * as events from "../events.js";
import type * as example from "../example.js";
import type * as executorBoundsWorkflows from "../executorBoundsWorkflows.js";
import type * as executorWorkflows from "../executorWorkflows.js";
import type * as flowControlWorkflows from "../flowControlWorkflows.js";
import type * as flowExamples from "../flowExamples.js";
import type * as http from "../http.js";
import type * as lifecycleWorkflows from "../lifecycleWorkflows.js";
import type * as operateWorkflows from "../operateWorkflows.js";
import type * as optionProbes from "../optionProbes.js";
import type * as orders from "../orders.js";
import type * as payments from "../payments.js";
import type * as runs from "../runs.js";
import type * as seamsWorkflows from "../seamsWorkflows.js";
import type * as startManyWorkflows from "../startManyWorkflows.js";
import type * as testWorkflows from "../testWorkflows.js";
import type * as transcription from "../transcription.js";
import type * as transcriptionWebhook from "../transcriptionWebhook.js";
import type * as versioningWorkflows from "../versioningWorkflows.js";
import type * as webhookWorkflows from "../webhookWorkflows.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  approvals: typeof approvals;
  attempts: typeof attempts;
  badInputWorkflows: typeof badInputWorkflows;
  batch: typeof batch;
  boundsWorkflows: typeof boundsWorkflows;
  cancelWorkflows: typeof cancelWorkflows;
  chaosWorkflows: typeof chaosWorkflows;
  combinedWorkflows: typeof combinedWorkflows;
  consoleWorkflows: typeof consoleWorkflows;
  events: typeof events;
  example: typeof example;
  executorBoundsWorkflows: typeof executorBoundsWorkflows;
  executorWorkflows: typeof executorWorkflows;
  flowControlWorkflows: typeof flowControlWorkflows;
  flowExamples: typeof flowExamples;
  http: typeof http;
  lifecycleWorkflows: typeof lifecycleWorkflows;
  operateWorkflows: typeof operateWorkflows;
  optionProbes: typeof optionProbes;
  orders: typeof orders;
  payments: typeof payments;
  runs: typeof runs;
  seamsWorkflows: typeof seamsWorkflows;
  startManyWorkflows: typeof startManyWorkflows;
  testWorkflows: typeof testWorkflows;
  transcription: typeof transcription;
  transcriptionWebhook: typeof transcriptionWebhook;
  versioningWorkflows: typeof versioningWorkflows;
  webhookWorkflows: typeof webhookWorkflows;
}>;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {
  workflow: import("convex-workflow/_generated/component.js").ComponentApi<"workflow">;
};
