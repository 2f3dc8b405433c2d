// Option checks, one per decision, shared by the client (which checks at the call, so the
// caller gets the error before anything is written) and the component (which checks again
// where the option arrives, so no caller can store a value that breaks another caller's
// workflows). Each error names the option, its allowed range and the value given.
// The bounds are in limits.ts; docs/limits.md lists them.
import { getConvexSize, type Value } from "convex/values";
import { logLevel } from "./logging.js";
import {
  MAX_CONTEXT_SIZE,
  MAX_DELAY_MS,
  MAX_ERROR_LENGTH,
  MAX_EXECUTOR_CONCURRENCY,
  MAX_EXECUTOR_FLUSH_BYTES,
  MAX_EXECUTOR_FLUSH_COUNT,
  MAX_EXECUTOR_INTERVAL_MS,
  MIN_EXECUTOR_CLAIM_INTERVAL_MS,
  MAX_EXECUTOR_SHARDS,
  MAX_PARALLELISM,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_BASE,
  MAX_RETRY_WAIT_MS,
  RETRY_JITTER_FACTOR,
  MAX_WORKFLOW_ARGS_SIZE,
  MAX_WEBHOOK_URL_PART_LENGTH,
  MAX_WEBHOOK_VALIDATOR_SIZE,
  MAX_CONCURRENCY_LIMIT,
  MAX_FLOW_KEY_LENGTH,
  MAX_FLOW_PRIORITY,
  MAX_RATE_LIMIT_COUNT,
  MAX_RETENTION_MS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  MAX_START_MANY,
  MAX_START_MANY_BYTES,
  MAX_START_MANY_DOCUMENTS,
} from "./limits.js";

/** `waitUntil`'s poll intervals start here: a condition query at most ten times a second. */
export const MIN_POLL_INTERVAL_MS = 100;

export type RetryPolicy = { maxAttempts: number; initialBackoffMs: number; base: number };

/** A value as it reads in an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "object" && value !== null) {
    try {
      const json = JSON.stringify(value);
      return json.length > 200 ? `${json.slice(0, 200)}...` : json;
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

/** How an option is named in messages: "Step option `retry.base`". */
export function optionName(where: string, path: string): string {
  return `${where} \`${path}\``;
}

function withDays(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 365 && Number.isInteger(days / 365)) return `${ms} (${days / 365} years)`;
  if (ms >= 60_000 && Number.isInteger(ms / 60_000)) return `${ms} (${ms / 60_000} min)`;
  return String(ms);
}

/** A whole number from `min` to `max`. */
export function checkWholeNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** A finite number of milliseconds from `min` to `max` (fractions allowed). */
export function checkMs(name: string, value: unknown, min: number, max: number = MAX_DELAY_MS): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(
      `${name} must be a finite number of milliseconds from ${min} to ${withDays(max)}, got ${describeValue(value)}`,
    );
  }
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new Error(`${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

/**
 * A retry policy. Each field has its range, and the longest wait between two attempts,
 * `initialBackoffMs * base ** (maxAttempts - 2)` with jitter, may be at most
 * `MAX_RETRY_WAIT_MS`: the workpool computes it and turns it into an int64 time segment.
 */
export function checkRetryPolicy(
  where: string,
  path: string,
  value: unknown,
  shape = "{ maxAttempts, initialBackoffMs, base }",
): RetryPolicy {
  const name = optionName(where, path);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${name} must be ${shape}, got ${describeValue(value)}`);
  }
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (key !== "maxAttempts" && key !== "initialBackoffMs" && key !== "base") {
      throw new Error(`${name} has an unknown field \`${key}\`: expected { maxAttempts, initialBackoffMs, base }`);
    }
  }
  const maxAttempts = checkWholeNumber(optionName(where, `${path}.maxAttempts`), r.maxAttempts, 1, MAX_RETRY_ATTEMPTS);
  const initialBackoffMs = checkMs(optionName(where, `${path}.initialBackoffMs`), r.initialBackoffMs, 0);
  const base = checkFinite(optionName(where, `${path}.base`), r.base, 1, MAX_RETRY_BASE);
  const longest = maxAttempts < 2 ? 0 : initialBackoffMs * base ** (maxAttempts - 2);
  if (!(longest * RETRY_JITTER_FACTOR <= MAX_RETRY_WAIT_MS)) {
    throw new Error(
      `${name}: the longest wait between attempts, initialBackoffMs * base ** (maxAttempts - 2) = ` +
        `${initialBackoffMs} * ${base} ** ${maxAttempts - 2} = ${longest} ms (up to ${RETRY_JITTER_FACTOR}x with jitter), ` +
        `must be at most ${MAX_RETRY_WAIT_MS} ms (about 31,700 years). Lower maxAttempts, base or initialBackoffMs.`,
    );
  }
  return { maxAttempts, initialBackoffMs, base };
}

