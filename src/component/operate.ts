// What operators see of a workflow beyond 0.4.8's `PublicWorkflow` (SPEC 4.3): its tags, its
// lifecycle status, when it was created and when it finished.
import type { LifecycleStatus } from "../shared/protocol.js";
import type { Doc } from "./_generated/dataModel.js";
import { lifecycleStatus } from "./status.js";

export function operatorFields(workflow: Doc<"workflows">): {
  tags: Record<string, string>;
  status: LifecycleStatus;
  createdAt: number;
  finishedAt?: number;
} {
  return {
    tags: Object.fromEntries((workflow.tags ?? []).map(({ key, value }) => [key, value])),
    // Stored since SPEC 4.3; derived for a workflow written before.
    status: workflow.status ?? lifecycleStatus(workflow),
    createdAt: workflow._creationTime,
    ...(workflow.finishedAt !== undefined ? { finishedAt: workflow.finishedAt } : {}),
  };
}
