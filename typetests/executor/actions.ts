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
