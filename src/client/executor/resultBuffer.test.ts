import { describe, expect, test } from "vitest";
import { consumedCount, flushSize, ResultBuffer } from "./resultBuffer.js";

const ok = (n: number) => ({
  stepId: `s${n}`,
  result: { kind: "success" as const, returnValue: n },
  startedAt: 0,
  attempts: 1,
});
const big = (n: number, bytes: number) => ({
  ...ok(n),
  result: { kind: "success" as const, returnValue: "x".repeat(bytes) },
});

describe("flushSize", () => {
  const sized = (...bytes: number[]) => bytes.map((b) => ({ bytes: b }));
  test.each([
    ["empty", [], 10, 100, 0],
    ["all fit", [10, 10, 10], 10, 100, 3],
    ["stops at the count", [10, 10, 10], 2, 100, 2],
    ["stops before the byte limit", [40, 40, 40], 10, 100, 2],
    ["up to the byte limit exactly", [50, 50, 1], 10, 100, 2],
    ["one result larger than the limit goes alone", [500, 10], 10, 100, 1],
    ["a large one after others waits for the next flush", [10, 500], 10, 100, 1],
  ] as const)("%s", (_name, bytes, maxCount, maxBytes, count) => {
    expect(flushSize(sized(...bytes), maxCount, maxBytes)).toBe(count);
  });
});

describe("consumedCount", () => {
  test.each([
    [8, undefined, 8], // the component did not say: it handled all
    [8, 3, 3],
    [8, 8, 8],
    [8, 20, 8], // more than sent: all
    [8, 0, 1], // out of range: one, so the buffer moves on
    [8, -2, 1],
    [8, 1.5, 1],
    [8, Number.NaN, 1],
  ])("sent %i, consumed %s: %i leave the buffer", (sent, consumed, count) => {
    expect(consumedCount(sent, consumed)).toBe(count);
  });
});

describe("ResultBuffer", () => {
  const o = { flushMaxCount: 4, flushMaxBytes: 1 << 20, flushIntervalMs: 100 };

  test("flushes when full, when a result waited flushIntervalMs, or when draining", () => {
    const buffer = new ResultBuffer(o);
    expect(buffer.shouldFlush(0, true)).toBe(false); // nothing to flush
    expect(buffer.flushDueAt()).toBeNull();
    buffer.push(1_000, ok(0));
    expect(buffer.flushDueAt()).toBe(1_100);
    expect(buffer.shouldFlush(1_099, false)).toBe(false);
    expect(buffer.shouldFlush(1_099, true)).toBe(true);
    expect(buffer.shouldFlush(1_100, false)).toBe(true);
    buffer.push(1_050, ok(1)); // the oldest result sets the time
    expect(buffer.flushDueAt()).toBe(1_100);
    buffer.push(1_050, ok(2));
    buffer.push(1_050, ok(3));
    expect(buffer.shouldFlush(1_050, false)).toBe(true); // flushMaxCount
  });

  test("flushes when the results reach flushMaxBytes", () => {
    const buffer = new ResultBuffer({ ...o, flushMaxBytes: 1_000 });
    buffer.push(0, big(0, 600));
    expect(buffer.shouldFlush(0, false)).toBe(false);
    buffer.push(0, big(1, 600));
    expect(buffer.shouldFlush(0, false)).toBe(true);
    expect(buffer.next().map((r) => r.stepId)).toEqual(["s0"]); // two do not fit one flush
    buffer.flushed(0, 1, undefined);
    expect(buffer.shouldFlush(0, false)).toBe(false); // the bytes left with it
  });

  test("only what the component consumed leaves; the rest goes next", () => {
    const buffer = new ResultBuffer({ ...o, flushMaxCount: 100 });
    for (let i = 0; i < 8; i++) buffer.push(0, ok(i));
    const sent: number[] = [];
    while (buffer.size > 0) {
      const batch = buffer.next();
      sent.push(batch.length);
      buffer.flushed(0, batch.length, Math.min(3, batch.length));
    }
    expect(sent).toEqual([8, 5, 2]);
  });

  test("a failed flush halves the size down to one; each success doubles it back up to flushMaxCount", () => {
    const buffer = new ResultBuffer({ ...o, flushMaxCount: 8 });
    for (let i = 0; i < 20; i++) buffer.push(0, ok(i));
    const sizes: number[] = [];
    const fail = () => {
      const n = buffer.next().length;
      sizes.push(n);
      return buffer.flushFailed(0, n);
    };
    const succeed = () => {
      const n = buffer.next().length;
      sizes.push(n);
      buffer.flushed(0, n, undefined);
    };
    expect([fail(), fail(), fail(), fail()]).toEqual([4, 2, 1, 1]);
    for (let i = 0; i < 4; i++) succeed();
    expect(sizes).toEqual([8, 4, 2, 1, 1, 2, 4, 8]);
    expect(buffer.stepIds()).toEqual(["s15", "s16", "s17", "s18", "s19"]); // in order, none lost
  });

  test("a flush restarts the interval for what is left", () => {
    const buffer = new ResultBuffer(o);
    buffer.push(0, ok(0));
    buffer.push(0, ok(1));
    buffer.flushed(500, 2, 1);
    expect(buffer.flushDueAt()).toBe(600);
    buffer.flushFailed(700, 1);
    expect(buffer.flushDueAt()).toBe(800);
  });
});
