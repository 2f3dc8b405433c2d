/// <reference types="vite/client" />
// The bench app's modules for convex-test (the extra dot keeps Convex from deploying it).
import schema from "./schema";

export const modules = import.meta.glob("./**/*.ts");
export { schema };
