// Webhooks (docs/webhooks.md) for webhooks.test.ts: workflows that make a webhook, record its
// URL where the test can read it (a real workflow hands it to an outside service), and wait
// for a delivery. The route is mounted in http.ts (`registerWebhooks`).
import { v } from "convex/values";
import { isTimeoutError, type WorkflowCtx, WorkflowManager } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";

/** The base URL these managers build webhook URLs from (tests post to the path after it). */
export const BASE_URL = "https://webhooks-test.convex.site";

export const workflow = new WorkflowManager(components.workflow, {
  webhooks: { baseUrl: BASE_URL },
  workpoolOptions: { logLevel: "WARN" },
});

/** No `webhooks` option: URLs come from CONVEX_SITE_URL. */
export const siteUrlWorkflow = new WorkflowManager(components.workflow, { workpoolOptions: { logLevel: "WARN" } });

/** Executor mode, one shard: createWebhook runs in a replay group after a task. */
export const executorWorkflow = new WorkflowManager(components.workflow, {
  executorShards: 1,
  webhooks: { baseUrl: BASE_URL },
  workpoolOptions: { logLevel: "WARN" },
});
export const executor = executorWorkflow.executor();
executorWorkflow.setExecutorRef(internal.webhookWorkflows.executor);

export const vPayment = v.object({ status: v.literal("paid"), amount: v.number() });

/** Where the test finds a workflow's webhook URL: an `effects` row keyed "webhookUrl". */
export const saveUrl = internalMutation({
  args: { workflowId: v.string(), url: v.string(), eventId: v.string() },
  returns: v.null(),
  handler: async (ctx, { workflowId, url, eventId }) => {
    await ctx.db.insert("effects", { key: "webhookUrl", workflowId, value: { url, eventId } });
    return null;
  },
});

export const double = internalQuery({
  args: { n: v.number() },
  returns: v.number(),
  handler: (_ctx, { n }) => 2 * n,
});

const vWaitArgs = {
  /** Check deliveries against `vPayment`. */
  validated: v.optional(v.boolean()),
  /** Sleep this long between making the webhook and awaiting it. */
  sleepMs: v.optional(v.number()),
  /** The await's deadline. */
  timeoutMs: v.optional(v.number()),
  /** After a timeout, sleep this long before returning (the workflow keeps running). */
  lingerMs: v.optional(v.number()),
};

/** createWebhook → record the URL → (sleep) → await the delivery; returns the URL and the value. */
async function waitForDelivery(
  step: WorkflowCtx,
  {
    validated,
    sleepMs,
    timeoutMs,
    lingerMs,
  }: { validated?: boolean; sleepMs?: number; timeoutMs?: number; lingerMs?: number },
): Promise<{ url: string; value: unknown } | { timedOut: true }> {
  const { url, eventId } = await step.createWebhook({ name: "callback", validator: validated ? vPayment : undefined });
  await step.runMutation(
    internal.webhookWorkflows.saveUrl,
    { workflowId: step.workflowId, url, eventId },
    { inline: true },
  );
  if (sleepMs) await step.sleep(sleepMs);
  try {
    const value = await step.awaitEvent({ id: eventId, timeout: timeoutMs });
    return { url, value };
  } catch (error) {
    if (!isTimeoutError(error)) throw error;
    if (lingerMs) await step.sleep(lingerMs);
    return { timedOut: true };
  }
}

export const waitForWebhook = workflow.define({
  args: vWaitArgs,
  handler: async (step, args) => await waitForDelivery(step, args),
});

/** A nested workflow makes the webhook; the parent returns what its child received. */
export const parentOfWebhook = workflow.define({
  args: {},
  handler: async (step): Promise<unknown> => await step.runWorkflow(internal.webhookWorkflows.waitForWebhook, {}),
});

export const siteUrlWebhook = siteUrlWorkflow.define({
  args: { baseUrl: v.optional(v.string()), pathPrefix: v.optional(v.string()) },
  handler: async (step, { baseUrl, pathPrefix }): Promise<string> => {
    const { url } = await step.createWebhook({ baseUrl, pathPrefix });
    return url;
  },
});

/** `createWebhook` with options it refuses. */
export const badWebhookOptions = workflow.define({
  args: { kind: v.string() },
  handler: async (step, { kind }): Promise<void> => {
    const opts: Record<string, unknown> = {
      timeout: { timeout: -1 },
      baseUrl: { baseUrl: "ftp://example.com" },
      pathPrefix: { pathPrefix: "no-slash" },
      validator: { validator: { type: "string" } },
      unknown: { secret: "x" },
    }[kind]!;
    await step.createWebhook(opts);
  },
});

/** Executor mode: a task (the query), then the webhook in a replay group, then the await. */
export const executorWebhook = executorWorkflow.define({
  args: { n: v.number() },
  handler: async (step, { n }): Promise<unknown> => {
    const doubled = await step.runQuery(internal.webhookWorkflows.double, { n });
    const result = await waitForDelivery(step, {});
    return { doubled, result };
  },
});
