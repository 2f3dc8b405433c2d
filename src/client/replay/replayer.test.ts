// The replayer's pure logic, with a real channel and a fake step journal: matching calls to
// journal entries, batching new steps, the handler's clock, stop(), and the journal size
// accounting of both step journals. Through real workflows: example/convex/replay.test.ts.
import { BaseChannel } from "async-channel";
import { type GenericDataModel, type GenericMutationCtx, makeFunctionReference } from "convex/server";
import { getConvexSize, type Value } from "convex/values";
import { describe, expect, test } from "vitest";
import { MAX_JOURNAL_SIZE } from "../../shared/limits.js";
import type { JournalEntry, StepRequest, WireStep } from "../../shared/protocol.js";
import type { EventId } from "../../shared/types.js";
import type { RunResult, WorkflowComponent } from "../types.js";
import { canonicalJson, Replayer, type StepCall } from "./replayer.js";
import { CollectingJournal, ComponentJournal, JournalSize, type StepJournal } from "./stepJournal.js";

const WORKFLOW = "workflow-1";
const REPLAY_TIME = 5_000;
const ok = (returnValue: Value): RunResult => ({ kind: "success", returnValue });
/** Inline steps are not reached here: every step below is replayed, a sleep or an event. */
const noCtx = {} as GenericMutationCtx<GenericDataModel>;

function entry(stepNumber: number, step: Partial<WireStep> & { name: string }): JournalEntry {
  return {
    _id: `step-${stepNumber}`,
    workflowId: WORKFLOW,
    stepNumber,
    step: {
      kind: "function",
      functionType: "query",
      handle: "handle",
      inProgress: false,
      args: {},
      argsSize: 0,
      queuedAt: 1_000 + stepNumber,
      runResult: ok(stepNumber),
      ...step,
    },
  };
}

/** A step journal that records each batch and answers every step as `answer` says. */
class FakeJournal implements StepJournal {
  readonly batches: StepRequest[][] = [];
  constructor(private readonly answer: (request: StepRequest) => RunResult | undefined = () => undefined) {}
  async journal(batch: StepRequest[], size: JournalSize): Promise<WireStep[]> {
    this.batches.push(batch);
    size.add(0);
    return batch.map((request) => {
      const runResult = this.answer(request);
      return { ...request.step, inProgress: !runResult, runResult };
    });
  }
}

function setup(entries: JournalEntry[], journal: StepJournal = new FakeJournal(), maxBatch = 10) {
  const channel = new BaseChannel<StepCall>(maxBatch);
  const replayer = new Replayer({
    workflowId: WORKFLOW,
    ctx: noCtx,
    entries,
    journal,
    channel,
    replayTime: REPLAY_TIME,
    maxBatch,
  });
  /** What `step.*` does: send a call, and resolve with its result. */
  const send = (call: Partial<Omit<StepCall, "resolve">> & Pick<StepCall, "name" | "target">) =>
    new Promise<RunResult>((resolve) => {
      void channel.push({
        retry: undefined,
        inline: false,
        unstableArgs: false,
        transactionLimits: undefined,
        schedulerOptions: {},
        ...call,
        resolve,
      });
    });
  return { replayer, channel, send };
}

const query = (args: Record<string, unknown>) => ({
  kind: "function" as const,
  functionType: "query" as const,
  function: makeFunctionReference<"query">("steps:f"),
  args,
});
const sleep = { kind: "sleep" as const, args: {} };

describe("canonicalJson", () => {
  test("sorts object keys at every depth, keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { y: [2, 1], x: null } })).toBe('{"a":{"x":null,"y":[2,1]},"b":1}');
    expect(canonicalJson({ n: 1n })).toBe(canonicalJson({ n: 1n }));
    expect(canonicalJson({ n: 1n })).not.toBe(canonicalJson({ n: 1 }));
  });
});

