import { describe, expect, test } from "vitest";
import { debounceBeginAt, gateKeyOf, rankOf, rateWindow } from "./gates.js";

describe("flow control gates", () => {
  test("the gate key: concurrency first, then rate limit, else none", () => {
    expect(gateKeyOf(undefined)).toBe(null);
    expect(gateKeyOf({ priority: 3 })).toBe(null);
    expect(gateKeyOf({ rateLimit: { count: 1, periodMs: 1, key: "a" } })).toBe("r:a");
    expect(gateKeyOf({ concurrency: { limit: 1, key: "b" }, rateLimit: { count: 1, periodMs: 1, key: "a" } })).toBe(
      "c:b",
    );
  });

  test("higher priority ranks first", () => {
    expect(rankOf(5)).toBeLessThan(rankOf(0));
    expect(rankOf(undefined)).toBe(rankOf(0));
  });

  test("sliding window: room below count, freed when the count-th newest leaves", () => {
    expect(rateWindow([], 1000, 2, 100)).toEqual({ inWindow: [], room: true, freeAt: null });
    expect(rateWindow([950], 1000, 2, 100)).toEqual({ inWindow: [950], room: true, freeAt: null });
    expect(rateWindow([920, 950], 1000, 2, 100)).toEqual({ inWindow: [920, 950], room: false, freeAt: 1020 });
    // Times that left the window are dropped; exactly periodMs old has left.
    expect(rateWindow([900, 950, 990], 1000, 2, 100)).toEqual({ inWindow: [950, 990], room: false, freeAt: 1050 });
    expect(rateWindow([800, 850], 1000, 2, 100).room).toBe(true);
  });

  test("debounce: delay after the last start, capped by maxDelayMs after the first", () => {
    expect(debounceBeginAt(0, 500, 1000)).toBe(1500);
    expect(debounceBeginAt(0, 500, 1000, 1200)).toBe(1200);
    expect(debounceBeginAt(0, 0, 1000, 5000)).toBe(1000);
  });
});