function checkFinite(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a finite number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

/** A step's `retry` option: true, false, or a policy. */
export function checkRetryOption(where: string, path: string, value: unknown): void {
  if (value === undefined || typeof value === "boolean") return;
  checkRetryPolicy(where, path, value, "true, false or { maxAttempts, initialBackoffMs, base }");
}

export function checkMaxParallelism(name: string, value: unknown): number {
  return checkWholeNumber(name, value, 0, MAX_PARALLELISM);
}

const LOG_LEVELS: string[] = logLevel.members.map((member) => member.value);

/** The `workpoolOptions` of a manager or a definition (`where` says which). */
export function checkWorkpoolOptions(where: string, value: unknown): void {
  if (value === undefined) return;
  const name = (field: string) => optionName(where, `workpoolOptions.${field}`);
  if (typeof value !== "object" || value === null) {
    throw new Error(`${optionName(where, "workpoolOptions")} must be an object, got ${describeValue(value)}`);
  }
  const o = value as Record<string, unknown>;
  if (o.maxParallelism !== undefined) checkMaxParallelism(name("maxParallelism"), o.maxParallelism);
  if (o.defaultRetryBehavior !== undefined) {
    checkRetryPolicy(where, "workpoolOptions.defaultRetryBehavior", o.defaultRetryBehavior);
  }
  if (o.retryActionsByDefault !== undefined) checkBoolean(name("retryActionsByDefault"), o.retryActionsByDefault);
  if (o.logLevel !== undefined && !LOG_LEVELS.includes(o.logLevel as string)) {
    throw new Error(`${name("logLevel")} must be one of ${LOG_LEVELS.join(", ")}, got ${describeValue(o.logLevel)}`);
  }
}

export function checkExecutorShards(value: unknown): number {
  return checkWholeNumber("executorShards", value, 1, MAX_EXECUTOR_SHARDS);
}

const EXECUTOR_COUNTS = {
  concurrency: MAX_EXECUTOR_CONCURRENCY,
  flushMaxCount: MAX_EXECUTOR_FLUSH_COUNT,
  flushMaxBytes: MAX_EXECUTOR_FLUSH_BYTES,
} as const;
/** Executor options that were renamed: an old name is an error that gives the new one. */
const RENAMED_EXECUTOR_OPTIONS: Record<string, string> = {
  pollIntervalMs: "claimIntervalMs",
  idlePollIntervalMs: "idleClaimIntervalMs",
};
const EXECUTOR_TIMES = [
  "flushIntervalMs",
  "claimIntervalMs",
  "idleClaimIntervalMs",
  "idleExitMs",
  "handoffAfterMs",
  "rateLimitBackoffMs",
  "rateLimitMaxBackoffMs",
] as const;

/**
 * Executor-mode tuning: counts are whole numbers from 1; times are ms from 0 to 9 minutes,
 * `claimIntervalMs` from MIN_EXECUTOR_CLAIM_INTERVAL_MS; `rateLimitMaxBackoffMs`, when given with
 * `rateLimitBackoffMs`, is not below it.
 */
export function checkExecutorOptions(where: string, value: unknown, prefix = "executor."): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null) {
    throw new Error(`${where} executor options must be an object, got ${describeValue(value)}`);
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key in EXECUTOR_COUNTS || (EXECUTOR_TIMES as readonly string[]).includes(key)) continue;
    const renamed = RENAMED_EXECUTOR_OPTIONS[key];
    throw new Error(
      `${optionName(where, `${prefix}${key}`)} is not an executor option` +
        (renamed ? ` (it is now \`${prefix}${renamed}\`)` : "") +
        `; the options are ${[...Object.keys(EXECUTOR_COUNTS), ...EXECUTOR_TIMES].join(", ")}`,
    );
  }
  for (const [key, max] of Object.entries(EXECUTOR_COUNTS)) {
    if (o[key] !== undefined) checkWholeNumber(optionName(where, `${prefix}${key}`), o[key], 1, max);
  }
  for (const key of EXECUTOR_TIMES) {
    const min = key === "claimIntervalMs" ? MIN_EXECUTOR_CLAIM_INTERVAL_MS : 0;
    if (o[key] !== undefined) checkMs(optionName(where, `${prefix}${key}`), o[key], min, MAX_EXECUTOR_INTERVAL_MS);
  }
  const { rateLimitBackoffMs: first, rateLimitMaxBackoffMs: most } = o as Record<string, number | undefined>;
  if (first !== undefined && most !== undefined && most < first) {
    throw new Error(
      `${optionName(where, `${prefix}rateLimitMaxBackoffMs`)} (${most} ms) must not be less than ` +
        `\`${prefix}rateLimitBackoffMs\` (${first} ms)`,
    );
  }
}

