// The bad-input catalogue, by class: every id argument × {malformed, another table's id, an id
// of another workflow, a deleted one}, and every function × every wrong state, through the
// public API (standalone functions, the app's WorkflowManager, and the component's functions
// an app can reach as `components.workflow.*`). Numeric options and oversized values are in
// badInput.test.ts.
//
// Each case asserts what the caller gets — an error naming the id and what it should have
// been, or the documented (0.4.8) behaviour — and, for a call that is refused or a no-op, that
// nothing changed: every table of the component and of its workpool (scheduled functions
// included) and the app's tables are compared before and after. The call runs in a mutation
// that catches its error and commits, so a write made before a throw would show.
//
// Blast radius: every case starts an unrelated workflow (example.ts's `greeting`) before the
// bad calls and asserts it completes afterwards.
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import workpoolTest from "@convex-dev/workpool/test";
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import {
  cancel,
  cleanup,
  createEvent,
  getStatus,
  list,
  listByName,
  listSteps,
  notify,
  restart,
  sendEvent,
  timelinePage,
  type WorkflowId,
} from "convex-workflow";
import workflowTest from "convex-workflow/test";
import { components, internal } from "./_generated/api.js";
import type { DataModel } from "./_generated/dataModel.js";
import { workflow } from "./example.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

type Ctx = GenericMutationCtx<DataModel>;
const c = components.workflow;
const flows = internal.badInputWorkflows;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** The arguments of a replay of the workflow mutation (not part of its public type). */
const replayArgs = (workflowId: string, generationNumber: number) => ({ workflowId, generationNumber }) as never;
/** A stored workflow error's first line (the rest is the stack). */
const firstLine = (error: string) => error.split("\n")[0];

// -------------------------------------------------------------------------------------------
// Snapshots of everything a call could change.

type AnyCtx = GenericMutationCtx<GenericDataModel>;
type RunInComponent = (path: string, handler: (ctx: AnyCtx) => Promise<unknown>) => Promise<unknown>;
/** The component's and its workpool's tables: the app cannot read them, convex-test can. */
const SNAPSHOTTED: Array<[string, string[]]> = [
  ["workflow", Object.keys(workflowTest.schema.tables)],
  ["workflow/workpool", Object.keys(workpoolTest.schema.tables)],
];

async function snapshot(t: TestConvex): Promise<string> {
  const runInComponent = (t as unknown as { runInComponent?: RunInComponent }).runInComponent;
  if (typeof runInComponent !== "function") throw new Error("convex-test has no runInComponent: snapshot another way");
  const parts: Record<string, unknown> = {};
  for (const [path, tables] of SNAPSHOTTED) {
    parts[path] = await runInComponent(path, async (ctx) => {
      const rows: Record<string, unknown> = {};
      for (const table of tables) rows[table] = await ctx.db.query(table).collect();
      const scheduled = await ctx.db.system.query("_scheduled_functions").collect();
      rows._scheduled_functions = scheduled.filter((job) => job.state.kind === "pending");
      return rows;
    });
  }
  parts.app = await t.run(async (ctx) => ({
    effects: await ctx.db.query("effects").collect(),
    completions: await ctx.db.query("completions").collect(),
  }));
  // The workpool keeps some counters as BigInt.
  return JSON.stringify(parts, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));
}

/** The call throws; nothing changed. Returns the error message. */
async function rejected(t: TestConvex, call: (ctx: Ctx) => Promise<unknown>): Promise<string> {
  const before = await snapshot(t);
  const error = await t.mutation(async (ctx) => {
    try {
      await call(ctx);
    } catch (e) {
      return message(e);
    }
    return null;
  });
  expect(error, "the call should have been refused").not.toBeNull();
  expect(await snapshot(t), `data changed by a refused call (${error})`).toBe(before);
  return error!;
}

/** The call succeeds and changes nothing. Returns its value. */
async function noOp<T>(t: TestConvex, call: (ctx: Ctx) => Promise<T>): Promise<T> {
  const before = await snapshot(t);
  const value = await t.mutation(call as (ctx: Ctx) => Promise<any>);
  expect(await snapshot(t), "data changed by a no-op call").toBe(before);
  return value as T;
}

