// A catalogue of bad input through the public API: every public function and option, with
// wrong types, unknown / malformed / other-table ids, ids of other workflows, wrong states,
// oversized values and invalid option combinations. Each case asserts the error a caller
// gets (naming the thing that was wrong) and that no data changed.
//
// "No data changed" is checked the strict way: the bad call runs inside a mutation that
// catches its error and commits, between two snapshots (every workflow with its status and
// journal, the counts, and the app's tables). So a component mutation that wrote something
// before throwing would show up, even though the caller carried on.
//
// Bad step calls inside a handler go through `probe` (chaosWorkflows.ts): the handler
// catches the error, so the workflow completes with it, and its journal must be empty.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { FunctionReference, GenericMutationCtx } from "convex/server";
import { v } from "convex/values";
import {
  cancel,
  cleanup,
  createEvent,
  getStatus,
  listSteps,
  notify,
  restart,
  sendEvent,
  start,
  type WorkflowId,
  WorkflowManager,
} from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import type { DataModel } from "./_generated/dataModel.js";
import { chaos, chaosExec, PROBE_CALLS, type ProbeCall, type Program } from "./chaosWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";
import { probes, STEP_OPTIONS } from "./optionProbes.js";

type Ctx = GenericMutationCtx<DataModel>;
const component = components.workflow;
const flow = internal.chaosWorkflows.standardFlow;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** The component's internal `utils:updateConfig` (an app runs it from the CLI). */
const updateConfig = (components.workflow as any).utils.updateConfig as FunctionReference<
  "mutation",
  "internal",
  { maxParallelism?: number }
>;

/** The blast radius: an unrelated workflow (a mutation, an action with retries, a sleep) completes. */
async function bystanderCompletes(t: TestConvex, id: WorkflowId) {
  expect(await t.query((ctx) => probes.status(ctx, id))).toEqual({ type: "completed", result: "done" });
}

/** The blast radius, with the fixture: the running workflow gets its event and completes. */
async function runningStillCompletes(f: { t: TestConvex; running: WorkflowId }) {
  await f.t.mutation((ctx) => chaos.sendEvent(ctx, { workflowId: f.running, name: "e1", value: 1 }));
  await drain(f.t);
  expect((await f.t.query((ctx) => chaos.status(ctx, f.running))).type).toBe("completed");
}

/** Everything a bad call could have changed, read through the public API and the app's tables. */
async function snapshotIn(ctx: Ctx): Promise<string> {
  const workflows = (await chaos.list(ctx, { paginationOpts: { cursor: null, numItems: 1000 } })).page;
  const journals = [];
  for (const w of workflows)
    journals.push(
      (await chaos.listSteps(ctx, w.workflowId, { paginationOpts: { cursor: null, numItems: 1000 } })).page,
    );
  return JSON.stringify({
    workflows,
    journals,
    counts: await chaos.counts(ctx),
    app: await ctx.runQuery(internal.chaosWorkflows.snapshot, {}),
    effects: await ctx.db.query("effects").collect(),
    flags: await ctx.db.query("chaosFlags").collect(),
  });
}

/**
 * Run `call` in a mutation that catches its error and commits; returns the error message.
 * Asserts it threw and that nothing changed, inside the transaction and after it committed.
 */
async function rejected(t: TestConvex, call: (ctx: Ctx) => Promise<unknown>): Promise<string> {
  const before = await t.mutation((ctx) => snapshotIn(ctx));
  const outcome = await t.mutation(async (ctx) => {
    const inside = await snapshotIn(ctx);
    let error: string | null = null;
    try {
      await call(ctx);
    } catch (e) {
      error = message(e);
    }
    return { error, unchanged: inside === (await snapshotIn(ctx)) };
  });
  expect(outcome.error, "the call should have been rejected").not.toBeNull();
  expect(outcome.unchanged, `data changed by a rejected call (${outcome.error})`).toBe(true);
  expect(await t.mutation((ctx) => snapshotIn(ctx))).toBe(before);
  return outcome.error!;
}

/** Like `rejected`, for calls that are accepted but must change nothing. */
async function noOp(t: TestConvex, call: (ctx: Ctx) => Promise<unknown>): Promise<unknown> {
  const before = await t.mutation((ctx) => snapshotIn(ctx));
  const value = await t.mutation(call as (ctx: Ctx) => Promise<any>);
  expect(await t.mutation((ctx) => snapshotIn(ctx))).toBe(before);
  return value;
}

type Fixture = {
  t: TestConvex;
  /** Completed: a mutation step, then an event it consumed. */
  done: WorkflowId;
  doneEvent: string;
  /** Running: waiting for event "e1"; `created` is an event made ahead of time for it. */
  running: WorkflowId;
  created: string;
  /** A well-formed id of a workflow that was cleaned up, and of its (deleted) event. */
  gone: WorkflowId;
  goneEvent: string;
  /** The id of a row in an app table. */
  appRow: string;
};

const program = (ops: Program["ops"]): Program => ({ ops });

async function fixture(): Promise<Fixture> {
  const t = initConvexTest();
  const startFlow = (tag: string, p: Program) => t.mutation((ctx) => chaos.start(ctx, flow, { tag, program: p }));
  const done = await startFlow(
    "done",
    program([
      { t: "mutation", key: "m0", catch: false },
      { t: "event", key: "e1", catch: false },
    ]),
  );
  const doneEvent = await t.mutation((ctx) => chaos.sendEvent(ctx, { workflowId: done, name: "e1", value: "hello" }));
  const running = await startFlow("running", program([{ t: "event", key: "e1", catch: false }]));
  const created = await t.mutation((ctx) => chaos.createEvent(ctx, { name: "x", workflowId: running }));
  const gone = await startFlow("gone", program([{ t: "event", key: "e1", catch: false }]));
  const goneEvent = await t.mutation((ctx) => chaos.sendEvent(ctx, { workflowId: gone, name: "e1", value: 1 }));
  await drain(t);
  expect((await t.query((ctx) => chaos.status(ctx, done))).type).toBe("completed");
  expect((await t.query((ctx) => chaos.status(ctx, running))).type).toBe("inProgress");
  expect(await t.mutation((ctx) => chaos.cleanup(ctx, gone))).toBe(true);
  await drain(t);
  const appRow = await t.run((ctx) => ctx.db.insert("chaosFlags", { key: "unrelated" }));
  return { t, done, doneEvent, running, created, gone, goneEvent, appRow };
}

