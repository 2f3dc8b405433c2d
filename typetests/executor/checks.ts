// See convex/checks.ts.
import type { FunctionArgs } from "convex/server";
import type { WorkflowCtx } from "convex-workflow";
import { internal } from "./api.js";
import { workflow } from "./actions.js";

declare const step: WorkflowCtx;

export async function executorActions() {
  const n: number = await step.runAction(internal.actions.summarize, { text: "hi" });
  // @ts-expect-error wrong type
  await step.runAction(internal.actions.summarize, { text: 1 });
  // @ts-expect-error the result is a number
  const _s: string = await step.runAction(internal.actions.summarize, { text: "hi" });
  workflow.setExecutorRef(internal.actions.executor);
  const args: FunctionArgs<typeof internal.actions.executor> = { shard: 0, epoch: 1, instance: 0 };
  // @ts-expect-error the executor takes shard, epoch and instance
  const _bad: FunctionArgs<typeof internal.actions.executor> = { shard: 0 };
  return [n, args];
}