// -------------------------------------------------------------------------------------------
// The fixture: one backend shared by a describe, workflows in every state.

type Fixture = {
  t: TestConvex;
  /** Running, waiting for "go" then "go2"; `createdA` is an unsent event of it ("x"). */
  a: WorkflowId;
  createdA: string;
  stepOfA: string;
  /** Running, waiting for "go"; `createdB` is an unsent event of it ("y"). */
  b: WorkflowId;
  createdB: string;
  /** Completed (consumed `doneEvent`), failed (sent an error), canceled. */
  done: WorkflowId;
  doneEvent: string;
  failed: WorkflowId;
  canceled: WorkflowId;
  /** Cleaned up: well-formed ids of a workflow, its event and its step that no longer exist. */
  gone: WorkflowId;
  goneEvent: string;
  goneStep: string;
  /** A row of an app table. */
  appRow: string;
};

async function startWaiter(t: TestConvex, names: string[], firstTimeout?: number): Promise<WorkflowId> {
  return await t.mutation((ctx) => workflow.start(ctx, flows.waitFor, { names, firstTimeout }));
}

const status = (t: TestConvex, id: WorkflowId) => t.query((ctx) => workflow.status(ctx, id));
const steps = async (t: TestConvex, id: WorkflowId) => (await t.query((ctx) => listSteps(ctx, c, id))).page;

async function fixture(): Promise<Fixture> {
  const t = initConvexTest();
  const a = await startWaiter(t, ["go", "go2"]);
  const createdA = await t.mutation((ctx) => createEvent(ctx, c, { name: "x", workflowId: a }));
  const b = await startWaiter(t, ["go"]);
  const createdB = await t.mutation((ctx) => createEvent(ctx, c, { name: "y", workflowId: b }));
  const done = await startWaiter(t, ["go"]);
  const doneEvent = await t.mutation((ctx) => sendEvent(ctx, c, { workflowId: done, name: "go", value: "hi" }));
  const failed = await startWaiter(t, ["go"]);
  await t.mutation((ctx) => sendEvent(ctx, c, { workflowId: failed, name: "go", error: "sent an error" }));
  const canceled = await startWaiter(t, ["go"]);
  await t.mutation((ctx) => cancel(ctx, c, canceled));
  const gone = await startWaiter(t, ["go"]);
  const goneEvent = await t.mutation((ctx) => sendEvent(ctx, c, { workflowId: gone, name: "go", value: 1 }));
  await drain(t);
  const goneStep = (await steps(t, gone))[0].stepId;
  expect(await t.mutation((ctx) => cleanup(ctx, c, gone))).toBe(true);
  await drain(t);
  const appRow = await t.run((ctx) => ctx.db.insert("effects", { key: "unrelated" }));
  const fx = {
    t,
    a,
    createdA,
    stepOfA: (await steps(t, a))[0].stepId,
    b,
    createdB,
    done,
    doneEvent,
    failed,
    canceled,
    gone,
    goneEvent,
    goneStep,
    appRow,
  };
  expect((await status(t, a)).type).toBe("inProgress");
  expect((await status(t, b)).type).toBe("inProgress");
  expect(await status(t, done)).toEqual({ type: "completed", result: ["hi"] });
  expect(await status(t, failed)).toMatchObject({ type: "failed", error: expect.stringContaining("sent an error") });
  expect(await status(t, canceled)).toEqual({ type: "canceled" });
  return fx;
}

let bystanders = 0;
/**
 * The blast radius: start an unrelated workflow, run `body` (the bad calls), run everything
 * scheduled, and check the unrelated workflow completed normally.
 */
async function unrelatedStillCompletes(t: TestConvex, body: () => Promise<void>): Promise<void> {
  const name = `bystander ${++bystanders}`;
  const id = await t.mutation((ctx) => workflow.start(ctx, internal.example.greeting, { name }));
  await body();
  await drain(t);
  expect(await status(t, id)).toEqual({ type: "completed", result: `HELLO, ${name.toUpperCase()}!` });
  // Keeps the tables, and so every snapshot, small.
  expect(await t.mutation((ctx) => workflow.cleanup(ctx, id))).toBe(true);
}

// The rows below name their ids lazily: the fixture exists only once `beforeAll` ran.
type IdOf = (f: Fixture) => string;

