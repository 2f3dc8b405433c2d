import { describe, expect, test } from "vitest";
import { takeTestHooks, withExecutorTestHooks } from "./testHooks.js";

describe("withExecutorTestHooks", () => {
  test("hands its hooks to the one executor `make` builds, and only to it", () => {
    const hooks = { beforeClaim: () => undefined };
    const made = withExecutorTestHooks(hooks, () => ({ hooks: takeTestHooks() }));
    expect(made.hooks).toBe(hooks);
    expect(takeTestHooks()).toBeUndefined(); // the next executor gets none
  });

  test("`make` that builds no executor throws, and leaves nothing behind", () => {
    expect(() => withExecutorTestHooks({}, () => 1)).toThrow(
      "withExecutorTestHooks: `make` must call `workflow.executor()`",
    );
    expect(takeTestHooks()).toBeUndefined();
  });

  test("calls may not nest", () => {
    expect(() => withExecutorTestHooks({}, () => withExecutorTestHooks({}, () => takeTestHooks()))).toThrow(
      "withExecutorTestHooks: calls may not nest",
    );
    expect(takeTestHooks()).toBeUndefined();
  });
});
