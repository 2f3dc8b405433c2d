/// <reference types="vite/client" />
// convex-test helper: `register(t)` installs this component (and the workpool it uses,
// with whatever that nests) into a test backend. Works both ways convex-test offers:
//
//   const t = convexTest(schema, modules); register(t);            // any convex-test version
//   const app = defineTestApp({ schema, components: { workflow } }); // convex-test >= 0.0.71
//   ... app.defineModules({...}).createTest()   (app.components.workflow is typed)
import workpool from "@convex-dev/workpool/test";
import type { TestConvex } from "convex-test";
import { componentsGeneric, type GenericSchema, type SchemaDefinition } from "convex/server";
import type { ComponentApi } from "./component/_generated/component.js";
import schema from "./component/schema.js";

export const modules = import.meta.glob(["./component/**/*.ts", "!./component/**/*.test.ts"]);

type AnyTestConvex = TestConvex<SchemaDefinition<GenericSchema, boolean>>;

/**
 * Register the component with a convex-test instance.
 * @param t - from `convexTest(...)`, or the instance `defineTestApp`'s `createTest()` builds
 *   (pass this module, or `{ register }`, in `defineTestApp({ components: { workflow: … } })`).
 * @param name - the name it is installed under in convex.config.ts (default "workflow").
 * @returns references to the component's functions, typed as its `ComponentApi` (what
 *   `defineTestApp` exposes as `app.components.<name>`).
 */
export function register<Schema extends SchemaDefinition<GenericSchema, boolean>, Name extends string = "workflow">(
  t: TestConvex<Schema>,
  name: Name = "workflow" as Name,
): ComponentApi<Name> {
  // Older convex-test versions return nothing from registerComponent; newer ones return
  // these same references. Building them here gives the same value on every version.
  t.registerComponent(name, schema, modules);
  // Start loading every function module now, outside any workflow handler: a module first
  // loaded by a call made from inside a replay (an inline step, like `step.createWebhook`'s)
  // would load with the handler's globals hidden (`process`), which fails in the test runner.
  for (const load of Object.values(modules)) void load().catch(() => undefined);
  workpool.register(t as unknown as AnyTestConvex, `${name}/workpool`);
  return (componentsGeneric() as Record<string, unknown>)[name] as ComponentApi<Name>;
}

export { schema };
export { replayJournal, type RecordedJournal, type RecordedStep } from "./replayJournal.js";
export default { register, schema, modules };