/**
 * A delay (`runAfter`, `step.sleep`): finite and at most `MAX_DELAY_MS`. A negative delay is
 * accepted and runs at once, as in 0.4.8 (`step.sleep(deadline - Date.now())` after the
 * deadline must not fail the workflow).
 */
export function checkDelay(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value > MAX_DELAY_MS) {
    throw new Error(
      `${name} must be a finite number of milliseconds, at most ${withDays(MAX_DELAY_MS)} ` +
        `(a negative delay runs at once), got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * A step's `runAt` / `runAfter`: a time at most `now + MAX_DELAY_MS`, or a delay (see
 * `checkDelay`); a past time runs at once, as in 0.4.8. `now` is the caller's clock (the
 * handler's journaled time on replay).
 */
export function checkSchedule(where: string, opts: { runAt?: unknown; runAfter?: unknown }, now: number): void {
  if (opts.runAt !== undefined && opts.runAfter !== undefined) {
    throw new Error(`${where} options \`runAt\` and \`runAfter\` cannot both be set.`);
  }
  if (opts.runAfter !== undefined) checkDelay(optionName(`${where} option`, "runAfter"), opts.runAfter);
  if (opts.runAt !== undefined) {
    const latest = now + MAX_DELAY_MS;
    if (typeof opts.runAt !== "number" || !Number.isFinite(opts.runAt) || opts.runAt > latest) {
      throw new Error(
        `${where} option \`runAt\` must be a time in ms since the epoch, at most now + ${withDays(MAX_DELAY_MS)} ` +
          `(${latest}; a past time runs at once), got ${describeValue(opts.runAt)}`,
      );
    }
  }
}

/** A value stored at a call (workflow arguments, an onComplete context) within its cap. */
export function checkSize(what: string, value: unknown, max: number): void {
  const size = getConvexSize((value ?? null) as Value);
  if (size > max) throw new Error(`${what} too large (${size} bytes). Maximum is ${max} bytes.`);
}

export function checkWorkflowArgsSize(args: unknown): void {
  checkSize("Workflow arguments", args, MAX_WORKFLOW_ARGS_SIZE);
}

export function checkContextSize(context: unknown): void {
  checkSize("onComplete `context`", context, MAX_CONTEXT_SIZE);
}

/** The `error` of `sendEvent({ error })`: a string of at most `MAX_ERROR_LENGTH` characters. */
export function checkEventError(error: unknown): void {
  if (typeof error !== "string") throw new Error(`sendEvent \`error\` must be a string, got ${describeValue(error)}`);
  if (error.length > MAX_ERROR_LENGTH) {
    throw new Error(
      `sendEvent \`error\` too long (${error.length} characters). Maximum is ${MAX_ERROR_LENGTH} characters.`,
    );
  }
}

