// The hop through Convex's generated API, exactly as an app's convex/_generated/api.d.ts
// writes it: module types -> ApiFromModules -> FilterApi by visibility.
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import type * as workflows from "./workflows.js";

declare const fullApi: ApiFromModules<{
  workflows: typeof workflows;
}>;
export declare const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">>;