describe("Replayer: calls answered from the journal", () => {
  test("a call matching its entry (whatever the stored key order) gets the recorded result", async () => {
    const journal = new FakeJournal();
    const { replayer, send } = setup([entry(0, { name: "f", args: { b: 1, a: { y: 2, x: 1 } } })], journal);
    const run = replayer.run();
    await expect(send({ name: "f", target: query({ a: { x: 1, y: 2 }, b: 1 }) })).resolves.toEqual(ok(0));
    // Past the journal: the next call is journaled, and the replay ends blocked on it.
    void send({ name: "nap", target: sleep, schedulerOptions: { runAfter: 10 } });
    await expect(run).resolves.toEqual({ type: "blocked" });
    expect(journal.batches).toHaveLength(1);
    expect(journal.batches[0][0]).toMatchObject({
      step: { kind: "sleep", name: "nap", inProgress: true, args: {}, queuedAt: REPLAY_TIME },
      schedulerOptions: { runAfter: 10 },
      task: undefined,
    });
  });

  test("different args fail with the mismatch message, naming the step and both versions", async () => {
    const { replayer, send } = setup([entry(0, { name: "f", args: { n: 1 } })]);
    const run = replayer.run();
    void send({ name: "f", target: query({ n: 2 }) });
    await expect(run).rejects.toThrow(
      'Journal entry mismatch: step 0 was recorded as\n\n{"args":{"n":1},"kind":"function","name":"f"}\n\n' +
        'but the handler now asks for\n\n{"args":{"n":2},"kind":"function","name":"f"}\n\n' +
        "Workflow handlers must be deterministic: on replay they must request the same steps in the same order.",
    );
  });

  test("an entry stored without `kind` is a function step: a sleep in its place mismatches", async () => {
    const { replayer, send } = setup([entry(0, { name: "f", kind: undefined })]);
    const run = replayer.run();
    void send({ name: "f", target: sleep });
    await expect(run).rejects.toThrow(/^Journal entry mismatch: step 0 .*"kind":"function".*"kind":"sleep"/s);
  });

  test("unstableArgs skips the args, not the name", async () => {
    const first = setup([entry(0, { name: "f", args: { n: 1 } })]);
    void first.replayer.run();
    await expect(first.send({ name: "f", target: query({ n: 2 }), unstableArgs: true })).resolves.toEqual(ok(0));

    const second = setup([entry(0, { name: "f", args: { n: 1 } })]);
    const run = second.replayer.run();
    void second.send({ name: "g", target: query({ n: 1 }), unstableArgs: true });
    await expect(run).rejects.toThrow(
      'Journal entry mismatch: step 0 was recorded as\n\n{"kind":"function","name":"f"}\n\nbut the handler now asks for\n\n{"kind":"function","name":"g"}',
    );
  });

  test("an entry still in progress cannot be replayed", async () => {
    const { replayer, send } = setup([entry(3, { name: "f", inProgress: true, runResult: undefined })]);
    const run = replayer.run();
    void send({ name: "f", target: query({}) });
    await expect(run).rejects.toThrow(`Assertion failed: replaying step 3 of ${WORKFLOW}, which has no result`);
  });
});

describe("Replayer: new steps", () => {
  test("calls sent together are journaled together, at most maxBatch at once; finished ones resolve", async () => {
    const journal = new FakeJournal((request) => ok(request.step.name));
    const { replayer, send } = setup([], journal, 2);
    void replayer.run();
    const results = await Promise.all(["a", "b", "c"].map((name) => send({ name, target: sleep })));
    expect(results).toEqual([ok("a"), ok("b"), ok("c")]);
    await send({ name: "d", target: sleep });
    expect(journal.batches.map((batch) => batch.map((request) => request.step.name))).toEqual([
      ["a", "b"],
      ["c"],
      ["d"],
    ]);
  });

  test("one unfinished step in a batch blocks the replay; none of the batch resolves", async () => {
    const journal = new FakeJournal((request) => (request.step.name === "b" ? undefined : ok(1)));
    const { replayer, send } = setup([], journal);
    const run = replayer.run();
    let resolved = 0;
    for (const name of ["a", "b"]) void send({ name, target: sleep }).then(() => resolved++);
    await expect(run).resolves.toEqual({ type: "blocked" });
    expect(journal.batches).toHaveLength(1);
    expect(resolved).toBe(0);
  });

  test("an event step journals only its event id", async () => {
    const journal = new FakeJournal();
    const { replayer, send } = setup([], journal);
    const run = replayer.run();
    void send({
      name: "approved",
      target: { kind: "event", args: { eventId: "event-1" as EventId } },
      timeoutMs: 60_000,
    });
    await run;
    expect(journal.batches[0][0]).toMatchObject({
      step: {
        kind: "event",
        name: "approved",
        args: { eventId: "event-1" },
        argsSize: getConvexSize({ eventId: "event-1" }),
      },
      timeoutMs: 60_000,
    });
  });

  test("after stop() nothing more is journaled, and stop() waits for a batch being journaled", async () => {
    let release!: () => void;
    const slow: StepJournal = {
      journal: (batch) =>
        new Promise((resolve) => {
          release = () => resolve(batch.map(({ step }) => step as WireStep));
        }),
    };
    const { replayer, send } = setup([], slow);
    const run = replayer.run();
    void send({ name: "a", target: sleep });
    await new Promise((resolve) => setTimeout(resolve, 0));
    let stopped = false;
    const stop = replayer.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(stopped).toBe(false);
    release();
    await stop;
    await expect(run).resolves.toEqual({ type: "blocked" });

    const journal = new FakeJournal();
    const after = setup([], journal);
    await after.replayer.stop();
    const run2 = after.replayer.run();
    void after.send({ name: "late", target: sleep });
    await expect(run2).resolves.toEqual({ type: "blocked" });
    expect(journal.batches).toEqual([]);
  });
});

