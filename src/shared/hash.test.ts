import { describe, expect, test } from "vitest";
import { fnv1a, stringHash31 } from "./hash.js";
import { shardOf } from "../component/executor/shards.js";

describe("fnv1a", () => {
  test.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
  ])("FNV-1a 32 of %j is the published value", (text, hash) => {
    expect(fnv1a(text)).toBe(hash);
  });
});

describe("stringHash31", () => {
  test.each([
    ["", 0],
    ["hello", 99162322],
    // Java's "hello world".hashCode() is 1794106052; longer strings wrap like Java's int.
    ["hello world", 1794106052],
    ["polygenelubricants", 2 ** 31], // Java: Integer.MIN_VALUE, read as unsigned
  ])("is Java's String.hashCode of %j, unsigned", (text, hash) => {
    expect(stringHash31(text)).toBe(hash);
  });
});

describe("shardOf", () => {
  const ids = Array.from({ length: 2_000 }, (_, i) => `k57${i.toString(36).padStart(6, "0")}x`);

  test("is stable and in range", () => {
    for (const shards of [1, 2, 7, 256]) {
      for (const id of ids.slice(0, 50)) {
        const shard = shardOf(id, shards);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(shards);
        expect(shardOf(id, shards)).toBe(shard);
      }
    }
  });

  test("spreads similar ids evenly over the shards", () => {
    const counts = new Array<number>(8).fill(0);
    for (const id of ids) counts[shardOf(id, 8)]++;
    // 250 per shard expected; every shard within ±25%.
    for (const count of counts) expect(Math.abs(count - ids.length / 8)).toBeLessThan(ids.length / 8 / 4);
  });
});
