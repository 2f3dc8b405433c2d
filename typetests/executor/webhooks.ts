// Webhooks (not in @convex-dev/workflow 0.4.8, so not in tsconfig.upstream.json):
// `step.createWebhook`, the manager's `webhooks` option and `registerWebhooks`.
import { httpRouter } from "convex/server";
import { v } from "convex/values";
import {
  type EventId,
  registerWebhooks,
  type WorkflowComponent,
  type WorkflowCtx,
  WorkflowManager,
} from "convex-workflow";

declare const component: WorkflowComponent;
declare const step: WorkflowCtx;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only if `Actual` is exactly `Expected` (as in convex/checks.ts). */
function expectType<Expected>() {
  return <Actual>(_value: Actual, ..._exact: Equal<Actual, Expected> extends true ? [] : [never]) => {};
}

export const manager = new WorkflowManager(component, {
  webhooks: { baseUrl: "https://x.convex.site", pathPrefix: "/hooks" },
});

export async function webhooks() {
  const hook = await step.createWebhook();
  expectType<{ url: string; eventId: EventId }>()(hook);
  const named = await step.createWebhook({ name: "paid", validator: v.object({ ok: v.boolean() }), timeout: 1000 });
  expectType<EventId<"paid">>()(named.eventId);
  const value: unknown = await step.awaitEvent({ id: named.eventId });
  // @ts-expect-error timeout is a number of ms
  await step.createWebhook({ timeout: "1h" });
  // @ts-expect-error not an option
  await step.createWebhook({ secret: "x" });
  const http = httpRouter();
  registerWebhooks(http, component);
  registerWebhooks(http, component, { pathPrefix: "/hooks" });
  // @ts-expect-error pathPrefix is a string
  registerWebhooks(http, component, { pathPrefix: 1 });
  return value;
}
