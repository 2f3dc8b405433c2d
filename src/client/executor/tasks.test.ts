import { describe, expect, test } from "vitest";
import { MAX_MUTATION_TASKS } from "../../shared/limits.js";
import { mutationGroups } from "./tasks.js";

describe("mutationGroups", () => {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  test.each([
    [0, []],
    [1, [1]],
    [MAX_MUTATION_TASKS, [MAX_MUTATION_TASKS]],
    [MAX_MUTATION_TASKS + 1, [MAX_MUTATION_TASKS, 1]],
    [2 * MAX_MUTATION_TASKS + 5, [MAX_MUTATION_TASKS, MAX_MUTATION_TASKS, 5]],
  ])("%i tasks: groups of %j, in order", (n, sizes) => {
    const groups = mutationGroups(range(n));
    expect(groups.map((g) => g.length)).toEqual(sizes);
    expect(groups.flat()).toEqual(range(n));
  });
});
