import { describe, expect, test } from "vitest";
import { EXECUTOR_DEFAULTS, resolveExecutorOptions } from "./options.js";

describe("resolveExecutorOptions", () => {
  test("defaults", () => {
    expect(resolveExecutorOptions("x", undefined)).toEqual(EXECUTOR_DEFAULTS);
    // The documented defaults (docs/executor-mode.md).
    expect(EXECUTOR_DEFAULTS).toMatchObject({ concurrency: 50, flushMaxCount: 100, flushIntervalMs: 100 });
    expect(EXECUTOR_DEFAULTS).toMatchObject({ claimIntervalMs: 50, idleClaimIntervalMs: 1_000, idleExitMs: 10_000 });
    expect(EXECUTOR_DEFAULTS.handoffAfterMs).toBe(8 * 60_000);
  });

  test("given options win; undefined ones take the default", () => {
    const o = resolveExecutorOptions("x", { concurrency: 5, claimIntervalMs: undefined });
    expect(o).toEqual({ ...EXECUTOR_DEFAULTS, concurrency: 5 });
  });

  test.each([
    [{ rateLimitBackoffMs: 90_000 }, 90_000], // above the default maximum: raises it
    [{ rateLimitBackoffMs: 5_000 }, 60_000],
    [{ rateLimitBackoffMs: 90_000, rateLimitMaxBackoffMs: 100_000 }, 100_000],
    [{ rateLimitMaxBackoffMs: 500 }, 500],
  ])("%j: rateLimitMaxBackoffMs %i", (options, most) => {
    expect(resolveExecutorOptions("x", options).rateLimitMaxBackoffMs).toBe(most);
  });

  test("bad options throw, naming the option and its range", () => {
    expect(() => resolveExecutorOptions("workflow.executor()", { claimIntervalMs: 0 })).toThrow(
      "workflow.executor() `claimIntervalMs` must be a finite number of milliseconds from 10 to 540000 (9 min), got 0",
    );
    expect(() => resolveExecutorOptions("workflow.executor()", { concurrency: 0 })).toThrow(
      "workflow.executor() `concurrency` must be a whole number from 1 to 500, got 0",
    );
  });

  test("an unknown option is an error naming it and the options; a renamed one gives its new name", () => {
    expect(() => resolveExecutorOptions("workflow.executor()", { pollIntervalMs: 50 } as never)).toThrow(
      "workflow.executor() `pollIntervalMs` is not an executor option (it is now `claimIntervalMs`); the options are concurrency,",
    );
    expect(() => resolveExecutorOptions("workflow.executor()", { concurency: 5 } as never)).toThrow(
      /`concurency` is not an executor option; the options are concurrency, flushMaxCount/,
    );
  });
});
