// As convex/api.ts, for the executor module.
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import type * as actions from "./actions.js";

declare const fullApi: ApiFromModules<{ actions: typeof actions }>;
export declare const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">>;
