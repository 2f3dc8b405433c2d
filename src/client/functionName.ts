import {
  type FunctionReference,
  type FunctionType,
  type FunctionVisibility,
  getFunctionAddress,
  getFunctionName,
} from "convex/server";

/**
 * The name a step or workflow is journaled under: `"folder/file:fn"` for a function
 * reference, the component path for a component function, or the handle itself.
 */
export function functionName(f: FunctionReference<FunctionType, FunctionVisibility>): string {
  const address = getFunctionAddress(f);
  if (address.name) return address.name;
  if (address.reference) return address.reference.split("/").slice(2).join("/");
  if (address.functionHandle) return address.functionHandle.slice("function://".length);
  return getFunctionName(f);
}
