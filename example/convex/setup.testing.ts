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

/** Run every scheduled function (replays, steps, workpool loops, sleeps) until none are left. */
export async function drain(t: TestConvex): Promise<void> {
  await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
}

type LoggedLine = { level: "error" | "warn" | "info" | "log" | "debug"; text: string };

/**
 * What this test has logged so far (one string per console call), at `level` or at every
 * level. Recorded by vitest.setup.ts; vitest prints it only if the test fails, so a test that
 * fails something on purpose asserts the lines it expects here.
 */
export function logged(level?: LoggedLine["level"]): string[] {
  const lines = (globalThis as Record<symbol, unknown>)[Symbol.for("convex-workflow/test-console")];
  if (!Array.isArray(lines)) throw new Error("logged() needs vitest.setup.ts (setupFiles in vitest.config.ts)");
  return (lines as LoggedLine[]).filter((l) => !level || l.level === level).map((l) => l.text);
}
