import { describe, expect, test } from "vitest";
import { splitByBytes } from "./startMany.js";

describe("splitByBytes", () => {
  const size = (n: number) => n;
  test("keeps runs within the budget, in order, each with at least one item", () => {
    expect(splitByBytes([4, 4, 4, 4, 4], 10, size)).toEqual([[4, 4], [4, 4], [4]]);
    expect(splitByBytes([11, 1, 12], 10, size)).toEqual([[11], [1], [12]]);
    expect(splitByBytes([1, 2, 3], 10, size)).toEqual([[1, 2, 3]]);
    expect(splitByBytes([], 10, size)).toEqual([]);
  });
});
