// Flow control's types (ours only, docs/flow-control.md): key functions get the typed args in
// all three define forms; start options take `idempotencyKey` and `priority`; status has `queued`.
import { v } from "convex/values";
import { defineWorkflow, type WorkflowComponent, WorkflowManager, type WorkflowStatus } from "convex-workflow";

declare const component: WorkflowComponent;
const workflow = new WorkflowManager(component);

export const defined = workflow.define({
  args: { userId: v.string(), n: v.number() },
  concurrency: { limit: 1, key: (args) => args.userId },
  rateLimit: { count: 10, periodMs: 1_000, key: (args) => `${args.n}` },
  debounce: { delayMs: 100, maxDelayMs: 1_000, key: (args) => args.userId },
  handler: async () => {},
});

export const fluent = workflow
  .define({ args: { userId: v.string() }, concurrency: { limit: 2, key: (args) => args.userId } })
  .handler(async () => {});

export const standalone = defineWorkflow(component, {
  args: { userId: v.string() },
  // @ts-expect-error the key function gets the typed args: no `missing` field
  concurrency: { limit: 2, key: (args) => args.missing },
}).handler(async () => {});

// @ts-expect-error debounce needs a key
export const noKey = workflow.define({ args: {}, debounce: { delayMs: 1 }, handler: async () => {} });

export function statusHasQueued(status: WorkflowStatus): string {
  return status.type === "queued" ? "waiting" : status.type;
}

export function startOptions(ctx: Parameters<typeof workflow.start>[0], ref: Parameters<typeof workflow.start>[1]) {
  return workflow.start(ctx, ref, {}, { idempotencyKey: "evt_1", priority: 5 });
}
