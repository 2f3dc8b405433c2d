// Flow control, the app's side (docs/flow-control.md): the definition's `concurrency`,
// `rateLimit` and `debounce` keys computed from a start's args, with the start's
// `idempotencyKey` and `priority`, as `workflow.create` takes them (protocol `vStartFlow`).
import type { StartFlow } from "../../shared/protocol.js";
import { checkFlowKey, checkPriority, describeValue } from "../../shared/validateOptions.js";
import { formatErrorWithStack } from "../../shared/errors.js";

type KeyFn = (args: any) => unknown;
export type FlowDefinition = {
  concurrency?: { limit: number; key?: KeyFn };
  rateLimit?: { count: number; periodMs: number; key?: KeyFn };
  debounce?: { delayMs: number; maxDelayMs?: number; key: KeyFn };
};

/** What `key(args)` returned, checked; a key function that throws names the workflow and the option. */
function computeKey(workflowName: string, option: string, key: KeyFn | undefined, args: unknown): string {
  if (key === undefined) return ""; // no key function: one key for every start of the definition
  let value: unknown;
  try {
    value = key(args);
  } catch (error) {
    throw new Error(`Workflow ${workflowName}: \`${option}\` threw: ${formatErrorWithStack(error)}`);
  }
  if (typeof value !== "string") {
    throw new Error(`Workflow ${workflowName}: \`${option}\` must return a string, got ${describeValue(value)}`);
  }
  return checkFlowKey(`Workflow ${workflowName}: \`${option}\``, value);
}

/** The flow control of one start, or undefined when neither the start nor the definition has any. */
export function flowOfStart(
  workflowName: string,
  definition: FlowDefinition,
  start: { args: unknown; idempotencyKey?: string; priority?: number },
): StartFlow | undefined {
  const { concurrency, rateLimit, debounce } = definition;
  if (start.idempotencyKey !== undefined) checkFlowKey("idempotencyKey", start.idempotencyKey);
  if (start.priority !== undefined) checkPriority("priority", start.priority);
  if (!concurrency && !rateLimit && !debounce && start.idempotencyKey === undefined && start.priority === undefined) {
    return undefined;
  }
  const flow: StartFlow = {};
  if (start.idempotencyKey !== undefined) flow.idempotencyKey = start.idempotencyKey;
  if (start.priority !== undefined) flow.priority = start.priority;
  if (concurrency) {
    flow.concurrency = {
      limit: concurrency.limit,
      key: computeKey(workflowName, "concurrency.key", concurrency.key, start.args),
    };
  }
  if (rateLimit) {
    flow.rateLimit = {
      count: rateLimit.count,
      periodMs: rateLimit.periodMs,
      key: computeKey(workflowName, "rateLimit.key", rateLimit.key, start.args),
    };
  }
  if (debounce) {
    const key = computeKey(workflowName, "debounce.key", debounce.key, start.args);
    flow.debounce = {
      delayMs: debounce.delayMs,
      key,
      ...(debounce.maxDelayMs !== undefined && { maxDelayMs: debounce.maxDelayMs }),
    };
  }
  return flow;
}
