// Setup for `npm test` (vitest.config.ts `setupFiles`). Many tests fail something on purpose: a
// handler that throws, an action retried until it gives up, an executor killed mid-flush. The
// engine, the workpool and convex-test log those as they would in production. Here:
// - every console call of a test is recorded, so the test can assert what was logged
//   (`logged()` in example/convex/setup.testing.ts);
// - vitest prints a test's output only when the test fails (`silent: "passed-only"`), so a
//   green run shows no deliberate failures, and a red one shows everything;
// - our own code (src/) logs a thrown error as one line: a stack trace it logs at any level
//   but DEBUG fails the test.
import { afterEach, beforeEach } from "vitest";

const LEVELS = ["error", "warn", "info", "log", "debug"] as const;
type Level = (typeof LEVELS)[number];
export type LoggedLine = { level: Level; text: string; fromSource: boolean };

/** Where `logged()` finds the current test's lines (shared without importing this file). */
const KEY = Symbol.for("convex-workflow/test-console");
const SRC = new URL("./src/", import.meta.url).pathname;
const STACK_FRAME = /^\s+at /m;

function format(args: unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "string") return a;
      if (a instanceof Error) return a.stack ?? String(a);
      try {
        return JSON.stringify(a) ?? String(a);
      } catch {
        return String(a);
      }
    })
    .join(" ");
}

/** Whether the console call came from this package's sources (not a test, not a dependency). */
function calledFromSource(): boolean {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  return frames.some((f) => f.includes(SRC) && !/\.test\.ts\b/.test(f));
}

let restore: Array<() => void> = [];

beforeEach(() => {
  const lines: LoggedLine[] = [];
  (globalThis as Record<symbol, unknown>)[KEY] = lines;
  // Plain wrappers, not vi.spyOn: a test's own spies (and its vi.restoreAllMocks) sit on top.
  restore = LEVELS.map((level) => {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      lines.push({ level, text: format(args), fromSource: calledFromSource() });
      original.apply(console, args);
    };
    return () => {
      console[level] = original;
    };
  });
});

afterEach(() => {
  for (const undo of restore) undo();
  restore = [];
  const lines = (globalThis as Record<symbol, unknown>)[KEY] as LoggedLine[];
  const stacks = lines.filter((l) => l.fromSource && l.level !== "debug" && STACK_FRAME.test(l.text));
  if (stacks.length > 0) {
    throw new Error(
      `The engine logged ${stacks.length} stack trace(s) below DEBUG; log a thrown error as one line ` +
        `(logThrown in src/component/logging.ts). First:\n${stacks[0].text}`,
    );
  }
});
