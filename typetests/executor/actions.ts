// Executor mode's exports (not in @convex-dev/workflow 0.4.8, so not in tsconfig.upstream.json):
// `workflow.action` and `workflow.executor()` through the generated API.
import { v } from "convex/values";
import { WorkflowManager, type WorkflowComponent } from "convex-workflow";

declare const component: WorkflowComponent;
export const workflow = new WorkflowManager(component, { executorShards: 2 });

export const summarize = workflow.action("summarize", {
  args: { text: v.string() },
  returns: v.number(),
  handler: async (_ctx, args) => args.text.length,
});
export const executor = workflow.executor();
export const tuned = workflow.executor({ concurrency: 10, claimIntervalMs: 50, idleClaimIntervalMs: 1_000 });
// @ts-expect-error renamed: claimIntervalMs
export const renamed = workflow.executor({ pollIntervalMs: 50 });
// @ts-expect-error test hooks are not an executor option (withExecutorTestHooks, not exported)
export const hooked = workflow.executor({ hooks: {} });
