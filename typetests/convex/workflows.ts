// An app's workflow module, defining workflows in each of the three forms an app can use.
// checks.ts reaches them only through `internal.workflows.*` (see api.ts), as an app does.
import { internalMutationGeneric } from "convex/server";
import { v } from "convex/values";
import {
  defineWorkflow,
  vResultValidator,
  vWorkflowId,
  WorkflowManager,
  type WorkflowComponent,
} from "convex-workflow";

// What `components.workflow` is in an app's convex/_generated/api.d.ts.
declare const component: WorkflowComponent;
export const workflow = new WorkflowManager(component);

/** `workflow.define({ args, returns, handler })` */
export const defined = workflow.define({
  args: { n: v.number() },
  returns: v.string(),
  handler: async (_step, args): Promise<string> => `${args.n}`,
});

/** `workflow.define({ args, returns }).handler(fn)` */
export const fluent = workflow
  .define({ args: { s: v.string() }, returns: v.number() })
  .handler(async (_step, args) => args.s.length);

/** `defineWorkflow(component, { args, returns }).handler(fn)` */
export const standalone = defineWorkflow(component, {
  args: { flag: v.boolean() },
  returns: v.object({ ok: v.boolean() }),
}).handler(async (_step, args) => ({ ok: args.flag }));

/** `returns: v.null()`, in each form. */
export const definedNull = workflow.define({ args: { n: v.number() }, returns: v.null(), handler: async () => null });
export const fluentNull = workflow.define({ args: { n: v.number() }, returns: v.null() }).handler(async () => null);
export const standaloneNull = defineWorkflow(component, { args: { n: v.number() }, returns: v.null() }).handler(
  async () => null,
);

/** No `returns`, in each form. */
export const definedNoReturns = workflow.define({ args: { n: v.number() }, handler: async () => {} });
export const fluentNoReturns = workflow.define({ args: { n: v.number() } }).handler(async () => {});
export const standaloneNoReturns = defineWorkflow(component, { args: { n: v.number() } }).handler(async () => {});

/** No `args`: the workflow takes `{}`. */
export const noArgs = workflow.define({ handler: async () => 1 as const });

/** An `onComplete` handler. */
export const onDone = internalMutationGeneric({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.object({ orderId: v.string() }) },
  handler: async () => {},
});