// ===========================================================================================
describe("bad ids", () => {
  let f: Fixture;
  beforeAll(async () => {
    vi.useFakeTimers();
    f = await fixture();
  });
  afterAll(() => vi.useRealTimers());

  // -----------------------------------------------------------------------------------------
  // Functions taking a workflow id.
  const invalid = (id: string) => `Invalid workflow ID: ${id}`;
  const notFound = (id: string) => `Workflow not found: ${id}`;
  /** An `v.id(table)` argument refusing `id`: in convex-test's words, or in Convex's (`Value: "<id>" … v.id("<table>")`). */
  const validatorRefused = (table: string, id: string) =>
    new RegExp(`(Expected ID for table "${table}", got \`${id}\`)|(Value: "${id}"[\\s\\S]*v\\.id\\("${table}"\\))`);
  const workflowIds: Array<[string, IdOf]> = [
    ["malformed", () => "nope"],
    ["an event's id", (fx) => fx.createdA],
    ["a step's id", (fx) => fx.stepOfA],
    ["an app table's id", (fx) => fx.appRow],
  ];
  const byWorkflowId: Array<[string, (ctx: Ctx, id: string) => Promise<unknown>]> = [
    ["getStatus", (ctx, id) => getStatus(ctx, c, id as WorkflowId)],
    ["workflow.status", (ctx, id) => workflow.status(ctx, id as WorkflowId)],
    ["cancel", (ctx, id) => cancel(ctx, c, id as WorkflowId)],
    ["restart", (ctx, id) => restart(ctx, c, id as WorkflowId)],
    ["restart from a step", (ctx, id) => workflow.restart(ctx, id as WorkflowId, { from: 0 })],
    ["cleanup", (ctx, id) => cleanup(ctx, c, id as WorkflowId)],
    [
      "cleanup with force (component)",
      (ctx, id) => ctx.runMutation(c.workflow.cleanup, { workflowId: id, force: true }),
    ],
    ["listSteps", (ctx, id) => listSteps(ctx, c, id as WorkflowId)],
    ["createEvent", (ctx, id) => createEvent(ctx, c, { name: "x", workflowId: id as WorkflowId })],
    ["notify", (ctx, id) => notify(ctx, c, id as WorkflowId)],
    ["sendEvent by name", (ctx, id) => sendEvent(ctx, c, { workflowId: id as WorkflowId, name: "go", value: 1 })],
  ];

  // A deleted workflow: the calls that need it say it is not found; cleanup and listSteps
  // answer as for any unknown workflow (0.4.8): false, an empty page.
  test.each(byWorkflowId)(
    "%s: other tables' ids and malformed ones refused, naming the id; a deleted workflow",
    async (name, call) => {
      await unrelatedStillCompletes(f.t, async () => {
        for (const [what, idOf] of workflowIds) {
          const id = idOf(f);
          expect(await rejected(f.t, (ctx) => call(ctx, id)), what).toBe(invalid(id));
        }
        if (name.startsWith("cleanup")) {
          expect(await noOp(f.t, (ctx) => call(ctx, f.gone))).toBe(false);
        } else if (name === "listSteps") {
          expect(await noOp(f.t, (ctx) => call(ctx, f.gone))).toMatchObject({ page: [], isDone: true });
        } else {
          expect(await rejected(f.t, (ctx) => call(ctx, f.gone))).toBe(notFound(f.gone));
        }
      });
    },
  );

  // The component's own functions that take `v.id("workflows")`: the argument validator refuses
  // any other string, naming the argument and the value; a deleted id is not found.
  const byTypedWorkflowId: Array<[string, (ctx: Ctx, id: string) => Promise<unknown>]> = [
    [
      "workflow.complete",
      (ctx, id) =>
        ctx.runMutation(c.workflow.complete, { workflowId: id, generationNumber: 0, runResult: { kind: "canceled" } }),
    ],
    ["journal.load", (ctx, id) => ctx.runQuery(c.journal.load, { workflowId: id, generationNumber: 0 })],
    [
      "journal.startSteps",
      (ctx, id) => ctx.runMutation(c.journal.startSteps, { workflowId: id, generationNumber: 0, steps: [] }),
    ],
    [
      "executor.coordinator.replayIfReady",
      (ctx, id) => ctx.runMutation(c.executor.coordinator.replayIfReady, { workflowId: id }),
    ],
  ];
  test.each(byTypedWorkflowId)(
    "component %s: refused by the argument validator, naming the id; a deleted workflow",
    async (name, call) => {
      await unrelatedStillCompletes(f.t, async () => {
        for (const [what, idOf] of workflowIds) {
          const id = idOf(f);
          expect(await rejected(f.t, (ctx) => call(ctx, id)), what).toMatch(validatorRefused("workflows", id));
        }
        if (name === "executor.coordinator.replayIfReady")
          expect(await noOp(f.t, (ctx) => call(ctx, f.gone))).toBe(false);
        else expect(await rejected(f.t, (ctx) => call(ctx, f.gone))).toBe(notFound(f.gone));
      });
    },
  );

  test("the executor's component functions with ids that are not task ids: refused by the argument validator; a step not on a queue: skipped", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const fence = { shard: 0, epoch: 0, instance: 0 };
      const calls = (id: string): Array<(ctx: Ctx) => Promise<unknown>> => [
        (ctx) =>
          ctx.runMutation(c.executor.taskQueue.recordResults, {
            ...fence,
            results: [{ stepId: id, result: { kind: "success", returnValue: 1 } }],
          }),
        (ctx) => ctx.runMutation(c.executor.taskQueue.runMutationTasks, { ...fence, stepIds: [id] }),
        (ctx) => ctx.runMutation(c.executor.shards.handoff, { ...fence, stepIds: [id], until: Date.now() }),
      ];
      // A task is named by its step's id: any other id is refused.
      const notSteps: Array<[string, IdOf]> = [
        ...workflowIds.filter(([what]) => what !== "a step's id"),
        ["a workflow's id", (fx) => fx.a],
      ];
      for (const [what, idOf] of notSteps) {
        const id = idOf(f);
        for (const call of calls(id)) expect(await rejected(f.t, call), what).toMatch(validatorRefused("steps", id));
      }
      // A step that is not on a task queue (a standard-mode step) is skipped: nothing is written.
      const [record, runMutations, handoff] = calls(f.stepOfA);
      expect(await noOp(f.t, record)).toMatchObject({ recorded: 0, skipped: 1 });
      expect(await noOp(f.t, runMutations)).toMatchObject({ recorded: 0, skipped: 1 });
      expect(await noOp(f.t, handoff)).toEqual({ handedOff: false });
    });
  });

  test("the workflow mutation replayed with a bad id: refused by its validator; with a deleted one: not found", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      for (const [, idOf] of workflowIds) {
        const id = idOf(f);
        const error = await rejected(f.t, (ctx) => ctx.runMutation(flows.waitFor, replayArgs(id, 0)));
        expect(error).toMatch(validatorRefused("workflows", id));
      }
      const replayedGone = await rejected(f.t, (ctx) => ctx.runMutation(flows.waitFor, replayArgs(f.gone, 0)));
      expect(replayedGone).toBe(notFound(f.gone));
    });
  });

  // -----------------------------------------------------------------------------------------
  // Event ids: sendEvent by id.
  const eventIds: Array<[string, IdOf, (id: string) => string]> = [
    ["malformed", () => "nope", (id) => `Invalid event ID: ${id}`],
    ["a workflow's id", (fx) => fx.a, (id) => `Invalid event ID: ${id}`],
    ["a step's id", (fx) => fx.stepOfA, (id) => `Invalid event ID: ${id}`],
    ["an app table's id", (fx) => fx.appRow, (id) => `Invalid event ID: ${id}`],
    ["a deleted event's id", (fx) => fx.goneEvent, (id) => `Event not found: ${id}`],
  ];
  test("sendEvent by id: malformed, other tables' ids and a deleted event refused, naming the id", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      for (const [what, idOf, expected] of eventIds) {
        const id = idOf(f);
        expect(await rejected(f.t, (ctx) => sendEvent(ctx, c, { id: id as never, value: 1 })), what).toBe(expected(id));
        // With a workflow and name too, the error says what the send was for.
        expect(
          await rejected(f.t, (ctx) =>
            workflow.sendEvent(ctx, { id: id as never, workflowId: f.a, name: "x", value: 1 }),
          ),
          what,
        ).toBe(`${expected(id)} (sending "x" to workflow ${f.a})`);
      }
    });
  });

  test("sendEvent by id of another workflow's event: refused, naming both workflows; neither changes", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      for (const target of [f.b, f.done, f.gone, "nope"]) {
        expect(
          await rejected(f.t, (ctx) =>
            sendEvent(ctx, c, { id: f.createdA as never, workflowId: target as WorkflowId, name: "x", value: 1 }),
          ),
        ).toBe(
          `Cannot send event ${f.createdA} ("x") of workflow ${f.a} to workflow ${target}: it belongs to another workflow`,
        );
      }
      // The right workflow under another name.
      expect(
        await rejected(f.t, (ctx) =>
          sendEvent(ctx, c, { id: f.createdA as never, workflowId: f.a, name: "y", value: 1 }),
        ),
      ).toBe(`Cannot send event ${f.createdA} ("x") of workflow ${f.a} as "y": the event's name is "x"`);
    });
  });

  test("sendEvent by name with the name of another workflow's event: a new event of this workflow, the other untouched", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const before = await eventsOf(f.t, f.b);
      const id = await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: f.a, name: "y", value: 1 }));
      expect(id).not.toBe(f.createdB);
      expect(await eventsOf(f.t, f.b)).toEqual(before);
      expect((await eventsOf(f.t, f.a)).find((e) => e._id === id)).toMatchObject({
        name: "y",
        state: { kind: "sent" },
      });
    });
  });

  // -----------------------------------------------------------------------------------------
  // Event ids awaited inside a handler: a bad id fails that workflow (a bug in the handler),
  // naming the id and the workflow; the workflow whose event it is does not change.
  const awaitedIds: Array<[string, IdOf, (id: string, w: string, fx: Fixture) => string]> = [
    ["malformed", () => "nope", (id, w) => `Invalid event ID: ${id} (awaited as "${id}" by workflow ${w})`],
    ["a workflow's id", (fx) => fx.b, (id, w) => `Invalid event ID: ${id} (awaited as "${id}" by workflow ${w})`],
    ["a step's id", (fx) => fx.stepOfA, (id, w) => `Invalid event ID: ${id} (awaited as "${id}" by workflow ${w})`],
    [
      "a deleted event's id",
      (fx) => fx.goneEvent,
      (id, w) => `Event not found: ${id} (awaited as "${id}" by workflow ${w})`,
    ],
    [
      "another workflow's event",
      (fx) => fx.createdB,
      (id, w, fx) =>
        `Cannot await event ${id} ("y") of workflow ${fx.b} from workflow ${w}: it belongs to another workflow`,
    ],
  ];
  test("step.awaitEvent({ id }) with a bad id: that workflow fails, naming the id; the event's own workflow is untouched", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const before = [await eventsOf(f.t, f.b), await steps(f.t, f.b)];
      const started: Array<[string, string, WorkflowId, (id: string, w: string, fx: Fixture) => string]> = [];
      for (const [what, idOf, expected] of awaitedIds) {
        const id = idOf(f);
        started.push([
          what,
          id,
          await f.t.mutation((ctx) => workflow.start(ctx, flows.awaitById, { eventId: id })),
          expected,
        ]);
      }
      await drain(f.t);
      for (const [what, id, w, expected] of started) {
        const result = await status(f.t, w);
        expect(result.type, what).toBe("failed");
        expect(firstLine((result as { error: string }).error), what).toBe(expected(id, w, f));
        expect(await steps(f.t, w), what).toEqual([]);
      }
      expect([await eventsOf(f.t, f.b), await steps(f.t, f.b)]).toEqual(before);
    });
  });

  // -----------------------------------------------------------------------------------------
  // Other id-shaped inputs.
  test("listSteps with a cursor from another workflow's listSteps: never another workflow's steps", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const other = await f.t.query((ctx) =>
        listSteps(ctx, c, f.done, { paginationOpts: { cursor: null, numItems: 1 } }),
      );
      expect(other.page).toHaveLength(1);
      let page: unknown[] = [];
      try {
        page = (
          await f.t.query((ctx) =>
            listSteps(ctx, c, f.a, { paginationOpts: { cursor: other.continueCursor, numItems: 10 } }),
          )
        ).page;
      } catch (e) {
        expect(message(e)).toMatch(/cursor/i);
      }
      for (const s of page) expect((s as { workflowId: string }).workflowId).toBe(f.a);
    });
  });

  test("listByName and timelinePage with an unknown name, or an id as the name: empty pages", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      for (const name of ["nope", f.a, ""]) {
        expect((await noOp(f.t, (ctx) => listByName(ctx, c, name))).page).toEqual([]);
        expect(
          (await noOp(f.t, (ctx) => timelinePage(ctx, c, { name, paginationOpts: { cursor: null, numItems: 10 } })))
            .page,
        ).toEqual([]);
      }
      expect((await noOp(f.t, (ctx) => list(ctx, c))).page.map((w) => w.workflowId)).not.toContain(f.gone);
    });
  });
});