describe("Replayer: the handler's clock", () => {
  test("the original time of the next entry to replay, counting calls sent but not yet read; then the replay's time", async () => {
    const { replayer, send } = setup([entry(0, { name: "a", queuedAt: 100 }), entry(1, { name: "b", queuedAt: 200 })]);
    expect(replayer.clock()).toEqual({ now: 100, latest: false });
    void send({ name: "a", target: query({}) });
    expect(replayer.clock()).toEqual({ now: 200, latest: false });
    void send({ name: "b", target: query({}) });
    expect(replayer.clock()).toEqual({ now: REPLAY_TIME, latest: true });
  });
});

describe("journal size", () => {
  const big = "x".repeat(MAX_JOURNAL_SIZE);

  test("a replay of a journal already over the limit fails before anything runs", () => {
    expect(() => setup([entry(0, { name: "big", args: { big } })])).toThrow(
      new RegExp(`^Workflow ${WORKFLOW} journal size limit exceeded \\(\\d+ bytes > ${MAX_JOURNAL_SIZE} bytes\\)`),
    );
  });

  test("JournalSize counts the journal's entries and names the entry that crossed the limit", () => {
    const entries = [entry(0, { name: "a" }), entry(1, { name: "b" })];
    const size = JournalSize.of(WORKFLOW, entries);
    expect(size.bytes).toBe(getConvexSize(entries[0] as Value) + getConvexSize(entries[1] as Value));
    size.add(MAX_JOURNAL_SIZE - size.bytes); // exactly at the limit is allowed
    expect(() => size.add(1, { name: "c", id: "step-2" })).toThrow(
      `Workflow ${WORKFLOW} journal size limit exceeded (${MAX_JOURNAL_SIZE + 1} bytes > ${MAX_JOURNAL_SIZE} bytes). ` +
        'Split the work into several workflows, pass smaller step arguments or return values, or use fewer steps. The step that crossed it was "c" (step-2).',
    );
  });

  const request = (name: string, args: Record<string, Value> = {}): StepRequest => ({
    step: { kind: "sleep", name, inProgress: true, args, argsSize: getConvexSize(args), queuedAt: REPLAY_TIME },
    schedulerOptions: {},
  });

  test("CollectingJournal keeps every batch in order and counts each step's size, checking per batch", async () => {
    const collecting = new CollectingJournal();
    const a = request("a");
    const b = request("b", { n: 1 });
    const size = new JournalSize(WORKFLOW, MAX_JOURNAL_SIZE - getConvexSize(a.step) - getConvexSize(b.step));
    await expect(collecting.journal([a], size)).resolves.toEqual([a.step]);
    await expect(collecting.journal([b], size)).resolves.toEqual([b.step]);
    expect(size.bytes).toBe(MAX_JOURNAL_SIZE);
    expect(collecting.steps).toEqual([a, b]);
    await expect(collecting.journal([request("c")], size)).rejects.toThrow(
      new RegExp(
        `^Workflow ${WORKFLOW} journal size limit exceeded \\(${size.bytes} bytes > ${MAX_JOURNAL_SIZE} bytes\\)\\. .*steps\\.$`,
      ),
    );
  });

  test("ComponentJournal sends the batch to startSteps and counts the stored entries", async () => {
    const calls: unknown[] = [];
    const stored = [entry(7, { name: "a", inProgress: true, runResult: undefined })];
    const ctx = {
      runMutation: async (ref: unknown, args: unknown) => {
        calls.push({ ref, args });
        return stored;
      },
    } as unknown as GenericMutationCtx<GenericDataModel>;
    const component = { journal: { startSteps: "startSteps" } } as unknown as WorkflowComponent;
    const journal = new ComponentJournal({
      ctx,
      component,
      workflowId: WORKFLOW,
      generationNumber: 2,
      workpoolOptions: { maxParallelism: 3 },
    });
    const size = new JournalSize(WORKFLOW);
    const batch = [request("a")];
    await expect(journal.journal(batch, size)).resolves.toEqual([stored[0].step]);
    expect(calls).toEqual([
      {
        ref: "startSteps",
        args: { workflowId: WORKFLOW, generationNumber: 2, steps: batch, workpoolOptions: { maxParallelism: 3 } },
      },
    ]);
    expect(size.bytes).toBe(getConvexSize(stored[0] as Value));
    const full = new JournalSize(WORKFLOW, MAX_JOURNAL_SIZE);
    await expect(journal.journal(batch, full)).rejects.toThrow('The step that crossed it was "a" (step-7).');
  });
});
