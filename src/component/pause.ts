// Pause and resume (SPEC 4.3). A paused workflow is running but not ready (readiness.ts): steps
// in flight finish and are recorded, timers and events that arrive are recorded too, but no
// replay runs, so nothing new starts. Resume clears the mark and, if nothing is in flight,
// schedules the replay the pause held back; otherwise the last result to arrive does, as usual.
// Both modes: the executor's flush and the coordinator ask `isReady` too.
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { getLogger } from "./config.js";
import { describeStatus } from "./model.js";
import { isReady } from "./readiness.js";
import { scheduleReplay } from "./replay.js";
import { recordTransition, statusOf } from "./stats.js";
import { patchWithStatus } from "./status.js";

/** Pause a running workflow; a no-op if it is already paused. */
export async function pauseWorkflow(ctx: MutationCtx, workflow: Doc<"workflows">): Promise<void> {
  if (workflow.runResult) {
    throw new Error(
      `Workflow not running: ${workflow._id} already ${describeStatus(workflow)}; only a running workflow can be paused.`,
    );
  }
  if (workflow.paused) return;
  if (workflow.queued) {
    // A queued workflow would take its slot when its turn came and then hold it, paused, in
    // front of every workflow queued behind it.
    throw new Error(
      `Workflow ${workflow._id} is queued (flow control): it cannot be paused before it begins; cancel it, or pause it once it runs.`,
    );
  }
  await patchWithStatus(ctx, workflow, { paused: { at: Date.now(), counted: true } });
  await recordTransition(ctx, workflow, "running", "paused");
  (await getLogger(ctx)).info(`Workflow ${workflow._id} (${workflow.name}) paused`);
}

/** Resume a paused workflow: replay it now if it is ready. A no-op if it is not paused. */
export async function resumeWorkflow(ctx: MutationCtx, workflow: Doc<"workflows">): Promise<void> {
  if (workflow.runResult) {
    throw new Error(
      `Workflow not running: ${workflow._id} already ${describeStatus(workflow)}; only a paused workflow can be resumed.`,
    );
  }
  if (!workflow.paused) return;
  await patchWithStatus(ctx, workflow, { paused: undefined });
  await recordTransition(ctx, workflow, statusOf(workflow), "running");
  (await getLogger(ctx)).info(`Workflow ${workflow._id} (${workflow.name}) resumed`);
  const resumed = { ...workflow, paused: undefined };
  if (await isReady(ctx, resumed)) await scheduleReplay(ctx, resumed);
}