/** The events of a workflow, read in the component (the public API has no event listing). */
async function eventsOf(
  t: TestConvex,
  workflowId: string,
): Promise<Array<{ _id: string; name: string; state: { kind: string } }>> {
  const runInComponent = (t as unknown as { runInComponent: RunInComponent }).runInComponent;
  return (await runInComponent("workflow", async (ctx) =>
    (await ctx.db.query("events").collect()).filter((e) => e.workflowId === workflowId),
  )) as Array<{ _id: string; name: string; state: { kind: string } }>;
}

// ===========================================================================================
describe("wrong states", () => {
  let f: Fixture;
  beforeAll(async () => {
    vi.useFakeTimers();
    f = await fixture();
  });
  afterAll(() => vi.useRealTimers());

  const finished: Array<[string, (fx: Fixture) => WorkflowId, string]> = [
    ["completed", (fx) => fx.done, "completed"],
    ["failed", (fx) => fx.failed, "failed"],
    ["canceled", (fx) => fx.canceled, "canceled"],
  ];

  test("restart of a running workflow: refused (`still running`), with and without from / startAsync", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      for (const options of [undefined, { from: 0 }, { from: "go" }, { startAsync: true }]) {
        expect(await rejected(f.t, (ctx) => restart(ctx, c, f.a, options))).toBe(
          `Workflow is still running: ${f.a}. Only a finished workflow can be restarted.`,
        );
      }
    });
  });

  test("cleanup of a running workflow: false, nothing deleted", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      expect(await noOp(f.t, (ctx) => cleanup(ctx, c, f.a))).toBe(false);
      expect(await noOp(f.t, (ctx) => workflow.cleanup(ctx, f.b))).toBe(false);
    });
  });

  test.each(finished)(
    "a %s workflow: cancel refused naming the id and result; the component's replay functions refused or no-ops; notify nudges nothing",
    async (_what, idOf, kind) => {
      await unrelatedStillCompletes(f.t, async () => {
        const id = idOf(f);
        expect(await rejected(f.t, (ctx) => cancel(ctx, c, id))).toBe(`Workflow not running: ${id} already ${kind}`);
        expect(await rejected(f.t, (ctx) => workflow.cancel(ctx, id))).toBe(
          `Workflow not running: ${id} already ${kind}`,
        );
        const { workflow: doc } = await f.t.query((ctx) => ctx.runQuery(c.workflow.getStatus, { workflowId: id }));
        const generationNumber = doc.generationNumber;
        expect(
          await rejected(f.t, (ctx) =>
            ctx.runMutation(c.workflow.complete, { workflowId: id, generationNumber, runResult: { kind: "canceled" } }),
          ),
        ).toBe(`Workflow ${id} is not running: it already ${kind}`);
        expect(
          await rejected(f.t, (ctx) =>
            ctx.runMutation(c.journal.startSteps, { workflowId: id, generationNumber, steps: [] }),
          ),
        ).toBe(`Workflow not running: ${id} already ${kind}`);
        const stale = await rejected(f.t, (ctx) =>
          ctx.runMutation(c.journal.startSteps, { workflowId: id, generationNumber: generationNumber + 1, steps: [] }),
        );
        expect(stale).toBe(
          `Invalid generation number: ${generationNumber + 1} for workflow badInputWorkflows:waitFor (${id}), which is at ${generationNumber}`,
        );
        expect(
          (await noOp(f.t, (ctx) => ctx.runQuery(c.journal.load, { workflowId: id, generationNumber }))).state,
        ).toBe("finished");
        expect(
          await noOp(f.t, (ctx) => ctx.runMutation(c.executor.coordinator.replayIfReady, { workflowId: id })),
        ).toBe(false);
        // A replay of a finished workflow (a late or duplicate one) does nothing.
        expect(await noOp(f.t, (ctx) => ctx.runMutation(flows.waitFor, replayArgs(id, generationNumber)))).toBe(id);
        expect(await noOp(f.t, (ctx) => ctx.runMutation(c.wait.notify, { workflowId: id }))).toBe(0);
        await noOp(f.t, (ctx) => notify(ctx, c, id));
      });
    },
  );

  test("notify of a running workflow with no condition wait: nothing to nudge, nothing changes", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      expect(await noOp(f.t, (ctx) => ctx.runMutation(c.wait.notify, { workflowId: f.a }))).toBe(0);
    });
  });

  test("notify after a condition wait timed out: nothing changes", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const id = await f.t.mutation((ctx) => workflow.start(ctx, flows.waitsOnCondition, {}));
      await drain(f.t);
      expect(await status(f.t, id)).toEqual({ type: "completed", result: "timed out" });
      expect(await noOp(f.t, (ctx) => ctx.runMutation(c.wait.notify, { workflowId: id }))).toBe(0);
    });
  });

  // ------------------------------------------------------------------------------------------
  // Events.
  test("sendEvent by id, twice: already sent; to a consumed event: already consumed", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const id = await f.t.mutation((ctx) => createEvent(ctx, c, { name: "later", workflowId: f.b }));
      await f.t.mutation((ctx) => sendEvent(ctx, c, { id, value: "first" }));
      expect(await rejected(f.t, (ctx) => sendEvent(ctx, c, { id, value: "second" }))).toBe(
        `Cannot send event ${id} ("later") of workflow ${f.b}: it was already sent`,
      );
      expect(await rejected(f.t, (ctx) => sendEvent(ctx, c, { id: f.doneEvent as never, value: "again" }))).toBe(
        `Cannot send event ${f.doneEvent} ("go") of workflow ${f.done}: it was already consumed`,
      );
    });
  });

  test("sendEvent after its await timed out: closed by id; by name, kept for the next await of that name", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const id = await startWaiter(f.t, ["go", "go"], 1_000);
      await drain(f.t);
      const eventId = (await steps(f.t, id))[0];
      expect(eventId).toMatchObject({ kind: "event", runResult: { kind: "failed" } });
      const closed = (eventId as { eventId: string }).eventId;
      expect(await rejected(f.t, (ctx) => sendEvent(ctx, c, { id: closed as never, value: 1 }))).toBe(
        `Cannot send event ${closed} ("go") of workflow ${id}: the wait for it timed out, so the event is closed`,
      );
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: id, name: "go", value: "second" }));
      await drain(f.t);
      expect(await status(f.t, id)).toEqual({ type: "completed", result: ["timed out", "second"] });
    });
  });

  test("sendEvent by name and createEvent for a finished workflow: accepted (as in 0.4.8), buffered; a restart consumes them", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const id = await startWaiter(f.t, ["go", "go2"]);
      await f.t.mutation((ctx) => cancel(ctx, c, id));
      const sent = await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: id, name: "go", value: "buffered" }));
      const made = await f.t.mutation((ctx) => createEvent(ctx, c, { name: "go2", workflowId: id }));
      expect(await status(f.t, id)).toEqual({ type: "canceled" });
      expect((await eventsOf(f.t, id)).map((e) => [e._id, e.state.kind])).toEqual(
        expect.arrayContaining([
          [sent, "sent"],
          [made, "created"],
        ]),
      );
      await f.t.mutation((ctx) => restart(ctx, c, id, { from: 0 }));
      await f.t.mutation((ctx) => sendEvent(ctx, c, { id: made, value: "made ahead" }));
      await drain(f.t);
      expect(await status(f.t, id)).toEqual({ type: "completed", result: ["buffered", "made ahead"] });
    });
  });

  test("step.awaitEvent({ id }) of its own event already consumed, or closed by a timeout: the workflow fails, naming the event", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const consumer = await f.t.mutation((ctx) => workflow.start(ctx, flows.awaitThenById, { first: "x" }));
      const consumed = await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: consumer, name: "x", value: 1 }));
      await drain(f.t);
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: consumer, name: "which", value: consumed }));
      const timedOut = await f.t.mutation((ctx) =>
        workflow.start(ctx, flows.awaitThenById, { first: "x", firstTimeout: 1_000 }),
      );
      await drain(f.t);
      const closed = ((await steps(f.t, timedOut))[0] as { eventId: string }).eventId;
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: timedOut, name: "which", value: closed }));
      await drain(f.t);
      const failure = async (id: WorkflowId) => firstLine(((await status(f.t, id)) as { error: string }).error);
      expect(await failure(consumer)).toBe(
        `Cannot await event ${consumed} ("x") of workflow ${consumer}: it is already consumed`,
      );
      expect(await failure(timedOut)).toBe(
        `Cannot await event ${closed} ("x") of workflow ${timedOut}: it is already closed: its wait timed out`,
      );
    });
  });

  // ------------------------------------------------------------------------------------------
  // Nested workflows: the calls aimed at a child while its parent runs.
  async function parentWithChild(): Promise<{ parent: WorkflowId; child: WorkflowId }> {
    const parent = await f.t.mutation((ctx) => workflow.start(ctx, flows.parentOf, {}));
    await drain(f.t);
    const [step] = await steps(f.t, parent);
    expect(step).toMatchObject({ kind: "workflow" });
    return { parent, child: (step as { nestedWorkflowId: WorkflowId }).nestedWorkflowId };
  }

  test("cleanup of a running child: false; cancel of it: the parent's step is canceled and the parent carries on", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const { parent, child } = await parentWithChild();
      expect(await noOp(f.t, (ctx) => cleanup(ctx, c, child))).toBe(false);
      await f.t.mutation((ctx) => cancel(ctx, c, child));
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: parent, name: "after", value: 1 }));
      await drain(f.t);
      expect(await status(f.t, parent)).toEqual({
        type: "completed",
        result: { child: { caught: "Canceled" }, after: 1 },
      });
    });
  });

  test("forced cleanup of a running child (component `force`): the parent's step is canceled instead of waiting forever", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const { parent, child } = await parentWithChild();
      expect(await f.t.mutation((ctx) => ctx.runMutation(c.workflow.cleanup, { workflowId: child, force: true }))).toBe(
        true,
      );
      await drain(f.t);
      expect(await rejected(f.t, (ctx) => getStatus(ctx, c, child))).toBe(`Workflow not found: ${child}`);
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: parent, name: "after", value: 1 }));
      await drain(f.t);
      expect(await status(f.t, parent)).toEqual({
        type: "completed",
        result: { child: { caught: "Canceled" }, after: 1 },
      });
    });
  });

  test("restart, then cleanup, of a finished child while its parent runs: the parent's journal keeps the first result", async () => {
    await unrelatedStillCompletes(f.t, async () => {
      const { parent, child } = await parentWithChild();
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: child, name: "c", value: "first" }));
      await drain(f.t);
      const journal = await steps(f.t, parent);
      expect(journal[0]).toMatchObject({ runResult: { kind: "success", returnValue: ["first"] } });
      await f.t.mutation((ctx) => restart(ctx, c, child, { from: 0 }));
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: child, name: "c", value: "second" }));
      await drain(f.t);
      expect(await status(f.t, child)).toEqual({ type: "completed", result: ["second"] });
      expect(await steps(f.t, parent)).toEqual(journal);
      expect(await f.t.mutation((ctx) => cleanup(ctx, c, child))).toBe(true);
      await drain(f.t);
      await f.t.mutation((ctx) => sendEvent(ctx, c, { workflowId: parent, name: "after", value: 2 }));
      await drain(f.t);
      expect(await status(f.t, parent)).toEqual({ type: "completed", result: { child: ["first"], after: 2 } });
    });
  });
});
