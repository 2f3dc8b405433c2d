// The `convex-workflow/test` entry, both ways convex-test offers to install a component:
// `register(t, name)` on a `convexTest(...)` instance (every convex-test version), and
// `defineTestApp({ components: { workflow } })` (convex-test >= 0.0.71; skipped on older
// versions, e.g. the pinned devDependency — `.ci/run`'s newest-peers step runs it).
import * as convexTestModule from "convex-test";
import { convexTest, type TestConvex } from "convex-test";
import {
  anyApi,
  defineSchema,
  internalMutationGeneric,
  type FunctionReference,
  type GenericSchema,
  type SchemaDefinition,
} from "convex/server";
import { v } from "convex/values";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { WorkflowManager } from "./client/index.js";
import type { ComponentApi } from "./component/_generated/component.js";
import workflowTest, { register } from "./test.js";

const appSchema = defineSchema({});

/** References to an app module made by `flowsModule`. */
type FlowRefs = {
  double: FunctionReference<"mutation", "internal">;
  quadruple: FunctionReference<"mutation", "internal">;
};
const refs = (module: unknown) => module as FlowRefs;

/**
 * An app module: a mutation and a two-step workflow calling it, on the given component.
 * `self` is the module's references (e.g. `internal.flows`).
 */
function flowsModule(component: ComponentApi, self: FlowRefs) {
  const workflow = new WorkflowManager(component);
  return {
    workflow,
    exports: {
      double: internalMutationGeneric({
        args: { n: v.number() },
        returns: v.number(),
        handler: (_ctx, { n }) => Promise.resolve(n * 2),
      }),
      quadruple: workflow.define({
        args: { n: v.number() },
        returns: v.number(),
        handler: async (step, { n }): Promise<number> => {
          const twice: number = await step.runMutation(self.double, { n });
          return await step.runMutation(self.double, { n: twice });
        },
      }),
    },
  };
}

type AnyTestConvex = TestConvex<SchemaDefinition<GenericSchema, boolean>>;

async function startAndFinish(t: AnyTestConvex, flows: ReturnType<typeof flowsModule>, self: FlowRefs, n: number) {
  const { workflow } = flows;
  const id = await t.mutation((ctx) => workflow.start(ctx, self.quadruple, { n }));
  await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
  return await t.query((ctx) => workflow.status(ctx, id));
}

describe("convex-workflow/test", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("register(t, name) installs the component under that name and returns its references", async () => {
    const t = convexTest({
      schema: appSchema,
      // convex-test finds the app's module root by its `_generated` directory.
      modules: {
        "./_generated/api.js": () => Promise.resolve({}),
        "./flows.js": () => Promise.resolve(flows.exports),
        "./others.js": () => Promise.resolve(others.exports),
      },
      transactionLimits: true,
    });
    const flows = flowsModule(register(t, "durable"), refs(anyApi.flows));
    // A second instance, under the default name, runs side by side.
    const others = flowsModule(register(t), refs(anyApi.others));
    expect(await startAndFinish(t, flows, refs(anyApi.flows), 3)).toEqual({ type: "completed", result: 12 });
    expect(await startAndFinish(t, others, refs(anyApi.others), 5)).toEqual({ type: "completed", result: 20 });
  });

  // defineTestApp exists from convex-test 0.0.71 on. Against such a version this file gets
  // its real types, so `app.components.workflow` must come out as our ComponentApi (the
  // newest-peers step of .ci/run typechecks it); against older ones a loose stand-in.
  type LooseDefineTestApp = (options: {
    schema: typeof appSchema;
    components: Record<string, { register: (t: AnyTestConvex, name: string) => unknown }>;
  }) => {
    components: Record<string, ComponentApi>;
    defineModules(modules: Record<string, object>): {
      internal: Record<string, unknown>;
      createTest(this: void, options?: { transactionLimits?: boolean }): AnyTestConvex;
    };
  };
  type DefineTestApp = typeof convexTestModule extends { defineTestApp: infer F } ? F : LooseDefineTestApp;
  const defineTestApp = (convexTestModule as unknown as { defineTestApp?: DefineTestApp }).defineTestApp;

  test.skipIf(defineTestApp === undefined)(
    defineTestApp === undefined
      ? "defineTestApp: skipped, the installed convex-test has none (it was added in 0.0.71)"
      : "defineTestApp({ components: { workflow } }) installs the component in every createTest()",
    async () => {
      const app = defineTestApp!({ schema: appSchema, components: { workflow: workflowTest } });
      const flows = flowsModule(app.components.workflow, refs(anyApi.flows));
      const { internal, createTest } = app.defineModules({ flows: flows.exports });
      // A fresh backend per createTest(), each with the component registered.
      for (const n of [1, 2]) {
        const t = createTest({ transactionLimits: true });
        expect(await startAndFinish(t, flows, refs(internal.flows), n)).toEqual({ type: "completed", result: 4 * n });
      }
    },
  );
});
