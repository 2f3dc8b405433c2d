// Type checks an app relies on, through the generated API (api.ts). Compiled by
// `npm run typecheck` against the source (tsconfig.json), the built declarations in dist/
// (tsconfig.dist.json) and @convex-dev/workflow 0.4.8 (tsconfig.upstream.json): the same
// expectations hold for all three. Each `@ts-expect-error` is a call that must not compile;
// if the types loosen (e.g. args become `DefaultFunctionArgs`), the directive is unused and
// tsc fails.
import type {
  FunctionArgs,
  GenericActionCtx,
  GenericDataModel,
  GenericMutationCtx,
  GenericQueryCtx,
} from "convex/server";
import { v } from "convex/values";
import {
  cancel,
  defineEvent,
  getStatus,
  list,
  restart,
  sendEvent,
  start,
  type WorkflowComponent,
  type WorkflowCtx,
  type WorkflowId,
  type WorkflowStatus,
} from "convex-workflow";
import { internal } from "./api.js";
import { workflow } from "./workflows.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only if `Actual` is exactly `Expected`. */
function expectType<Expected>() {
  return <Actual>(_value: Actual, ..._exact: Equal<Actual, Expected> extends true ? [] : [never]) => {};
}

declare const ctx: GenericMutationCtx<GenericDataModel>;
declare const actionCtx: GenericActionCtx<GenericDataModel>;
declare const queryCtx: GenericQueryCtx<GenericDataModel>;
declare const step: WorkflowCtx;
declare const component: WorkflowComponent;
declare const workflowId: WorkflowId;

const w = internal.workflows;

// --- The workflow's args, through `start`, the manager's `start`, a direct call and `runWorkflow`.

export async function argsOfDefined() {
  expectType<{ n: number }>()(null! as FunctionArgs<typeof w.defined>["args"]);
  await start(ctx, w.defined, { n: 1 });
  await start(actionCtx, w.defined, { n: 1 }, { startAsync: true });
  await workflow.start(ctx, w.defined, { n: 1 });
  await ctx.runMutation(w.defined, { args: { n: 1 } });
  await step.runWorkflow(w.defined, { n: 1 });
  // @ts-expect-error wrong type
  await start(ctx, w.defined, { n: "1" });
  // @ts-expect-error missing arg
  await start(ctx, w.defined, {});
  // @ts-expect-error wrong type
  await workflow.start(ctx, w.defined, { n: "1" });
  // @ts-expect-error missing arg
  await workflow.start(ctx, w.defined, {});
  // @ts-expect-error wrong type
  await ctx.runMutation(w.defined, { args: { n: "1" } });
  // @ts-expect-error args not nested under `args`
  await ctx.runMutation(w.defined, { n: 1 });
  // @ts-expect-error wrong type
  await step.runWorkflow(w.defined, { n: "1" });
  // @ts-expect-error missing arg
  await step.runWorkflow(w.defined, {});
}

export async function argsOfFluent() {
  expectType<{ s: string }>()(null! as FunctionArgs<typeof w.fluent>["args"]);
  await start(ctx, w.fluent, { s: "x" });
  await workflow.start(ctx, w.fluent, { s: "x" });
  await ctx.runMutation(w.fluent, { args: { s: "x" } });
  await step.runWorkflow(w.fluent, { s: "x" });
  // @ts-expect-error wrong type
  await start(ctx, w.fluent, { s: 1 });
  // @ts-expect-error missing arg
  await start(ctx, w.fluent, {});
  // @ts-expect-error wrong type
  await workflow.start(ctx, w.fluent, { s: 1 });
  // @ts-expect-error wrong type
  await ctx.runMutation(w.fluent, { args: { s: 1 } });
  // @ts-expect-error args not nested under `args`
  await ctx.runMutation(w.fluent, { s: "x" });
  // @ts-expect-error wrong type
  await step.runWorkflow(w.fluent, { s: 1 });
  // @ts-expect-error missing arg
  await step.runWorkflow(w.fluent, {});
}

export async function argsOfStandalone() {
  expectType<{ flag: boolean }>()(null! as FunctionArgs<typeof w.standalone>["args"]);
  await start(ctx, w.standalone, { flag: true });
  await workflow.start(ctx, w.standalone, { flag: true });
  await ctx.runMutation(w.standalone, { args: { flag: true } });
  await step.runWorkflow(w.standalone, { flag: true });
  // @ts-expect-error wrong type
  await start(ctx, w.standalone, { flag: "yes" });
  // @ts-expect-error missing arg
  await start(ctx, w.standalone, {});
  // @ts-expect-error wrong type
  await workflow.start(ctx, w.standalone, { flag: "yes" });
  // @ts-expect-error wrong type
  await ctx.runMutation(w.standalone, { args: { flag: "yes" } });
  // @ts-expect-error args not nested under `args`
  await ctx.runMutation(w.standalone, { flag: true });
  // @ts-expect-error wrong type
  await step.runWorkflow(w.standalone, { flag: "yes" });
  // @ts-expect-error missing arg
  await step.runWorkflow(w.standalone, {});
}

