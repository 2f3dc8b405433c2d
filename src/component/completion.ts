// Finishing a workflow: success, failure or cancel. Runs exactly once per workflow run,
// in the transaction that decides the result, and delivers that result to the parent step
// (for nested workflows) and to the onComplete handler.
import type { RunResult } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { getConvexSize } from "convex/values";
import { formatErrorWithStack, limitErrorLength } from "../shared/errors.js";
import type { OnCompleteArgs, WorkflowId } from "../shared/types.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { describeStatus } from "./model.js";
import { logThrown } from "../shared/logging.js";
import { recordTransition, statusOf } from "./stats.js";
import { releaseFlow } from "./flowControl/lifecycle.js";
import { patchWithStatus } from "./status.js";
import { noteFinished } from "./retention.js";
import { recordStepResult } from "./results.js";
import { scheduleStop, stopBudgetOf, stopInFlightSteps } from "./cancel.js";

export async function completeWorkflow(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  result: RunResult,
  {
    reportToParent = true,
  }: {
    /** False when the parent's step for this workflow already has its result (the cascade set it). */
    reportToParent?: boolean;
  } = {},
): Promise<void> {
  if (workflow.runResult) {
    throw new Error(`Workflow ${workflow._id} is not running: it already ${describeStatus(workflow)}`);
  }
  // Every path stores an error of at most MAX_ERROR_LENGTH characters.
  const runResult: RunResult =
    result.kind === "failed" ? { kind: "failed", error: limitErrorLength(result.error) } : result;
  const console = await getLogger(ctx);
  const now = Date.now();
  let generationNumber = workflow.generationNumber;
  if (runResult.kind === "canceled") {
    // Bump first so that nothing already in flight can record a result or replay it again.
    generationNumber += 1;
  }
  const status = await patchWithStatus(ctx, workflow, { runResult, generationNumber, finishedAt: now });
  (await stopBudgetOf(ctx)).bytes -= getConvexSize(workflow); // the patch reads it again
  await recordTransition(ctx, workflow, statusOf(workflow), runResult.kind);
  await releaseFlow(ctx, workflow); // flow control: leave the queue, or free the slot for the next
  await noteFinished(ctx, workflow, status, now);
  // Steps still in flight (canceled, or never awaited by a handler that returned) will not
  // be waited for: mark them canceled and stop their work (nested workflows are canceled),
  // as much as fits in this transaction's budget; a scheduled continuation does the rest.
  if (!(await stopInFlightSteps(ctx, workflow._id))) {
    await scheduleStop(ctx, workflow, generationNumber);
  }
  console.event("completed", {
    workflowId: workflow._id,
    name: workflow.name,
    status: runResult.kind,
    overallDurationMs: now - workflow._creationTime,
  });
  if (workflow.parent && reportToParent) {
    await recordStepResult(ctx, {
      stepId: workflow.parent.stepId,
      generationNumber: workflow.parent.generationNumber,
      result: runResult,
    });
  }
  if (workflow.onComplete) {
    const args: OnCompleteArgs = {
      workflowId: workflow._id as unknown as WorkflowId,
      result: runResult,
      context: workflow.onComplete.context,
    };
    try {
      await ctx.runMutation(workflow.onComplete.fnHandle as FunctionHandle<"mutation", OnCompleteArgs>, args);
    } catch (error) {
      // The handler's writes were rolled back with it; the workflow's result stands.
      const message = formatErrorWithStack(error);
      logThrown(console, "error", `onComplete for workflow ${workflow._id} threw`, error);
      await ctx.db.insert("onCompleteFailures", {
        workflowId: workflow._id,
        generationNumber: workflow.generationNumber,
        runResult,
        error: message,
      });
    }
  }
}
