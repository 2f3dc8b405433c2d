// startMany's types (ours only, so not in convex/checks.ts, which 0.4.8 must pass too): the
// argument list is typed item by item from the workflow's validator, through the generated API.
import type { GenericActionCtx, GenericDataModel, GenericMutationCtx } from "convex/server";
import { startMany, type WorkflowComponent, type WorkflowId } from "convex-workflow";
import { internal } from "../convex/api.js";
import { workflow } from "../convex/workflows.js";

declare const ctx: GenericMutationCtx<GenericDataModel>;
declare const actionCtx: GenericActionCtx<GenericDataModel>;
declare const component: WorkflowComponent;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only if `Actual` is exactly `Expected`. */
function expectType<Expected>() {
  return <Actual>(_value: Actual, ..._exact: Equal<Actual, Expected> extends true ? [] : [never]) => {};
}

const w = internal.workflows;

export async function startManyArgs() {
  const ids = await startMany(ctx, component, w.defined, [{ n: 1 }, { n: 2 }]);
  expectType<WorkflowId[]>()(ids);
  expectType<WorkflowId[]>()(await workflow.startMany(actionCtx, w.defined, [{ n: 1 }]));
  await workflow.startMany(ctx, w.fluent, [{ s: "x" }]);
  await workflow.startMany(ctx, w.defined, []);
  // @ts-expect-error an item of the wrong type
  await startMany(ctx, component, w.defined, [{ n: 1 }, { n: "2" }]);
  // @ts-expect-error an item missing its arg
  await workflow.startMany(ctx, w.defined, [{}]);
  // @ts-expect-error a single args object is not a list
  await workflow.startMany(ctx, w.defined, { n: 1 });
  // @ts-expect-error startAsync is implied, not an option
  await workflow.startMany(ctx, w.defined, [{ n: 1 }], { startAsync: true });
}