export async function argsOfTheOthers() {
  for (const ref of [
    w.definedNull,
    w.fluentNull,
    w.standaloneNull,
    w.definedNoReturns,
    w.fluentNoReturns,
    w.standaloneNoReturns,
  ]) {
    expectType<{ n: number }>()(null! as FunctionArgs<typeof ref>["args"]);
    await start(ctx, ref, { n: 1 });
    await step.runWorkflow(ref, { n: 1 });
    // @ts-expect-error wrong type
    await start(ctx, ref, { n: "1" });
    // @ts-expect-error wrong type
    await step.runWorkflow(ref, { n: "1" });
  }
  await start(ctx, w.noArgs, {});
  await step.runWorkflow(w.noArgs, {});
}

// --- What `step.runWorkflow` resolves to: the child's return type.

export async function returnsThroughRunWorkflow() {
  expectType<string>()(await step.runWorkflow(w.defined, { n: 1 }));
  expectType<number>()(await step.runWorkflow(w.fluent, { s: "x" }));
  expectType<{ ok: boolean }>()(await step.runWorkflow(w.standalone, { flag: true }));
  expectType<null>()(await step.runWorkflow(w.definedNull, { n: 1 }));
  expectType<null>()(await step.runWorkflow(w.fluentNull, { n: 1 }));
  expectType<null>()(await step.runWorkflow(w.standaloneNull, { n: 1 }));
  expectType<unknown>()(await step.runWorkflow(w.definedNoReturns, { n: 1 }));
  expectType<unknown>()(await step.runWorkflow(w.fluentNoReturns, { n: 1 }));
  expectType<unknown>()(await step.runWorkflow(w.standaloneNoReturns, { n: 1 }));
  // Starting returns the workflow's id.
  expectType<WorkflowId>()(await start(ctx, w.defined, { n: 1 }));
  expectType<WorkflowId>()(await workflow.start(ctx, w.fluent, { s: "x" }));
  // @ts-expect-error a string is not a number (the result is typed, not `never` or `any`)
  const _wrong: number = await step.runWorkflow(w.defined, { n: 1 });
}

// --- The rest of the public API an app calls.

const approval = defineEvent({ name: "approval", validator: v.object({ approved: v.boolean() }) });

export async function otherSignatures() {
  expectType<WorkflowStatus>()(await workflow.status(queryCtx, workflowId));
  expectType<WorkflowStatus>()(await getStatus(queryCtx, component, workflowId));
  await workflow.cancel(ctx, workflowId);
  await cancel(actionCtx, component, workflowId);
  // @ts-expect-error a query cannot cancel
  await workflow.cancel(queryCtx, workflowId);

  await workflow.restart(ctx, workflowId);
  await workflow.restart(ctx, workflowId, { from: 2, startAsync: true });
  await workflow.restart(ctx, workflowId, { from: "charge" });
  await restart(ctx, component, workflowId, { from: w.defined });
  // @ts-expect-error `from` is a step number, a name or a function reference
  await workflow.restart(ctx, workflowId, { from: true });

  const page = await workflow.list(queryCtx, { order: "desc", paginationOpts: { cursor: null, numItems: 10 } });
  expectType<WorkflowId>()(page.page[0].workflowId);
  await list(queryCtx, component);
  // @ts-expect-error order is "asc" or "desc"
  await workflow.list(queryCtx, { order: "sideways" });
  await workflow.listSteps(queryCtx, workflowId);
  await workflow.listByName(queryCtx, "workflows:defined");

  await workflow.sendEvent(ctx, { ...approval, workflowId, value: { approved: true } });
  await sendEvent(ctx, component, { workflowId, name: "approval", error: "rejected" });
  // @ts-expect-error the value must match the event's validator
  await workflow.sendEvent(ctx, { ...approval, workflowId, value: { approved: "yes" } });
  // @ts-expect-error with a validator, a value is required
  await workflow.sendEvent(ctx, { ...approval, workflowId });
  expectType<{ approved: boolean }>()(await step.awaitEvent(approval));

  // `onComplete` takes the `context` it is given.
  await start(ctx, w.defined, { n: 1 }, { onComplete: w.onDone, context: { orderId: "o1" } });
  await workflow.start(ctx, w.defined, { n: 1 }, { onComplete: w.onDone, context: { orderId: "o1" } });
  // @ts-expect-error onComplete without its context
  await start(ctx, w.defined, { n: 1 }, { onComplete: w.onDone });
  // @ts-expect-error a context of the wrong shape
  await workflow.start(ctx, w.defined, { n: 1 }, { onComplete: w.onDone, context: { orderId: 1 } });
}