/**
 * `onComplete` as it reaches the workflow mutation and the component: a function handle
 * (`createFunctionHandle(ref)`), which starts with "function://". Whether it names a mutation
 * cannot be checked without calling it; see docs/limits.md.
 */
export function checkFunctionHandle(name: string, value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("function://")) {
    throw new Error(
      `${name} must be a function handle of a mutation (from createFunctionHandle, starting with "function://"), got ${describeValue(value)}`,
    );
  }
  return value;
}

/** An event name: a non-empty string. */
export function checkEventName(where: string, name: unknown): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new Error(`${where} event \`name\` must be a non-empty string, got ${describeValue(name)}`);
  }
}

/**
 * The component's check of a batch of steps as they arrive to be journaled (`startSteps`,
 * or a replay group): the same bounds as the client's checks at the call, so a client
 * that skipped them cannot hand the shared workpool a value that stops it for everyone.
 */
export function checkStepRequests(
  steps: Array<{
    step: object;
    retry?: unknown;
    schedulerOptions?: { runAt?: unknown; runAfter?: unknown };
    timeoutMs?: unknown;
  }>,
  workpoolOptions: unknown,
  now: number,
): void {
  checkWorkpoolOptions("startSteps", workpoolOptions);
  for (const request of steps) {
    checkRetryOption("Step option", "retry", request.retry);
    if (request.schedulerOptions) checkSchedule("Step", request.schedulerOptions, now);
    if (request.timeoutMs !== undefined) checkMs("Step `timeout`", request.timeoutMs, 1);
    const wait =
      "wait" in request.step
        ? (request.step.wait as { pollIntervalMs: unknown; maxPollIntervalMs: unknown } | undefined)
        : undefined;
    if (wait) {
      checkMs("waitUntil `pollInterval`", wait.pollIntervalMs, MIN_POLL_INTERVAL_MS);
      checkMs("waitUntil `maxPollInterval`", wait.maxPollIntervalMs, MIN_POLL_INTERVAL_MS);
    }
  }
}

/**
 * What a start stores: the handler's arguments and the `onComplete` handle and `context`.
 * Checked by the workflow mutation and again by the component's `create`.
 */
export function checkStartArgs(start: { args: unknown; onComplete?: unknown; context?: unknown }): void {
  checkWorkflowArgsSize(start.args);
  if (start.onComplete !== undefined) checkFunctionHandle("onComplete", start.onComplete);
  if (start.context !== undefined) checkContextSize(start.context);
}

// ---------------------------------------------------------------------------------------
// Webhooks: `new WorkflowManager(c, { webhooks })`, `step.createWebhook(opts)`,
// `registerWebhooks(http, c, { pathPrefix })`, and the component's `webhooks.create`.

/**
 * A webhook `baseUrl`: an absolute http(s) URL without query or fragment, like
 * `https://happy-otter-123.convex.site`. Returned without a trailing slash.
 */
export function checkWebhookBaseUrl(name: string, value: unknown): string {
  const usage = `${name} must be an absolute http(s) URL without query or fragment (like "https://<deployment>.convex.site"), got ${describeValue(value)}`;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_WEBHOOK_URL_PART_LENGTH) {
    throw new Error(usage);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(usage);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash || value.includes("#")) {
    throw new Error(usage);
  }
  return value.replace(/\/+$/, "");
}

/** A webhook `pathPrefix`: starts with "/", no query, fragment or "//". Returned without a trailing slash. */
export function checkWebhookPathPrefix(name: string, value: unknown): string {
  if (
    typeof value !== "string" ||
    !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/.test(value) ||
    value.includes("//") ||
    value.length > MAX_WEBHOOK_URL_PART_LENGTH
  ) {
    throw new Error(
      `${name} must be a URL path starting with "/" (like "/workflow/webhooks"), without query, fragment or "//", got ${describeValue(value)}`,
    );
  }
  const trimmed = value.replace(/\/+$/, "");
  if (trimmed.length === 0) throw new Error(`${name} must not be "/": webhooks need a path of their own`);
  return trimmed;
}

