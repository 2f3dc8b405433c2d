// Finishing a workflow: success, failure or cancel. Runs exactly once per workflow run,
// in the transaction that decides the result, and delivers that result to the parent step
// (for nested workflows) and to the onComplete handler.
import type { RunResult } from "@convex-dev/workpool";
import type { FunctionHandle } from "convex/server";
import { formatErrorWithStack } from "../shared.js";
import type { OnCompleteArgs, WorkflowId } from "../types.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { recordTransition } from "./stats.js";
import { getWorkpool } from "./pool.js";
import { recordStepResult } from "./results.js";
import { closeEventsOfStep } from "./event.js";
import { deleteTaskOfStep } from "./taskQueue.js";
import { cancelTimer } from "./wait.js";

/** In-flight steps of one batch; a batch is at most maxParallelism steps. */
const MAX_IN_FLIGHT = 1000;

export async function completeWorkflow(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  runResult: RunResult,
  /** False when the caller knows no step is in flight (it read the journal in this transaction). */
  { stepsInFlight = true }: { stepsInFlight?: boolean } = {},
): Promise<void> {
  if (workflow.runResult) {
    throw new Error(`Workflow ${workflow._id} is not running: it already ${workflow.runResult.kind}`);
  }
  const console = await getLogger(ctx);
  const now = Date.now();
  let generationNumber = workflow.generationNumber;
  if (runResult.kind === "canceled") {
    // Bump first so that nothing already in flight can record a result or poll again.
    generationNumber += 1;
  }
  await ctx.db.patch("workflows", workflow._id, { runResult, generationNumber, finishedAt: now });
  await recordTransition(ctx, workflow, "running", runResult.kind);
  // Steps still in flight (canceled, or never awaited by a handler that returned) will not
  // be waited for: mark them canceled and stop their work, so no finished workflow keeps a
  // step in progress.
  if (stepsInFlight) await cancelInFlightSteps(ctx, workflow._id, now);
  console.event("completed", {
    workflowId: workflow._id,
    name: workflow.name,
    status: runResult.kind,
    overallDurationMs: now - workflow._creationTime,
  });
  if (workflow.parent) {
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
      console.error(`onComplete for workflow ${workflow._id} threw:`, message);
      await ctx.db.insert("onCompleteFailures", {
        workflowId: workflow._id,
        generationNumber: workflow.generationNumber,
        runResult,
        error: message,
      });
    }
  }
}

/** Mark every in-flight step canceled and stop the work behind it. */
async function cancelInFlightSteps(ctx: MutationCtx, workflowId: Id<"workflows">, now: number): Promise<void> {
  const inFlight = await ctx.db
    .query("steps")
    .withIndex("inProgress", (q) => q.eq("step.inProgress", true).eq("workflowId", workflowId))
    .take(MAX_IN_FLIGHT);
  if (inFlight.length === 0) return;
  let workpool: Awaited<ReturnType<typeof getWorkpool>> | undefined;
  for (const entry of inFlight) {
    const step = entry.step;
    await ctx.db.patch("steps", entry._id, {
      step: { ...step, inProgress: false, runResult: { kind: "canceled" }, completedAt: now },
    });
    switch (step.kind) {
      case undefined:
      case "function":
        if (step.wait?.timerId) await cancelTimer(ctx, step.wait.timerId);
        if (step.workId?.startsWith("executor:")) {
          await deleteTaskOfStep(ctx, entry._id);
        } else if (step.workId) {
          workpool ??= await getWorkpool(ctx, undefined);
          await workpool.cancel(ctx, step.workId);
        }
        break;
      case "sleep":
        if (step.workId) {
          const scheduledId = ctx.db.system.normalizeId("_scheduled_functions", step.workId);
          if (scheduledId) await cancelTimer(ctx, scheduledId);
        }
        break;
      case "workflow":
        if (step.workflowId) {
          const child = await ctx.db.get("workflows", step.workflowId);
          if (child && !child.runResult) await completeWorkflow(ctx, child, { kind: "canceled" });
        }
        break;
      case "event":
        await closeEventsOfStep(ctx, entry);
        break;
    }
  }
}
