// Flow control options: definition-time checks, start-time checks, and the keys computed from args.
import { describe, expect, test } from "vitest";
import { checkFlowDefinition, checkStartFlow } from "../../shared/validateOptions.js";
import { flowOfStart } from "./flowOptions.js";

describe("flow control options", () => {
  test("definition: each bad number names the option and its range", () => {
    const bad: [object, string][] = [
      [
        { concurrency: { limit: 0 } },
        "workflow.define `concurrency.limit` must be a whole number from 1 to 10000, got 0",
      ],
      [
        { concurrency: { limit: 1.5 } },
        "workflow.define `concurrency.limit` must be a whole number from 1 to 10000, got 1.5",
      ],
      [
        { rateLimit: { count: 0, periodMs: 1 } },
        "workflow.define `rateLimit.count` must be a whole number from 1 to 1000, got 0",
      ],
      [
        { rateLimit: { count: 1, periodMs: 0 } },
        "workflow.define `rateLimit.periodMs` must be a number of milliseconds above 0",
      ],
      [
        { debounce: { delayMs: -1, key: () => "k" } },
        "workflow.define `debounce.delayMs` must be a finite number of milliseconds from 0",
      ],
      [
        { debounce: { delayMs: 100, maxDelayMs: 50, key: () => "k" } },
        "workflow.define `debounce.maxDelayMs` must be a finite number of milliseconds from 100",
      ],
      [
        { debounce: { delayMs: 100 } },
        "workflow.define `debounce.key` must be a function (args) => string, got undefined",
      ],
      [
        { concurrency: { limit: 1, key: "k" } },
        'workflow.define `concurrency.key` must be a function (args) => string, got "k"',
      ],
    ];
    for (const [flow, message] of bad)
      expect(() => checkFlowDefinition("workflow.define", flow), message).toThrow(message);
    expect(() =>
      checkFlowDefinition("workflow.define", {
        concurrency: { limit: 3, key: () => "a" },
        rateLimit: { count: 10, periodMs: 1000 },
        debounce: { delayMs: 0, maxDelayMs: 0, key: () => "a" },
      }),
    ).not.toThrow();
  });

  test("start: keys from the args, checked; idempotencyKey and priority checked", () => {
    const definition = {
      concurrency: { limit: 2, key: (a: { user: string }) => a.user },
      rateLimit: { count: 5, periodMs: 1000 },
    };
    expect(flowOfStart("w", definition, { args: { user: "u1" }, priority: 3 })).toEqual({
      priority: 3,
      concurrency: { limit: 2, key: "u1" },
      rateLimit: { count: 5, periodMs: 1000, key: "" },
    });
    expect(flowOfStart("w", {}, { args: {} })).toBeUndefined();
    expect(flowOfStart("w", {}, { args: {}, idempotencyKey: "e" })).toEqual({ idempotencyKey: "e" });
    expect(() => flowOfStart("w", definition, { args: { user: "" } })).toThrow(
      "Workflow w: `concurrency.key` must be a string of 1 to 256 characters, got a string of 0 characters",
    );
    expect(() => flowOfStart("w", definition, { args: {}, priority: Infinity })).toThrow(
      "priority must be a finite number from -1000000000 to 1000000000, got Infinity",
    );
    expect(() => flowOfStart("w", {}, { args: {}, idempotencyKey: "x".repeat(257) })).toThrow(
      "idempotencyKey must be a string of 1 to 256 characters, got a string of 257 characters",
    );
  });

  test("the component checks what arrives", () => {
    expect(() => checkStartFlow({ rateLimit: { count: 1, periodMs: -5, key: "" } })).toThrow(
      "workflow.define `rateLimit.periodMs` must be a number of milliseconds above 0",
    );
    expect(() => checkStartFlow({ debounce: { delayMs: 1, key: "" } })).toThrow(
      "debounce.key(args) must be a string of 1 to 256 characters",
    );
  });
});