/** `new WorkflowManager(c, { webhooks: { baseUrl?, pathPrefix? } })`. */
export function checkWebhookOptions(where: string, value: unknown): { baseUrl?: string; pathPrefix?: string } {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} \`webhooks\` must be an object { baseUrl?, pathPrefix? }, got ${describeValue(value)}`);
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (key !== "baseUrl" && key !== "pathPrefix" && options[key] !== undefined) {
      throw new Error(`${where} \`webhooks.${key}\` is not an option: webhooks takes { baseUrl?, pathPrefix? }`);
    }
  }
  return {
    baseUrl:
      options.baseUrl === undefined ? undefined : checkWebhookBaseUrl(`${where} \`webhooks.baseUrl\``, options.baseUrl),
    pathPrefix:
      options.pathPrefix === undefined
        ? undefined
        : checkWebhookPathPrefix(`${where} \`webhooks.pathPrefix\``, options.pathPrefix),
  };
}

/** A webhook's validator in its JSON form (stored as a JSON string), checked where it arrives. */
export function checkWebhookValidatorJson(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "string" || value.length > MAX_WEBHOOK_VALIDATOR_SIZE) {
    throw new Error(`${name} must be a validator's JSON of at most ${MAX_WEBHOOK_VALIDATOR_SIZE} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error(`${name} must be a validator's JSON (validator.json), got ${describeValue(value)}`);
  }
  if (typeof json !== "object" || json === null || typeof (json as { type?: unknown }).type !== "string") {
    throw new Error(`${name} must be a validator's JSON (validator.json), got ${describeValue(value)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Flow control (docs/flow-control.md): `idempotencyKey` and `priority` at start; `concurrency`,
// `rateLimit` and `debounce` on the definition (checked when the module loads), their keys at
// start (computed from the args by the app's workflow mutation), and all of it again by the
// component's `create`.

/** A flow-control key (`idempotencyKey`, or what a `key(args)` returned): a string of 1 to 256 characters. */
export function checkFlowKey(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length < 1 || value.length > MAX_FLOW_KEY_LENGTH) {
    throw new Error(
      `${name} must be a string of 1 to ${MAX_FLOW_KEY_LENGTH} characters, got ${
        typeof value === "string" ? `a string of ${value.length} characters` : describeValue(value)
      }`,
    );
  }
  return value;
}

/** `priority`: a finite number from -1e9 to 1e9 (higher begins first). */
export function checkPriority(name: string, value: unknown): number {
  return checkFinite(name, value, -MAX_FLOW_PRIORITY, MAX_FLOW_PRIORITY);
}

type FlowNumbers = {
  concurrency?: { limit?: unknown };
  rateLimit?: { count?: unknown; periodMs?: unknown };
  debounce?: { delayMs?: unknown; maxDelayMs?: unknown };
};

/** The numbers of `concurrency`, `rateLimit` and `debounce`, wherever they arrive. */
function checkFlowNumbers(where: string, flow: FlowNumbers): void {
  if (flow.concurrency !== undefined) {
    if (typeof flow.concurrency !== "object" || flow.concurrency === null) {
      throw new Error(
        `${optionName(where, "concurrency")} must be { limit, key? }, got ${describeValue(flow.concurrency)}`,
      );
    }
    checkWholeNumber(optionName(where, "concurrency.limit"), flow.concurrency.limit, 1, MAX_CONCURRENCY_LIMIT);
  }
  if (flow.rateLimit !== undefined) {
    if (typeof flow.rateLimit !== "object" || flow.rateLimit === null) {
      throw new Error(
        `${optionName(where, "rateLimit")} must be { count, periodMs, key? }, got ${describeValue(flow.rateLimit)}`,
      );
    }
    checkWholeNumber(optionName(where, "rateLimit.count"), flow.rateLimit.count, 1, MAX_RATE_LIMIT_COUNT);
    const periodMs = flow.rateLimit.periodMs;
    if (typeof periodMs !== "number" || !(periodMs > 0) || periodMs > MAX_DELAY_MS) {
      throw new Error(
        `${optionName(where, "rateLimit.periodMs")} must be a number of milliseconds above 0 and at most ${withDays(
          MAX_DELAY_MS,
        )}, got ${describeValue(periodMs)}`,
      );
    }
  }
  if (flow.debounce !== undefined) {
    if (typeof flow.debounce !== "object" || flow.debounce === null) {
      throw new Error(
        `${optionName(where, "debounce")} must be { delayMs, maxDelayMs?, key }, got ${describeValue(flow.debounce)}`,
      );
    }
    const delayMs = checkMs(optionName(where, "debounce.delayMs"), flow.debounce.delayMs, 0);
    if (flow.debounce.maxDelayMs !== undefined) {
      checkMs(optionName(where, "debounce.maxDelayMs"), flow.debounce.maxDelayMs, delayMs);
    }
  }
}

/**
 * A definition's flow options, when the module loads: the numbers, and key functions where
 * given (`debounce.key` is required: without it every start of the definition would coalesce).
 */
export function checkFlowDefinition(
  where: string,
  flow: {
    concurrency?: { limit?: unknown; key?: unknown };
    rateLimit?: { count?: unknown; periodMs?: unknown; key?: unknown };
    debounce?: { delayMs?: unknown; maxDelayMs?: unknown; key?: unknown };
  },
): void {
  checkFlowNumbers(where, flow);
  for (const [option, value] of [
    ["concurrency.key", flow.concurrency?.key],
    ["rateLimit.key", flow.rateLimit?.key],
  ] as const) {
    if (value !== undefined && typeof value !== "function") {
      throw new Error(`${optionName(where, option)} must be a function (args) => string, got ${describeValue(value)}`);
    }
  }
  if (flow.debounce !== undefined && typeof flow.debounce.key !== "function") {
    throw new Error(
      `${optionName(where, "debounce.key")} must be a function (args) => string, got ${describeValue(flow.debounce.key)}`,
    );
  }
}

/** What a start sends `workflow.create` (protocol `vStartFlow`): checked by the component. */
export function checkStartFlow(flow: {
  idempotencyKey?: unknown;
  priority?: unknown;
  concurrency?: { limit?: unknown; key?: unknown };
  rateLimit?: { count?: unknown; periodMs?: unknown; key?: unknown };
  debounce?: { delayMs?: unknown; maxDelayMs?: unknown; key?: unknown };
}): void {
  if (flow.idempotencyKey !== undefined) checkFlowKey("idempotencyKey", flow.idempotencyKey);
  if (flow.priority !== undefined) checkPriority("priority", flow.priority);
  checkFlowNumbers("workflow.define", flow);
  // "" is the one key of a definition without a key function.
  if (flow.concurrency && flow.concurrency.key !== "") checkFlowKey("concurrency.key(args)", flow.concurrency.key);
  if (flow.rateLimit && flow.rateLimit.key !== "") checkFlowKey("rateLimit.key(args)", flow.rateLimit.key);
  if (flow.debounce) checkFlowKey("debounce.key(args)", flow.debounce.key);
}

// ---------------------------------------------------------------------------------------
// Operating workflows: tags on start, the list filter, retention (SPEC 4.3).

/** A workflow's tags as stored and sent to the component: pairs, in the caller's order. */
export type TagPairs = { key: string; value: string }[];

/** Throws for a key that is not 1…MAX_TAG_KEY_LENGTH printable ASCII characters (not starting with "$"). */
export function checkTagKey(name: string, key: unknown): string {
  if (
    typeof key !== "string" ||
    key.length < 1 ||
    key.length > MAX_TAG_KEY_LENGTH ||
    key.startsWith("$") ||
    // Tags travel as an object's field names (`{ args, tags }`): Convex allows printable ASCII there.
    [...key].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) > 126)
  ) {
    throw new Error(
      `${name}: a tag key must be 1 to ${MAX_TAG_KEY_LENGTH} printable ASCII characters, not starting with "$"; got ${describeValue(key)}`,
    );
  }
  return key;
}

/** Throws for a value that is not a string of at most MAX_TAG_VALUE_LENGTH characters. */
export function checkTagValue(name: string, key: string, value: unknown): string {
  if (typeof value !== "string" || value.length > MAX_TAG_VALUE_LENGTH) {
    throw new Error(
      `${name}: the value of tag "${key}" must be a string of at most ${MAX_TAG_VALUE_LENGTH} characters; got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * `tags` at start: a `Record<string, string>` (client, direct call) or the pairs the component
 * receives. At most MAX_TAGS pairs, distinct keys. Returns the pairs (none: undefined).
 */
export function checkTags(name: string, tags: unknown): TagPairs | undefined {
  if (tags === undefined) return undefined;
  let pairs: [unknown, unknown][];
  if (Array.isArray(tags)) {
    pairs = tags.map((p) => (typeof p === "object" && p !== null ? [p.key, p.value] : [p, undefined]));
  } else if (typeof tags === "object" && tags !== null) {
    pairs = Object.entries(tags);
  } else {
    throw new Error(`${name}: tags must be an object of string keys and values; got ${describeValue(tags)}`);
  }
  if (pairs.length > MAX_TAGS) {
    throw new Error(`${name}: at most ${MAX_TAGS} tags per workflow; got ${pairs.length}`);
  }
  const seen = new Set<string>();
  const result: TagPairs = [];
  for (const [k, value] of pairs) {
    const key = checkTagKey(name, k);
    if (seen.has(key)) throw new Error(`${name}: tag "${key}" is given twice`);
    seen.add(key);
    result.push({ key, value: checkTagValue(name, key, value) });
  }
  return result.length > 0 ? result : undefined;
}

/** A retention period in ms (`new WorkflowManager(c, { retention })`). */
export function checkRetention(
  name: string,
  retention: unknown,
): { completed?: number; failed?: number; canceled?: number } | undefined {
  if (retention === undefined) return undefined;
  if (typeof retention !== "object" || retention === null) {
    throw new Error(
      `${name}: retention must be { completed?, failed?, canceled? } in ms; got ${describeValue(retention)}`,
    );
  }
  const result: { completed?: number; failed?: number; canceled?: number } = {};
  for (const [key, value] of Object.entries(retention)) {
    if (key !== "completed" && key !== "failed" && key !== "canceled") {
      throw new Error(`${name}: retention has no option "${key}" (completed, failed, canceled)`);
    }
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_RETENTION_MS) {
      throw new Error(
        `${name}: retention.${key} must be a number of milliseconds from 0 to ${MAX_RETENTION_MS}; got ${describeValue(value)}`,
      );
    }
    result[key] = value;
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// `startMany(ctx, workflow, argsList, options)`: checked by the client, the workflow mutation
// and the component's `createMany`, before anything is written.

/**
 * A `startMany` list: an array of at most MAX_START_MANY argument objects whose arguments (with
 * the `context` each workflow stores) total at most MAX_START_MANY_BYTES, and which with their
 * tags write at most MAX_START_MANY_DOCUMENTS documents. Returns the bytes.
 */
export function checkStartManyList(argsList: unknown, context?: unknown, tags?: unknown): number {
  if (!Array.isArray(argsList)) {
    throw new Error(`startMany: argsList must be an array of argument objects, got ${describeValue(argsList)}`);
  }
  if (argsList.length > MAX_START_MANY) {
    throw new Error(
      `startMany: argsList has ${argsList.length} items; at most ${MAX_START_MANY} workflows per call (split the list)`,
    );
  }
  const tagCount = tags !== null && typeof tags === "object" ? Object.keys(tags).length : 0;
  const documents = argsList.length * (1 + tagCount);
  if (documents > MAX_START_MANY_DOCUMENTS) {
    throw new Error(
      `startMany: ${argsList.length} workflows with ${tagCount} tags each write ${documents} documents ` +
        `(a workflow and a row per tag); at most ${MAX_START_MANY_DOCUMENTS} per call (split the list, or use fewer tags)`,
    );
  }
  const contextBytes = context === undefined ? 0 : getConvexSize(context as Value);
  let bytes = 0;
  for (const args of argsList) bytes += getConvexSize((args ?? null) as Value) + contextBytes;
  if (bytes > MAX_START_MANY_BYTES) {
    throw new Error(
      `startMany: the ${argsList.length} workflows' arguments (with their context) total ${bytes} bytes; ` +
        `at most ${MAX_START_MANY_BYTES} bytes per call (split the list)`,
    );
  }
  return bytes;
}
