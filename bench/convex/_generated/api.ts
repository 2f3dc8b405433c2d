/* eslint-disable */
// Minimal stand-in for `npx convex codegen` output: the bench app only runs on the embedded
// test backend, so untyped references are enough. convex-test also looks for a path
// containing `_generated` to find the root of the app's modules.
import { anyApi, componentsGeneric } from "convex/server";

export const api: any = anyApi;
export const internal: any = anyApi;
export const components: any = componentsGeneric();
