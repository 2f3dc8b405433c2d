// Versioning's types (docs/versioning.md; not in @convex-dev/workflow 0.4.8, so not in
// tsconfig.upstream.json): `version` on the three define forms, `step.journal`, and
// `step.continueAsNew` typed by the workflow's own args, through the generated API.
import { v } from "convex/values";
import { defineWorkflow, WorkflowManager, type WorkflowComponent } from "convex-workflow";

declare const component: WorkflowComponent;
export const workflow = new WorkflowManager(component);

export const defined = workflow.define({
  args: { n: v.number() },
  version: 2,
  handler: async (step, { n }): Promise<number> => {
    const version: number = step.journal.getVersion();
    const count: number = step.journal.getStepCount();
    if (version < 2) {
      const skipped = step.journal.consumeNext("old");
      const _name: string = skipped.name;
    }
    if (n < 10) await step.continueAsNew({ n: n + 1 });
    // @ts-expect-error continueAsNew takes the workflow's own args
    if (n < 10) await step.continueAsNew({ n: "1" });
    // @ts-expect-error consumeNext's name is a string
    step.journal.consumeNext(1);
    return count;
  },
});

export const fluent = workflow.define({ args: { s: v.string() }, version: 1 }).handler(async (step, { s }) => {
  // @ts-expect-error continueAsNew takes the workflow's own args
  await step.continueAsNew({ n: 1 });
  await step.continueAsNew({ s });
});

export const standalone = defineWorkflow(component, { args: { flag: v.boolean() }, version: 3 }).handler(
  async (step, { flag }) => {
    if (!flag) await step.continueAsNew({ flag: true });
  },
);

// @ts-expect-error version is a number
export const badVersion = workflow.define({ args: {}, version: "2", handler: async () => {} });
