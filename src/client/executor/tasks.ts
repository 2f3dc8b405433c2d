// The tasks an executor claims, and how it runs one in-process: a query by its handle, an
// action registered with `workflow.action` by calling its handler (else by its handle).
// Mutation tasks run inside the component's recording transaction (`runMutationTasks`), in
// groups of at most MAX_MUTATION_TASKS.
import { validate } from "convex-helpers/validators";
import type { FunctionHandle, GenericActionCtx, GenericDataModel } from "convex/server";
import { asObjectValidator, type Infer, type PropertyValidators, type Validator } from "convex/values";
import { MAX_MUTATION_TASKS } from "../../shared/limits.js";
import type { vClaimedTask } from "../../shared/protocol.js";

/** A task as `claimTasks` returns it; `stepId` names both the task and its journal entry. */
export type ClaimedTask = Infer<typeof vClaimedTask>;

/** An action registered with `workflow.action`: the executor runs its handler in-process. */
export type ExecutorAction = {
  name: string;
  args?: PropertyValidators | Validator<any, "required", any>;
  handler: (ctx: GenericActionCtx<GenericDataModel>, args: any) => Promise<unknown>;
};

/** Runs a query or action task in this action; returns its value. */
export async function invokeTask(
  ctx: GenericActionCtx<GenericDataModel>,
  actions: ReadonlyMap<string, ExecutorAction>,
  task: ClaimedTask,
): Promise<unknown> {
  switch (task.functionType) {
    case "query":
      return await ctx.runQuery(task.handle as FunctionHandle<"query">, task.args);
    case "mutation":
      throw new Error("Mutation tasks are run by runMutationTasks");
    case "action": {
      const action = task.actionName ? actions.get(task.actionName) : undefined;
      if (!action) return await ctx.runAction(task.handle as FunctionHandle<"action">, task.args);
      if (action.args) validate(asObjectValidator(action.args), task.args, { throw: true });
      return await action.handler(ctx, task.args);
    }
  }
}

/** Mutation tasks in groups of at most MAX_MUTATION_TASKS (one `runMutationTasks` each), in order. */
export function mutationGroups<T>(tasks: T[]): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < tasks.length; i += MAX_MUTATION_TASKS) groups.push(tasks.slice(i, i + MAX_MUTATION_TASKS));
  return groups;
}
