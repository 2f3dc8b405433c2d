/// <reference types="vite/client" />
// Shared setup for the example app's tests (the extra dot keeps Convex from deploying it).
import { convexTest } from "convex-test";
import workflowTest from "convex-workflow/test";
import { vi } from "vitest";
import schema from "./schema.js";

export const modules = import.meta.glob("./**/*.ts");

/** A test backend with the app, this component and its workpool, enforcing real limits. */
export function initConvexTest() {
  const t = convexTest({ schema, modules, transactionLimits: true });
  workflowTest.register(t);
  return t;
}
export type TestConvex = ReturnType<typeof initConvexTest>;

/** Run every scheduled function (polls, steps, workpool loops, sleeps) until none are left. */
export async function drain(t: TestConvex): Promise<void> {
  await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
}
