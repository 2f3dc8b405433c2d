/// <reference types="vite/client" />
// convex-test helper: `register(t)` installs this component (and the workpool it uses,
// with whatever that nests) into a test backend made by `convexTest`.
import workpool from "@convex-dev/workpool/test";
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";

export const modules = import.meta.glob(["./component/**/*.ts", "!./component/**/*.test.ts"]);

/**
 * Register the component with a convex-test instance.
 * @param t - from `convexTest(...)`.
 * @param name - the name it is installed under in convex.config.ts (default "workflow").
 */
export function register<Schema extends SchemaDefinition<GenericSchema, boolean>>(
  t: TestConvex<Schema>,
  name: string = "workflow",
): void {
  t.registerComponent(name, schema, modules);
  workpool.register(t as unknown as TestConvex<SchemaDefinition<GenericSchema, boolean>>, `${name}/workpool`);
}

export { schema };
export default { register, schema, modules };
