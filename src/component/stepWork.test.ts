// The pure half of stepWork.ts: which backend runs a step (as journaled, and as asked for),
// when a delayed step starts, and what stopping it may cost.
import { describe, expect, test } from "vitest";
import type { Id } from "./_generated/dataModel.js";
import type { Step, Task } from "./schema.js";
import {
  type Backend,
  backendOf,
  backendOfRequest,
  MOST_A_STEP_COSTS,
  runAtOf,
  STOP_COST,
  stopCostOf,
} from "./stepWork.js";

const common = { name: "s", args: {}, argsSize: 2, queuedAt: 1_000 };
const fn = (extra: Partial<Extract<Step, { functionType: unknown }>> = {}): Step => ({
  ...common,
  kind: "function",
  functionType: "action",
  handle: "function://h",
  inProgress: true,
  ...extra,
});
const wait = { pollIntervalMs: 1_000, maxPollIntervalMs: 60_000, nextIntervalMs: 1_000, checks: 1 };
const timerId = "timer" as Id<"_scheduled_functions">;
const task: Task = { shard: 0, readyAt: 1_000, generationNumber: 0 };
const done = { kind: "success" as const, returnValue: 1 };

/** Every kind of journal entry, with the backend it is on. */
const entries: Array<[string, { step: Step; task?: Task }, Backend]> = [
  ["an inline function step", { step: fn({ inProgress: false, runResult: done }) }, "inline"],
  [
    "a function step with no kind",
    { step: { ...common, functionType: "action", handle: "function://h", inProgress: true, workId: "w" as never } },
    "workpool",
  ],
  ["a workpool function step", { step: fn({ workId: "w" as never }) }, "workpool"],
  [
    "a finished workpool function step",
    { step: fn({ workId: "w" as never, inProgress: false, runResult: done }) },
    "workpool",
  ],
  ["a task", { step: fn(), task }, "taskQueue"],
  ["a task whose result is in", { step: fn({ inProgress: false, runResult: done, attempts: 1 }) }, "inline"],
  ["a step never started (a canceled child's)", { step: fn() }, "inline"],
  ["a condition wait", { step: fn({ functionType: "query", wait: { ...wait, timerId } }) }, "conditionWait"],
  ["a sleep", { step: { ...common, kind: "sleep", inProgress: true, timerId } }, "timer"],
  ["an awaited event", { step: { ...common, kind: "event", inProgress: true, args: {} } }, "event"],
  [
    "a nested workflow",
    { step: { ...common, kind: "workflow", handle: "function://w", inProgress: true } },
    "childWorkflow",
  ],
];

describe("backendOf", () => {
  test.each(entries)("%s", (_, entry, backend) => {
    expect(backendOf(entry)).toBe(backend);
  });

  test("a condition wait is a condition wait even if it were routed to a task queue", () => {
    expect(backendOf({ step: fn({ functionType: "query", wait }), task })).toBe("conditionWait");
  });
});

describe("backendOfRequest", () => {
  const route = { shards: 4 };
  test.each([
    ["a step run in the replay", { step: fn({ inProgress: false, runResult: done }), task: route }, "inline"],
    ["a function step", { step: fn() }, "workpool"],
    ["a function step routed to the task queue", { step: fn(), task: route }, "taskQueue"],
    ["a waitUntil, routed or not", { step: fn({ functionType: "query", wait }), task: route }, "conditionWait"],
    ["a sleep (a route is ignored)", { step: { ...common, kind: "sleep", inProgress: true }, task: route }, "timer"],
    ["an awaitEvent", { step: { ...common, kind: "event", inProgress: true, args: {} } }, "event"],
    [
      "a nested workflow",
      { step: { ...common, kind: "workflow", handle: "function://w", inProgress: true } },
      "childWorkflow",
    ],
  ] as Array<[string, Parameters<typeof backendOfRequest>[0], Backend]>)("%s", (_, request, backend) => {
    expect(backendOfRequest(request)).toBe(backend);
  });

  test("the backend a request starts on is the backend of the entry it becomes", () => {
    // Inline, workpool and condition waits are told apart by the stored step; a task by `task`.
    expect(backendOf({ step: fn(), task })).toBe(backendOfRequest({ step: fn(), task: { shards: 1 } }));
    expect(backendOf({ step: fn({ workId: "w" as never }) })).toBe(backendOfRequest({ step: fn() }));
  });
});

describe("runAtOf", () => {
  test("runAt wins over runAfter; runAfter counts from now; neither: undefined (now)", () => {
    expect(runAtOf({ runAt: 5, runAfter: 100 }, 1_000)).toBe(5);
    expect(runAtOf({ runAfter: 100 }, 1_000)).toBe(1_100);
    expect(runAtOf({ runAfter: -5 }, 1_000)).toBe(995);
    expect(runAtOf({}, 1_000)).toBeUndefined();
    expect(runAtOf(undefined, 1_000)).toBeUndefined();
  });
});

describe("stop costs", () => {
  test("a step in flight costs its backend's estimate", () => {
    for (const [what, entry, backend] of entries) {
      const inFlight = { ...entry, step: { ...entry.step, inProgress: true } as Step };
      expect(stopCostOf(inFlight), what).toBe(STOP_COST[backendOf(inFlight)]);
      expect(STOP_COST[backend]).toBeLessThanOrEqual(MOST_A_STEP_COSTS);
    }
  });

  test("a task costs nothing to stop: the write that stops its entry takes it off the queue", () => {
    expect(stopCostOf({ step: fn(), task })).toBe(0);
  });

  test("a finished step costs nothing, except a condition wait's leftover check", () => {
    expect(stopCostOf({ step: fn({ workId: "w" as never, inProgress: false, runResult: done }) })).toBe(0);
    expect(stopCostOf({ step: { ...common, kind: "sleep", inProgress: false, runResult: done, timerId } })).toBe(0);
    const finishedWait = fn({ functionType: "query", wait: { ...wait, timerId }, inProgress: false, runResult: done });
    expect(stopCostOf({ step: finishedWait })).toBe(STOP_COST.conditionWait);
  });

  test("the most a step costs is the dearest backend (what `hasRoom` keeps free)", () => {
    expect(MOST_A_STEP_COSTS).toBe(Math.max(...Object.values(STOP_COST)));
    expect(MOST_A_STEP_COSTS).toBe(STOP_COST.childWorkflow);
  });
});