describe("bad input", () => {
  let f: Fixture;
  beforeEach(async () => {
    vi.useFakeTimers();
    f = await fixture();
  });
  afterEach(() => vi.useRealTimers());

  // -------------------------------------------------------------------------------------
  describe("WorkflowManager options and executor setup", () => {
    test.each([0, -1, 1.5, 257, Number.NaN])("executorShards %s", (executorShards) => {
      expect(() => new WorkflowManager(component, { executorShards })).toThrow(
        `executorShards must be a whole number from 1 to 256, got ${executorShards}`,
      );
    });

    test("workflow.action: a duplicate name, and no name", () => {
      const handler = async () => null;
      expect(() => chaosExec.action("chaosExecAction", { args: {}, handler })).toThrow(
        'Executor action "chaosExecAction" is already registered on this WorkflowManager',
      );
      expect(() => chaosExec.action("", { args: {}, handler })).toThrow("workflow.action needs a name");
    });

    test("startExecutors: without executorShards, and without setExecutorRef", async () => {
      expect(await rejected(f.t, (ctx) => chaos.startExecutors(ctx))).toContain("has no `executorShards` option");
      const unwired = new WorkflowManager(component, { executorShards: 2 });
      expect(await rejected(f.t, (ctx) => unwired.startExecutors(ctx))).toContain("call `workflow.setExecutorRef(");
      expect(await f.t.query((ctx) => chaosExec.diagnose(ctx))).toEqual([]);
    });

    test("workpoolOptions.maxParallelism out of range: the manager is refused where it is made", () => {
      expect(() => new WorkflowManager(component, { workpoolOptions: { maxParallelism: 5_000 } })).toThrow(
        "WorkflowManager `workpoolOptions.maxParallelism` must be a whole number from 0 to 200, got 5000",
      );
    });
  });

  // -------------------------------------------------------------------------------------
  describe("start", () => {
    test.each([
      ["a field of the wrong type", { tag: 5, program: { ops: [] } }, /Expected `string`/],
      ["a missing field", { tag: "a" }, /Missing required field `program`/],
      ["an unexpected field", { tag: "a", program: { ops: [] }, extra: 1 }, /Unexpected field `extra`/],
    ])("args with %s: fails in the caller, with and without startAsync", async (_what, args, pattern) => {
      for (const startAsync of [false, true]) {
        expect(await rejected(f.t, (ctx) => start(ctx, flow, args as never, { startAsync }))).toMatch(pattern);
      }
    });

    test("onComplete without context", async () => {
      const error = await rejected(f.t, (ctx) =>
        chaos.start(ctx, flow, { tag: "a", program: program([]) }, {
          onComplete: internal.chaosWorkflows.chaosOnComplete,
        } as never),
      );
      expect(error).toContain("`context` is required when `onComplete` is given");
    });

    test("a reference that is not a workflow", async () => {
      expect(
        await rejected(f.t, (ctx) => chaos.start(ctx, internal.chaosWorkflows.setFlag as never, {} as never)),
      ).toMatch(/Missing required field `key`/);
    });
  });

  describe("the workflow mutation called directly", () => {
    test("handler arguments not nested under `args`", async () => {
      // @ts-expect-error the types reject it too
      expect(await rejected(f.t, (ctx) => ctx.runMutation(flow, { tag: "a", program: { ops: [] } }))).toMatch(
        /Unexpected field `(tag|program)`/,
      );
    });

    test("neither a start nor a replay", async () => {
      // @ts-expect-error the types reject it too
      expect(await rejected(f.t, (ctx) => ctx.runMutation(flow, {}))).toMatch(
        /^Invalid arguments for workflow: .*nest the handler's arguments: \{ args: \{ \.\.\.yourArgs \} \}/,
      );
    });

    test("a replay with a malformed id, or another table's id", async () => {
      for (const id of ["nope", f.created]) {
        // @ts-expect-error a replay's arguments are not in the workflow's public type
        const error = await rejected(f.t, (ctx) => ctx.runMutation(flow, { workflowId: id, generationNumber: 0 }));
        expect(error).toContain(`Expected ID for table "workflows", got \`${id}\``);
      }
    });

    test("a replay with a wrong generation, or of a finished workflow, is a no-op", async () => {
      for (const [id, generationNumber] of [
        [f.running, 7],
        [f.running, -1],
        [f.done, 0],
      ] as const) {
        // @ts-expect-error a replay's arguments are not in the workflow's public type
        expect(await noOp(f.t, (ctx) => ctx.runMutation(flow, { workflowId: id, generationNumber }))).toBe(id);
      }
    });
  });

  // -------------------------------------------------------------------------------------
  // Functions taking a workflow id: malformed, another table's id (component and app), unknown.
  const idCases = (fx: () => Fixture) =>
    [
      ["malformed", "nope", "Invalid workflow ID: nope"],
      ["an event's id", () => fx().created, (id: string) => `Invalid workflow ID: ${id}`],
      ["an app table's id", () => fx().appRow, (id: string) => `Invalid workflow ID: ${id}`],
    ] as const;

  describe.each([
    ["getStatus", (ctx: Ctx, id: string) => getStatus(ctx, component, id as WorkflowId)],
    ["cancel", (ctx: Ctx, id: string) => cancel(ctx, component, id as WorkflowId)],
    ["restart", (ctx: Ctx, id: string) => restart(ctx, component, id as WorkflowId)],
    ["cleanup", (ctx: Ctx, id: string) => cleanup(ctx, component, id as WorkflowId)],
    ["listSteps", (ctx: Ctx, id: string) => listSteps(ctx, component, id as WorkflowId)],
    ["createEvent", (ctx: Ctx, id: string) => createEvent(ctx, component, { name: "x", workflowId: id as WorkflowId })],
    ["notify", (ctx: Ctx, id: string) => notify(ctx, component, id as WorkflowId)],
    [
      "sendEvent by name",
      (ctx: Ctx, id: string) => sendEvent(ctx, component, { workflowId: id as WorkflowId, name: "e1" }),
    ],
  ])("%s with a bad workflow id", (_name, call) => {
    for (const [what, idOf, expected] of idCases(() => f)) {
      test(what, async () => {
        const id = typeof idOf === "function" ? idOf() : idOf;
        const error = await rejected(f.t, (ctx) => call(ctx, id));
        expect(error).toBe(typeof expected === "function" ? expected(id) : expected);
      });
    }
  });

  describe("an unknown (cleaned up) workflow id", () => {
    test.each([
      ["getStatus", (ctx: Ctx, id: WorkflowId) => chaos.status(ctx, id)],
      ["cancel", (ctx: Ctx, id: WorkflowId) => chaos.cancel(ctx, id)],
      ["restart", (ctx: Ctx, id: WorkflowId) => chaos.restart(ctx, id, { from: 0 })],
      ["createEvent", (ctx: Ctx, id: WorkflowId) => chaos.createEvent(ctx, { name: "x", workflowId: id })],
      ["notify", (ctx: Ctx, id: WorkflowId) => chaos.notify(ctx, id)],
      [
        "sendEvent by name",
        (ctx: Ctx, id: WorkflowId) => chaos.sendEvent(ctx, { workflowId: id, name: "e1", value: 1 }),
      ],
    ])("%s: not found, naming the id", async (_name, call) => {
      expect(await rejected(f.t, (ctx) => call(ctx, f.gone))).toBe(`Workflow not found: ${f.gone}`);
    });

    test("cleanup: false; listSteps: an empty page", async () => {
      expect(await noOp(f.t, (ctx) => chaos.cleanup(ctx, f.gone))).toBe(false);
      expect((await f.t.query((ctx) => chaos.listSteps(ctx, f.gone))).page).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------
  describe("wrong state", () => {
    test("cancel of a finished workflow", async () => {
      expect(await rejected(f.t, (ctx) => chaos.cancel(ctx, f.done))).toBe(
        `Workflow not running: ${f.done} already completed`,
      );
    });

    test("restart of a running workflow", async () => {
      expect(await rejected(f.t, (ctx) => chaos.restart(ctx, f.running))).toBe(
        `Workflow is still running: ${f.running}. Only a finished workflow can be restarted.`,
      );
    });

    test("cleanup of a running workflow: false, nothing deleted", async () => {
      expect(await noOp(f.t, (ctx) => chaos.cleanup(ctx, f.running))).toBe(false);
    });
  });

  describe("restart `from`", () => {
    // As in 0.4.8, only negatives are rejected (a fraction is a valid lower bound).
    test.each([-1, -0.5, Number.NEGATIVE_INFINITY])("step number %s", async (from) => {
      expect(await rejected(f.t, (ctx) => chaos.restart(ctx, f.done, { from }))).toBe(
        `Step number cannot be negative: ${from}`,
      );
    });

    test("an unknown step name, and a function the journal never ran", async () => {
      expect(await rejected(f.t, (ctx) => chaos.restart(ctx, f.done, { from: "nope" }))).toBe(
        `Step "nope" not found in workflow ${f.done}`,
      );
      expect(
        await rejected(f.t, (ctx) => chaos.restart(ctx, f.done, { from: internal.chaosWorkflows.chaosAction })),
      ).toBe(`Step "chaosWorkflows:chaosAction" not found in workflow ${f.done}`);
    });
  });

  describe("list, listByName, listSteps options", () => {
    test("an order that is neither asc nor desc", async () => {
      for (const call of [
        (ctx: Ctx) => chaos.list(ctx, { order: "sideways" as never }),
        (ctx: Ctx) => chaos.listByName(ctx, "chaosWorkflows:standardFlow", { order: "sideways" as never }),
        (ctx: Ctx) => chaos.listSteps(ctx, f.done, { order: "sideways" as never }),
      ]) {
        expect(await rejected(f.t, call)).toMatch(/Expected one of .*got `"sideways"`/);
      }
    });

    test("a cursor that is not one", async () => {
      await expect(
        f.t.query((ctx) => chaos.listSteps(ctx, f.done, { paginationOpts: { cursor: "garbage", numItems: 5 } })),
      ).rejects.toThrow(/garbage/);
    });
  });

  describe("timelinePage and counts options", () => {
    test("an order that is neither asc nor desc", async () => {
      const error = await rejected(f.t, (ctx) =>
        chaos.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 5 }, order: "sideways" as never }),
      );
      expect(error).toMatch(/Expected one of .*got `"sideways"`/);
    });

    test("page sizes: numItems over 100 gets 100 workflows; bad sizes are errors; an unknown name counts nothing", async () => {
      const page = await f.t.query((ctx) =>
        chaos.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 1000 }, maxStepsPerWorkflow: 1 }),
      );
      expect(page.page.length).toBeGreaterThan(0);
      expect(page.page.length).toBeLessThanOrEqual(100);
      for (const w of page.page) expect(w.steps.length).toBeLessThanOrEqual(1);
      // Every bound and its error: bounds.test.ts.
      expect(
        await rejected(f.t, (ctx) => chaos.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 100_000 } })),
      ).toBe("paginationOpts.numItems must be a whole number from 1 to 1000; got 100000.");
      expect(
        await rejected(f.t, (ctx) =>
          chaos.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 5 }, maxStepsPerWorkflow: -1 }),
        ),
      ).toBe("maxStepsPerWorkflow must be a whole number from 1 to 500; got -1.");
      expect(await f.t.query((ctx) => chaos.counts(ctx, "no such workflow"))).toEqual({
        total: { running: 0, success: 0, failed: 0, canceled: 0, queued: 0, paused: 0 },
        byName: [],
        continueCursor: "",
        isDone: true,
      });
    });
  });

  // -------------------------------------------------------------------------------------
  describe("sendEvent", () => {
    test("neither an id nor workflowId + name", async () => {
      const expected = "sendEvent needs either an event `id`, or both `workflowId` and `name`";
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { value: 1 } as never))).toBe(expected);
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { workflowId: f.running } as never))).toBe(expected);
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { name: "e1" } as never))).toBe(expected);
    });

    test("an event id that is malformed, another table's, or of a deleted event", async () => {
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { id: "nope" as never }))).toBe(
        "Invalid event ID: nope",
      );
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { id: f.running as never }))).toBe(
        `Invalid event ID: ${f.running}`,
      );
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { id: f.goneEvent as never }))).toBe(
        `Event not found: ${f.goneEvent}`,
      );
    });

    test("an event of another workflow, or under another name", async () => {
      const other = await rejected(f.t, (ctx) =>
        chaos.sendEvent(ctx, { id: f.created as never, workflowId: f.done, name: "x" }),
      );
      expect(other).toBe(
        `Cannot send event ${f.created} ("x") of workflow ${f.running} to workflow ${f.done}: it belongs to another workflow`,
      );
      const renamed = await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { id: f.created as never, name: "y" }));
      expect(renamed).toBe(
        `Cannot send event ${f.created} ("x") of workflow ${f.running} as "y": the event's name is "x"`,
      );
    });

    test("twice: already sent, then already consumed", async () => {
      await f.t.mutation((ctx) => chaos.sendEvent(ctx, { id: f.created as never, value: "first" }));
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { id: f.created as never, value: "second" }))).toBe(
        `Cannot send event ${f.created} ("x") of workflow ${f.running}: it was already sent`,
      );
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { id: f.doneEvent as never, value: "again" }))).toBe(
        `Cannot send event ${f.doneEvent} ("e1") of workflow ${f.done}: it was already consumed`,
      );
    });

    test("after its wait timed out: closed to sends by id", async () => {
      const id = await f.t.mutation((ctx) =>
        chaos.start(ctx, flow, {
          tag: "late",
          program: program([{ t: "event", key: "e1", timeout: 1_000, catch: true }]),
        }),
      );
      await drain(f.t);
      const steps = (await f.t.query((ctx) => chaos.listSteps(ctx, id))).page;
      const eventId = steps[0].kind === "event" ? steps[0].eventId : undefined;
      expect(eventId).toBeDefined();
      expect(await rejected(f.t, (ctx) => chaos.sendEvent(ctx, { id: eventId!, value: 1 }))).toBe(
        `Cannot send event ${eventId} ("e1") of workflow ${id}: the wait for it timed out, so the event is closed`,
      );
    });

    test("a value its validator rejects: nothing is sent", async () => {
      const error = await rejected(f.t, (ctx) =>
        chaos.sendEvent(ctx, { workflowId: f.running, name: "e1", validator: v.number(), value: "ten" as never }),
      );
      expect(error).toMatch(/Expected `number`/);
      expect((await f.t.query((ctx) => chaos.status(ctx, f.running))).type).toBe("inProgress");
    });

    test("an oversized value: the awaiting step fails, catchably, naming the limit", async () => {
      const id = await f.t.mutation((ctx) =>
        chaos.start(ctx, flow, { tag: "big", program: program([{ t: "event", key: "e1", catch: true }]) }),
      );
      await f.t.mutation((ctx) => chaos.sendEvent(ctx, { workflowId: id, name: "e1", value: "x".repeat(900 << 10) }));
      await drain(f.t);
      const status = await f.t.query((ctx) => chaos.status(ctx, id));
      expect(status).toMatchObject({ type: "completed" });
      const caught = (status as { result: Array<{ caught?: string }> }).result[0].caught;
      expect(caught).toMatch(/^Step return value too large \(\d+ bytes\)\. Maximum is 819200 bytes\./);
    });
  });

  // -------------------------------------------------------------------------------------
  describe("step calls in a handler", () => {
    type Special =
      | "resultTooLarge"
      | "childBadArgs"
      | "awaitEventById"
      | "retryNonsense"
      | "runAfterNaN"
      | "runAtString"
      | "nameNotString";
    const expected: Record<Exclude<ProbeCall, Special>, string | RegExp> = {
      sleepTooLong:
        "step.sleep `duration` must be a finite number of milliseconds, at most 126144000000 (4 years) (a negative delay runs at once), got 126144000001",
      sleepNaN:
        "step.sleep `duration` must be a finite number of milliseconds, at most 126144000000 (4 years) (a negative delay runs at once), got NaN",
      awaitTimeoutZero:
        "awaitEvent `timeout` must be a finite number of milliseconds from 1 to 126144000000 (4 years), got 0",
      awaitTimeoutString:
        'awaitEvent `timeout` must be a finite number of milliseconds from 1 to 126144000000 (4 years), got "10"',
      waitTimeoutNegative:
        "waitUntil `timeout` must be a finite number of milliseconds from 1 to 126144000000 (4 years), got -1",
      waitPollTooSmall:
        "waitUntil `pollInterval` must be a finite number of milliseconds from 100 to 126144000000 (4 years), got 50",
      waitMaxBelowPoll: "waitUntil `maxPollInterval` (1000 ms) must not be less than `pollInterval` (5000 ms)",
      inlineRunAfter: "Cannot combine `inline` with `runAt` or `runAfter`.",
      inlineRunAt: "Cannot combine `inline` with `runAt` or `runAfter`.",
      inlineAction: "Cannot run an action inline.",
      limitsWithoutInline: "Cannot set transaction limits for non-inline functions.",
      argsTooLarge: /^Step arguments too large \(\d+ bytes\)\. Maximum is 819200 bytes\.$/,
      childArgsTooLarge: /^Step arguments too large \(\d+ bytes\)\. Maximum is 819200 bytes\.$/,
    };

    async function probe(call: ProbeCall, eventId?: string) {
      const id = await f.t.mutation((ctx) => chaos.start(ctx, internal.chaosWorkflows.probe, { call, eventId }));
      await drain(f.t);
      const status = await f.t.query((ctx) => chaos.status(ctx, id));
      const steps = (await f.t.query((ctx) => chaos.listSteps(ctx, id))).page;
      return { id, status, steps };
    }

    test("every probe call is covered", () => {
      const special: Special[] = [
        "resultTooLarge",
        "childBadArgs",
        "awaitEventById",
        "retryNonsense",
        "runAfterNaN",
        "runAtString",
        "nameNotString",
      ];
      expect([...Object.keys(expected), ...special].sort()).toEqual([...PROBE_CALLS].sort());
    });

    for (const [call, error] of Object.entries(expected)) {
      test(`${call}: rejected before anything is journaled`, async () => {
        const { status, steps } = await probe(call as ProbeCall);
        expect(status.type).toBe("completed");
        const got = (status as { result: { error?: string } }).result.error;
        if (typeof error === "string") expect(got).toBe(error);
        else expect(got).toMatch(error);
        expect(steps).toEqual([]);
        const effects = (await f.t.query(internal.chaosWorkflows.snapshot, {})).effects as Array<{ key: string }>;
        expect(effects.filter((e) => e.key.startsWith("probe/"))).toEqual([]);
      });
    }

    test("resultTooLarge: the step fails, catchably, naming the limit", async () => {
      const { status, steps } = await probe("resultTooLarge");
      expect((status as { result: { error: string } }).result.error).toMatch(
        /^Step return value too large \(\d+ bytes\)\. Maximum is 819200 bytes\. Preview: "xxx/,
      );
      expect(steps.map((s) => [s.name, s.runResult?.kind])).toEqual([["chaosWorkflows:chaosBig", "failed"]]);
    });

    test("childBadArgs: the child fails its argument validation, naming the field; the parent can catch it", async () => {
      const { status, steps } = await probe("childBadArgs");
      expect((status as { result: { error: string } }).result.error).toMatch(/tag.*Expected `string`, got `number`/);
      expect(steps.map((s) => [s.kind, s.runResult?.kind])).toEqual([["workflow", "failed"]]);
    });

    test("awaitEventById with another workflow's event: the workflow fails naming both; the event is untouched", async () => {
      const { id, status, steps } = await probe("awaitEventById", f.created);
      expect(status.type).toBe("failed");
      expect((status as { error: string }).error.split("\n")[0]).toBe(
        `Cannot await event ${f.created} ("x") of workflow ${f.running} from workflow ${id}: it belongs to another workflow`,
      );
      expect(steps).toEqual([]);
      // Still usable by its own workflow's sender.
      await f.t.mutation((ctx) => chaos.sendEvent(ctx, { id: f.created as never, value: "still mine" }));
    });

    test("awaitEventById with a malformed or deleted id: the workflow fails naming it", async () => {
      for (const [eventId, text] of [
        ["nope", "Invalid event ID: nope"],
        [f.goneEvent, `Event not found: ${f.goneEvent}`],
      ]) {
        const { id, status, steps } = await probe("awaitEventById", eventId);
        expect(status.type).toBe("failed");
        expect((status as { error: string }).error.split("\n")[0]).toBe(
          `${text} (awaited as "${eventId}" by workflow ${id})`,
        );
        expect(steps).toEqual([]);
      }
    });

    // Options the step API does not check yet: today a bad `runAfter`, `runAt` or `name`
    // fails the whole workflow from inside `startSteps` with an error that does not name the
    // option (e.g. "The number NaN cannot be converted to a BigInt"), and a nonsensical
    // `retry` is accepted. Like the other option checks, they should reject the step call
    // itself (catchable, nothing journaled) with a message naming the option.
    test.each([
      ["runAfterNaN", /runAfter/],
      ["runAtString", /runAt/],
      ["nameNotString", /name/],
      ["retryNonsense", /retry.*maxAttempts|maxAttempts.*retry/],
    ] as const)("%s: rejected at the step call, naming the option", async (call, pattern) => {
      const { status, steps } = await probe(call);
      expect(status.type, JSON.stringify(status).slice(0, 300)).toBe("completed");
      expect((status as { result: { error?: string } }).result.error).toMatch(pattern);
      expect(steps).toEqual([]);
    });

    test("a return value its `returns` validator rejects", async () => {
      const id = await f.t.mutation((ctx) => chaos.start(ctx, internal.chaosWorkflows.probeReturns, {}));
      expect(await f.t.query((ctx) => chaos.status(ctx, id))).toEqual({
        type: "failed",
        error: "Invalid return value: Validator error: Expected `number`, got `string`",
      });
    });
  });

  // =====================================================================================
  // Numeric options by class (issue 11): every numeric option x {NaN, +-Infinity, negative,
  // fraction, huge}, on every path where options enter: a step call, `step.withOptions`, a
  // definition, a manager, the executor, `utils:updateConfig` and the component's
  // `startSteps`. A rejection names the option and its range and writes nothing; an
  // unrelated workflow (`bystander`) still completes: the blast radius.
  describe("numeric options by class", () => {
    const FOUR_YEARS = "126144000000 (4 years)";
    /**
     * The classes, for an option whose smallest allowed value is `min` (`-Infinity` for a delay
     * or time, where a negative or past value runs at once, as in 0.4.8).
     */
    const classes = (min: number, fractions: boolean) =>
      [
        ["NaN", Number.NaN, false],
        ["Infinity", Number.POSITIVE_INFINITY, false],
        ["-Infinity", Number.NEGATIVE_INFINITY, false],
        ["negative", -1, min === -Infinity],
        ["fraction", (Number.isFinite(min) ? min : 0) + 0.5, fractions],
        ["huge", 1e300, false],
      ] as const;
    const shown = (value: number) => String(value);
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    /** The start of every rejection: the option's name, then its range. */
    const refusal = (label: string, range: string, value: number) =>
      new RegExp(`^${escape(label)} must be ${escape(range)}, got ${escape(shown(value))}$`);

    // [option, label in messages, range in messages, min, fractions allowed]
    const ms = (min: number) => `a finite number of milliseconds from ${min} to ${FOUR_YEARS}`;
    const DELAY = `a finite number of milliseconds, at most ${FOUR_YEARS} (a negative delay runs at once)`;
    const stepOptions: Array<[string, string, string, number, boolean]> = [
      ["runAfter", "Step option `runAfter`", DELAY, -Infinity, true],
      ["runAt", "Step option `runAt`", "a time in ms since the epoch, at most now + ", -Infinity, true],
      ["sleep", "step.sleep `duration`", DELAY, -Infinity, true],
      ["awaitEvent.timeout", "awaitEvent `timeout`", ms(1), 1, true],
      ["waitUntil.timeout", "waitUntil `timeout`", ms(1), 1, true],
      ["waitUntil.pollInterval", "waitUntil `pollInterval`", ms(100), 100, true],
      ["waitUntil.maxPollInterval", "waitUntil `maxPollInterval`", ms(100), 100, true],
      ["retry.maxAttempts", "Step option `retry.maxAttempts`", "a whole number from 1 to 1000", 1, false],
      ["retry.initialBackoffMs", "Step option `retry.initialBackoffMs`", ms(0), 0, true],
      ["retry.base", "Step option `retry.base`", "a finite number from 1 to 100", 1, true],
      [
        "withOptions.retry.maxAttempts",
        "step.withOptions `retry.maxAttempts`",
        "a whole number from 1 to 1000",
        1,
        false,
      ],
      ["withOptions.retry.initialBackoffMs", "step.withOptions `retry.initialBackoffMs`", ms(0), 0, true],
      ["withOptions.retry.base", "step.withOptions `retry.base`", "a finite number from 1 to 100", 1, true],
    ];

    test("the table covers every step option the probe knows", () => {
      expect(stepOptions.map(([o]) => o).sort()).toEqual([...STEP_OPTIONS].sort());
    });

    test.each(stepOptions)(
      "step call, %s: refused at the call, nothing journaled",
      async (option, label, range, min, fractions) => {
        const t = f.t;
        const cases = classes(min, fractions);
        const ids: WorkflowId[] = [];
        for (const [, value] of cases) {
          ids.push(await t.mutation((ctx) => probes.start(ctx, internal.optionProbes.optionProbe, { option, value })));
        }
        const bystander = await t.mutation((ctx) => probes.start(ctx, internal.optionProbes.bystander, {}));
        await drain(t);
        for (const [i, [what, value, accepted]] of cases.entries()) {
          const status = await t.query((ctx) => probes.status(ctx, ids[i]));
          expect(status.type, `${option} ${what}`).toBe("completed");
          const error = (status as { result: { error?: string } }).result.error ?? "";
          const steps = (await t.query((ctx) => probes.listSteps(ctx, ids[i]))).page;
          if (accepted) {
            expect(error.startsWith(label), `${option} ${what}: ${error}`).toBe(false);
            expect(steps.length, `${option} ${what}`).toBeGreaterThan(0);
          } else {
            const pattern =
              option === "runAt"
                ? new RegExp(
                    `^${escape(label)} must be ${escape(range)}${escape(FOUR_YEARS)} \\(\\d+; a past time runs at once\\), got ${escape(shown(value))}$`,
                  )
                : refusal(label, range, value);
            expect(error, `${option} ${what}`).toMatch(pattern);
            expect(steps, `${option} ${what}`).toEqual([]);
          }
        }
        await bystanderCompletes(t, bystander);
      },
    );

    test("reproduction: retry { initialBackoffMs: Infinity or 1e300 } on a failing action is refused; the shared workpool keeps running", async () => {
      const t = f.t;
      const ids: WorkflowId[] = [];
      for (const initialBackoffMs of [Number.POSITIVE_INFINITY, 1e300]) {
        const value = { maxAttempts: 3, initialBackoffMs, base: 2 };
        ids.push(
          await t.mutation((ctx) =>
            probes.start(ctx, internal.optionProbes.optionProbe, { option: "retryFailing", value }),
          ),
        );
      }
      // Finite fields whose longest wait overflows the bound are refused too.
      const overflow = { maxAttempts: 100, initialBackoffMs: 1_000, base: 100 };
      ids.push(
        await t.mutation((ctx) =>
          probes.start(ctx, internal.optionProbes.optionProbe, { option: "retryFailing", value: overflow }),
        ),
      );
      const bystander = await t.mutation((ctx) => probes.start(ctx, internal.optionProbes.bystander, {}));
      await drain(t);
      const errors: Array<{ result: { error: string } }> = [];
      for (const id of ids)
        errors.push(
          (await t.query((ctx) => probes.status(ctx, id))) as { type: "completed"; result: { error: string } },
        );
      expect(errors[0].result.error).toBe(
        `Step option \`retry.initialBackoffMs\` must be a finite number of milliseconds from 0 to ${FOUR_YEARS}, got Infinity`,
      );
      expect(errors[1].result.error).toMatch(/^Step option `retry.initialBackoffMs` must be .* got 1e\+300$/);
      expect(errors[2].result.error).toMatch(
        /^Step option `retry`: the longest wait between attempts, initialBackoffMs \* base \*\* \(maxAttempts - 2\) = 1000 \* 100 \*\* 98 = .* must be at most 1000000000000000 ms \(about 31,700 years\)\./,
      );
      await bystanderCompletes(t, bystander);
      // A valid policy on the same failing action still retries and fails normally.
      const ok = await t.mutation((ctx) =>
        probes.start(ctx, internal.optionProbes.optionProbe, {
          option: "retryFailing",
          value: { maxAttempts: 2, initialBackoffMs: 10, base: 2 },
        }),
      );
      await drain(t);
      expect(await t.query((ctx) => probes.status(ctx, ok))).toEqual({
        type: "completed",
        result: { error: "fails on purpose" },
      });
    });

    test("drop-in: long 0.4.8 retry policies and negative delays are accepted", async () => {
      const t = f.t;
      // 30 attempts doubling from 1 s: the last wait is about 8.5 years, within the bound.
      const long = await t.mutation((ctx) =>
        probes.start(ctx, internal.optionProbes.optionProbe, {
          option: "retry",
          value: { maxAttempts: 30, initialBackoffMs: 1_000, base: 2 },
        }),
      );
      // A negative sleep, runAfter or past runAt runs at once, as in 0.4.8.
      const negative = [];
      for (const option of ["sleep", "runAfter", "runAt"]) {
        negative.push(
          await t.mutation((ctx) => probes.start(ctx, internal.optionProbes.optionProbe, { option, value: -5_000 })),
        );
      }
      await drain(t);
      for (const id of [long, ...negative]) {
        const status = await t.query((ctx) => probes.status(ctx, id));
        expect(status.type).toBe("completed");
        expect((status as { result: { error?: string } }).result.error).toBeUndefined();
        expect((await t.query((ctx) => probes.listSteps(ctx, id))).page.length).toBeGreaterThan(0);
      }
    });

    test("reproduction: withOptions policies are checked (maxAttempts 0, negative backoff, base 0)", async () => {
      const t = f.t;
      const values = [
        { maxAttempts: 0, initialBackoffMs: 10, base: 2 },
        { maxAttempts: 2, initialBackoffMs: -5, base: 2 },
        { maxAttempts: 2, initialBackoffMs: 10, base: 0 },
        "often",
      ];
      const ids: WorkflowId[] = [];
      for (const value of values) {
        ids.push(
          await t.mutation((ctx) =>
            probes.start(ctx, internal.optionProbes.optionProbe, { option: "withOptions.retry", value }),
          ),
        );
      }
      const bystander = await t.mutation((ctx) => probes.start(ctx, internal.optionProbes.bystander, {}));
      await drain(t);
      const errors = [];
      for (const id of ids) {
        errors.push(((await t.query((ctx) => probes.status(ctx, id))) as { result: { error: string } }).result.error);
        expect((await t.query((ctx) => probes.listSteps(ctx, id))).page).toEqual([]);
      }
      expect(errors).toEqual([
        "step.withOptions `retry.maxAttempts` must be a whole number from 1 to 1000, got 0",
        `step.withOptions \`retry.initialBackoffMs\` must be a finite number of milliseconds from 0 to ${FOUR_YEARS}, got -5`,
        "step.withOptions `retry.base` must be a finite number from 1 to 100, got 0",
        'step.withOptions `retry` must be true, false or { maxAttempts, initialBackoffMs, base }, got "often"',
      ]);
      await bystanderCompletes(t, bystander);
    });

    test('reproduction: awaitEvent({ name: "" }) is refused at the call instead of waiting forever', async () => {
      const t = f.t;
      const id = await t.mutation((ctx) =>
        probes.start(ctx, internal.optionProbes.optionProbe, { option: "awaitEvent.name", value: "" }),
      );
      const bystander = await t.mutation((ctx) => probes.start(ctx, internal.optionProbes.bystander, {}));
      await drain(t);
      expect(await t.query((ctx) => probes.status(ctx, id))).toEqual({
        type: "completed",
        result: { error: 'awaitEvent event `name` must be a non-empty string, got ""' },
      });
      expect((await t.query((ctx) => probes.listSteps(ctx, id))).page).toEqual([]);
      await bystanderCompletes(t, bystander);
    });

    // -----------------------------------------------------------------------------------
    // Options given where a manager, a definition or an executor is made: refused there
    // (when the module loads, so a deploy fails), before any workflow runs.
    const retryFields: Array<[string, number, boolean, string]> = [
      ["maxAttempts", 1, false, "a whole number from 1 to 1000"],
      ["initialBackoffMs", 0, true, ms(0)],
      ["base", 1, true, "a finite number from 1 to 100"],
    ];
    const okRetry = { maxAttempts: 2, initialBackoffMs: 10, base: 2 };
    const executorTime = (min: number) => `a finite number of milliseconds from ${min} to 540000 (9 min)`;
    // [label path, options for the value, min, fractions, range]
    const madeWith: Array<[string, string, (value: number) => () => unknown, number, boolean, string]> = [
      [
        "manager",
        "WorkflowManager `workpoolOptions.maxParallelism`",
        (value) => () => new WorkflowManager(component, { workpoolOptions: { maxParallelism: value } }),
        0,
        false,
        "a whole number from 0 to 200",
      ],
      ...retryFields.map(
        ([field, min, fractions, range]) =>
          [
            "manager",
            `WorkflowManager \`workpoolOptions.defaultRetryBehavior.${field}\``,
            (value: number) => () =>
              new WorkflowManager(component, {
                workpoolOptions: { defaultRetryBehavior: { ...okRetry, [field]: value } },
              }),
            min,
            fractions,
            range,
          ] as [string, string, (value: number) => () => unknown, number, boolean, string],
      ),
      [
        "manager",
        "executorShards",
        (value) => () => new WorkflowManager(component, { executorShards: value }),
        1,
        false,
        "a whole number from 1 to 256",
      ],
      [
        "definition",
        "workflow.define `workpoolOptions.maxParallelism`",
        (value) => () =>
          chaos.define({ args: {}, workpoolOptions: { maxParallelism: value } as never, handler: async () => null }),
        0,
        false,
        "a whole number from 0 to 200",
      ],
      ...retryFields.map(
        ([field, min, fractions, range]) =>
          [
            "definition",
            `workflow.define \`workpoolOptions.defaultRetryBehavior.${field}\``,
            (value: number) => () =>
              chaos.define({
                args: {},
                workpoolOptions: { defaultRetryBehavior: { ...okRetry, [field]: value } },
                handler: async () => null,
              }),
            min,
            fractions,
            range,
          ] as [string, string, (value: number) => () => unknown, number, boolean, string],
      ),
      ...(
        [
          ["concurrency", "a whole number from 1 to 500"],
          ["flushMaxCount", "a whole number from 1 to 1000"],
          ["flushMaxBytes", "a whole number from 1 to 8388608"],
        ] as const
      ).flatMap(([key, range]) => [
        [
          "manager",
          `WorkflowManager \`executor.${key}\``,
          (value: number) => () => new WorkflowManager(component, { executor: { [key]: value } }),
          1,
          false,
          range,
        ] as [string, string, (value: number) => () => unknown, number, boolean, string],
        [
          "executor",
          `workflow.executor() \`${key}\``,
          (value: number) => () => chaosExec.executor({ [key]: value }),
          1,
          false,
          range,
        ] as [string, string, (value: number) => () => unknown, number, boolean, string],
      ]),
      ...(
        [
          ["flushIntervalMs", 0],
          ["claimIntervalMs", 10],
          ["idleClaimIntervalMs", 0],
          ["idleExitMs", 0],
          ["handoffAfterMs", 0],
          ["rateLimitBackoffMs", 0],
          ["rateLimitMaxBackoffMs", 0],
        ] as const
      ).flatMap(([key, min]) => [
        [
          "manager",
          `WorkflowManager \`executor.${key}\``,
          (value: number) => () => new WorkflowManager(component, { executor: { [key]: value } }),
          min,
          true,
          executorTime(min),
        ] as [string, string, (value: number) => () => unknown, number, boolean, string],
        [
          "executor",
          `workflow.executor() \`${key}\``,
          (value: number) => () => chaosExec.executor({ [key]: value }),
          min,
          true,
          executorTime(min),
        ] as [string, string, (value: number) => () => unknown, number, boolean, string],
      ]),
    ];

    test.each(madeWith)("%s: %s", (_where, label, make, min, fractions, range) => {
      for (const [what, value, accepted] of classes(min, fractions)) {
        if (accepted) expect(make(value), `${label} ${what}`).not.toThrow();
        else expect(make(value), `${label} ${what}`).toThrow(refusal(label, range, value));
      }
    });

    test("reproduction: maxParallelism 201 to 1000 is refused everywhere it enters (the workpool's maximum is 200)", async () => {
      for (const value of [201, 1000]) {
        expect(() => new WorkflowManager(component, { workpoolOptions: { maxParallelism: value } })).toThrow(
          `WorkflowManager \`workpoolOptions.maxParallelism\` must be a whole number from 0 to 200, got ${value}`,
        );
        expect(await rejected(f.t, (ctx) => ctx.runMutation(updateConfig, { maxParallelism: value }))).toBe(
          `maxParallelism must be a whole number from 0 to 200, got ${value}`,
        );
      }
      expect(() => new WorkflowManager(component, { workpoolOptions: { maxParallelism: 200 } })).not.toThrow();
      await runningStillCompletes(f);
    });

    test("utils:updateConfig maxParallelism by class: refused, naming the range; nothing written", async () => {
      for (const [what, value] of classes(0, false)) {
        expect(await rejected(f.t, (ctx) => ctx.runMutation(updateConfig, { maxParallelism: value })), what).toBe(
          `maxParallelism must be a whole number from 0 to 200, got ${shown(value)}`,
        );
      }
      await runningStillCompletes(f);
    });

    test("the component's startSteps refuses what a client that skipped the checks sends; the workflow keeps running", async () => {
      const now = Date.now();
      const sleep = { kind: "sleep" as const, name: "sleep", inProgress: true, args: {}, argsSize: 0, queuedAt: now };
      const action = {
        kind: "function" as const,
        functionType: "action" as const,
        handle: "function://;optionProbes:succeeds",
        name: "optionProbes:succeeds",
        inProgress: true,
        args: {},
        argsSize: 0,
        queuedAt: now,
      };
      const send = (request: Record<string, unknown>, workpoolOptions?: Record<string, unknown>) => (ctx: Ctx) =>
        ctx.runMutation(component.journal.startSteps, {
          workflowId: f.running,
          generationNumber: 0,
          steps: [request as never],
          workpoolOptions,
        });
      const cases: Array<[ReturnType<typeof send>, RegExp]> = [
        [
          send({ step: sleep, schedulerOptions: { runAfter: Number.POSITIVE_INFINITY } }),
          /^Step option `runAfter` must be .* got Infinity$/,
        ],
        [send({ step: sleep, schedulerOptions: { runAt: 1e300 } }), /^Step option `runAt` must be .* got 1e\+300$/],
        [
          send({ step: action, retry: { maxAttempts: 2, initialBackoffMs: Number.POSITIVE_INFINITY, base: 2 } }),
          /^Step option `retry.initialBackoffMs` must be/,
        ],
        [
          send({ step: action, retry: { maxAttempts: 2, initialBackoffMs: 10, base: Number.NaN } }),
          /^Step option `retry.base` must be .* got NaN$/,
        ],
        [
          send({ step: action }, { maxParallelism: 500 }),
          /^startSteps `workpoolOptions.maxParallelism` must be a whole number from 0 to 200, got 500$/,
        ],
        [
          send({ step: action }, { defaultRetryBehavior: { maxAttempts: 1.5, initialBackoffMs: 10, base: 2 } }),
          /^startSteps `workpoolOptions.defaultRetryBehavior.maxAttempts` must be/,
        ],
      ];
      for (const [call, pattern] of cases) expect(await rejected(f.t, call)).toMatch(pattern);
      await runningStillCompletes(f);
    });

    // -----------------------------------------------------------------------------------
    test("reproduction: onComplete that is not a function handle is refused at start, by the workflow mutation and the component", async () => {
      const args = { tag: "a", program: program([]) };
      expect(
        await rejected(f.t, (ctx) =>
          ctx.runMutation(flow, { args, onComplete: "not a handle" as never, context: null }),
        ),
      ).toBe(
        'onComplete must be a function handle of a mutation (from createFunctionHandle, starting with "function://"), got "not a handle"',
      );
      const create = (ctx: Ctx) =>
        ctx.runMutation(component.workflow.create, {
          workflowName: "chaosWorkflows:standardFlow",
          workflowHandle: "function://;chaosWorkflows:standardFlow",
          workflowArgs: args,
          onComplete: { fnHandle: "chaosWorkflows:chaosOnComplete", context: null },
          startAsync: true,
        });
      expect(await rejected(f.t, create)).toMatch(
        /^onComplete must be a function handle of a mutation .* got "chaosWorkflows:chaosOnComplete"$/,
      );
      await runningStillCompletes(f);
    });
  });

  // =====================================================================================
  describe("sizes at the call, and stored errors", () => {
    test("workflow arguments over 800 KiB: refused at start, nothing created", async () => {
      const error = await rejected(f.t, (ctx) =>
        chaos.start(ctx, flow, { tag: "x".repeat(900 << 10), program: program([]) }),
      );
      expect(error).toMatch(/^Workflow arguments too large \(\d+ bytes\)\. Maximum is 819200 bytes\.$/);
      await runningStillCompletes(f);
    });

    test("an onComplete context over 64 KiB: refused at start, nothing created", async () => {
      const error = await rejected(f.t, (ctx) =>
        chaos.start(
          ctx,
          flow,
          { tag: "a", program: program([]) },
          { onComplete: internal.chaosWorkflows.chaosOnComplete, context: "x".repeat(100_000) },
        ),
      );
      expect(error).toMatch(/^onComplete `context` too large \(\d+ bytes\)\. Maximum is 65536 bytes\.$/);
      await runningStillCompletes(f);
    });

    test("sendEvent with an error over 64 Ki characters: refused, nothing sent; the waiting workflow carries on", async () => {
      expect(
        await rejected(f.t, (ctx) =>
          chaos.sendEvent(ctx, { workflowId: f.running, name: "e1", error: "e".repeat(70_000) }),
        ),
      ).toBe("sendEvent `error` too long (70000 characters). Maximum is 65536 characters.");
      await runningStillCompletes(f);
    });

    test("a step failing with a 200 KB error: stored cut to 64 Ki characters; a handler's throw is stored once and cut too", async () => {
      const t = f.t;
      const failing = await t.mutation((ctx) =>
        probes.start(ctx, internal.optionProbes.stepFailsLong, { length: 200_000 }),
      );
      const thrownLong = await t.mutation((ctx) =>
        probes.start(ctx, internal.optionProbes.throwsLong, { length: 200_000 }),
      );
      const thrownShort = await t.mutation((ctx) =>
        probes.start(ctx, internal.optionProbes.throwsLong, { length: 10 }),
      );
      const bystander = await t.mutation((ctx) => probes.start(ctx, internal.optionProbes.bystander, {}));
      await drain(t);
      const caught = (await t.query((ctx) => probes.status(ctx, failing))) as { result: number };
      expect(caught.result).toBeLessThanOrEqual(65_536);
      expect(caught.result).toBeGreaterThan(60_000);
      const long = (await t.query((ctx) => probes.status(ctx, thrownLong))) as { type: string; error: string };
      expect(long.type).toBe("failed");
      expect(long.error.length).toBeLessThanOrEqual(65_536);
      expect(long.error).toMatch(/^Error: boom x+/);
      expect(long.error).toContain("characters cut: errors are stored up to 65536 characters");
      const short = (await t.query((ctx) => probes.status(ctx, thrownShort))) as { type: string; error: string };
      expect(short.error.split("\n")[0]).toBe(`Error: boom ${"x".repeat(10)}`);
      expect(short.error.split(`boom ${"x".repeat(10)}`).length - 1, short.error).toBe(1);
      await bystanderCompletes(t, bystander);
    });
  });
});
