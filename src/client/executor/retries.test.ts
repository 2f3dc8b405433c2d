import { describe, expect, test } from "vitest";
import {
  actionRetryDelay,
  MUTATION_ATTEMPTS,
  mutationGroupFailure,
  rateLimitBackoff,
  RateLimits,
  Retries,
} from "./retries.js";

describe("actionRetryDelay", () => {
  const retry = { maxAttempts: 5, initialBackoffMs: 500, base: 2 };

  test.each([
    // attempts that failed, random, wait
    [1, 0.5, 500],
    [2, 0.5, 1_000],
    [3, 0.5, 2_000],
    [4, 0.5, 4_000],
    [1, 0, 250], // jitter: ×0.5 at least
    [1, 0.999, 749.5], // …under ×1.5
    [4, 0, 2_000],
  ])("after run %i (random %d): %d ms", (attempts, random, wait) => {
    expect(actionRetryDelay(retry, attempts, random)).toBeCloseTo(wait, 6);
  });

  test.each([5, 6])("after run %i of maxAttempts 5: no retry", (attempts) => {
    expect(actionRetryDelay(retry, attempts, 0.5)).toBeNull();
  });

  test("maxAttempts 1: never retried", () => {
    expect(actionRetryDelay({ ...retry, maxAttempts: 1 }, 1, 0.5)).toBeNull();
  });

  test("jitter comes from Math.random by default, within ×0.5 to ×1.5", () => {
    for (let i = 0; i < 20; i++) {
      const wait = actionRetryDelay(retry, 2)!;
      expect(wait).toBeGreaterThanOrEqual(500);
      expect(wait).toBeLessThan(1_500);
    }
  });
});

describe("rateLimitBackoff", () => {
  const o = { rateLimitBackoffMs: 1_000, rateLimitMaxBackoffMs: 10_000 };
  test.each([
    [0, undefined, 1_000],
    [1, undefined, 2_000],
    [3, undefined, 8_000],
    [4, undefined, 10_000], // capped
    [100, undefined, 10_000],
    [0, 250, 250], // the service said
    [5, 30_000, 30_000], // the service said, even past the cap
    [0, 60 * 60_000, 9 * 60_000], // but never past an executor's life (MAX_EXECUTOR_INTERVAL_MS)
    [1, Number.NaN, 2_000], // not a usable number: as if not given
    [1, -5, 2_000],
    [1, Number.POSITIVE_INFINITY, 2_000],
  ])("strike %i, retryAfterMs %s: %i ms", (strikes, retryAfterMs, wait) => {
    expect(rateLimitBackoff(strikes, retryAfterMs, o)).toBe(wait);
  });
});

describe("RateLimits", () => {
  test("pauses a function per name, doubling per strike; a success clears it", () => {
    const limits = new RateLimits({ rateLimitBackoffMs: 1_000, rateLimitMaxBackoffMs: 60_000 });
    expect(limits.pausedUntil("a", 0)).toBeNull();
    expect(limits.strike("a", undefined, 0)).toBe(1_000);
    expect(limits.pausedUntil("a", 999)).toBe(1_000);
    expect(limits.pausedUntil("a", 1_000)).toBeNull(); // the pause is over
    expect(limits.pausedUntil("b", 0)).toBeNull(); // other functions run on
    expect(limits.strike("a", undefined, 1_000)).toBe(3_000); // second strike: 2 s
    expect(limits.strike("a", 100, 3_000)).toBe(3_100); // the service said; still a strike
    expect(limits.strike("a", undefined, 3_100)).toBe(11_100); // fourth strike: 8 s
    limits.succeeded("a");
    expect(limits.pausedUntil("a", 3_200)).toBeNull();
    expect(limits.strike("a", undefined, 20_000)).toBe(21_000); // starts over
  });
});

describe("mutationGroupFailure", () => {
  test.each([
    // failed alone before, batch size, attempts, retry in
    [0, 20, 0, 1_000], // in a group: does not count, retried alone after 1 s
    [0, 2, 0, 1_000],
    [0, 1, 1, 1_000],
    [1, 1, 2, 2_000],
    [2, 1, 3, null], // third failure alone: recorded as failed
    [2, 5, 2, 2_000], // a group failure never gives up
  ])("failed alone %i, group of %i: attempts %i, retry in %s", (before, size, attempts, retryInMs) => {
    expect(mutationGroupFailure(before, size)).toEqual({ attempts, retryInMs });
  });

  test("a step alone is recorded as failed after MUTATION_ATTEMPTS failures, waiting 1 s then 2 s", () => {
    let failed = 0;
    const waits: number[] = [];
    for (;;) {
      const { attempts, retryInMs } = mutationGroupFailure(failed, 1);
      if (retryInMs === null) {
        expect(attempts).toBe(MUTATION_ATTEMPTS);
        break;
      }
      waits.push(retryInMs);
      failed = attempts;
    }
    expect(waits).toEqual([1_000, 2_000]);
  });
});

describe("Retries", () => {
  test("holds tasks until their time, in the order held; counts failures per task", () => {
    const retries = new Retries<string>();
    expect(retries.earliest()).toBeNull();
    retries.wait("s1", "task1", 300);
    retries.wait("s2", "task2", 100);
    retries.wait("s3", "task3", 200);
    expect(retries.size).toBe(3);
    expect(retries.ids()).toEqual(["s1", "s2", "s3"]);
    expect(retries.earliest()).toBe(100);
    expect(retries.due(99)).toEqual([]);
    expect(retries.due(200)).toEqual([
      { id: "s2", task: "task2" },
      { id: "s3", task: "task3" },
    ]);
    retries.release("s2");
    expect(retries.earliest()).toBe(200);
    expect(retries.attempts("s1")).toBe(0);
    retries.setAttempts("s1", 2);
    expect(retries.attempts("s1")).toBe(2);
    retries.dropWaiting(); // superseded: the waiting tasks go, the counts do not matter
    expect(retries.size).toBe(0);
    expect(retries.earliest()).toBeNull();
    retries.forget("s1");
    expect(retries.attempts("s1")).toBe(0);
  });
});
