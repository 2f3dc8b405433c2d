// What `restart` gained in SPEC 4.3: new arguments, validated like a start, and `from: "failed"`.
//
// The arguments' validator lives in the app (the workflow's definition), so the component asks
// the workflow's own mutation, through its stored `workflowHandle`, to check them
// (`{ checkArgs }`: nothing runs). That works from any caller — a mutation, an action, an
// httpAction — and an invalid value throws before the restart changes anything.
import type { FunctionHandle } from "convex/server";
import { getConvexSize } from "convex/values";
import { checkStartArgs } from "../shared/validateOptions.js";
import type { StartFlow } from "../shared/protocol.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { stopBudgetOf } from "./cancel.js";

/** `restart(..., { from: "failed" })`: from the first failed step. */
export const RESTART_FROM_FAILED = "failed";

/**
 * Check new args for the workflow: size (like a start), then its definition's validator.
 * Returns its flow-control gates for those args (their keys come from the args), if any.
 */
export async function checkRestartArgs(
  ctx: MutationCtx,
  workflow: Doc<"workflows">,
  args: unknown,
): Promise<StartFlow | undefined> {
  checkStartArgs({ args });
  const checked = (await ctx.runMutation(
    workflow.workflowHandle as FunctionHandle<"mutation", { checkArgs: { workflowId: string; args: unknown } }>,
    { checkArgs: { workflowId: workflow._id, args } },
  )) as { kind?: string; flow?: StartFlow } | string;
  return typeof checked === "object" && checked.kind === "checkedArgs" ? checked.flow : undefined;
}

/**
 * The number of the workflow's first failed step. Walks the journal from its start, charging
 * what it reads to the transaction's budget (the deletion that follows gets what is left).
 */
export async function firstFailedStep(ctx: MutationCtx, workflow: Doc<"workflows">): Promise<number> {
  const budget = await stopBudgetOf(ctx);
  for await (const entry of ctx.db.query("steps").withIndex("workflow", (q) => q.eq("workflowId", workflow._id))) {
    budget.bytes -= getConvexSize(entry);
    if (entry.step.runResult?.kind === "failed") return entry.stepNumber;
  }
  throw new Error(`No failed step in workflow ${workflow._id}: restart from "failed" needs one.`);
}
