// Events and awaitEvent deadlines (docs/events.md), driven through events.ts and approvals.ts.
// Each test uses a fresh backend and only a few workflows.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createEvent, type EventId, sendEvent, type WorkflowId, type WorkflowStep } from "convex-workflow";
import { api, components, internal } from "./_generated/api.js";
import { counterEvent, type Outcome, workflow } from "./events.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const onComplete = internal.events.recordCompletion;

/** Advance fake time by `ms` in `chunk`s, finishing whatever comes due on the way. */
async function settle(t: TestConvex, ms = 2_000, chunk = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += chunk) {
    await vi.advanceTimersByTimeAsync(chunk);
    await t.finishInProgressScheduledFunctions();
  }
}

async function statusOf(t: TestConvex, id: WorkflowId) {
  return await t.query((ctx) => workflow.status(ctx, id));
}

async function stepsOf(t: TestConvex, id: WorkflowId): Promise<WorkflowStep[]> {
  const result = await t.query((ctx) => workflow.listSteps(ctx, id));
  expect(result.isDone).toBe(true);
  return result.page;
}

async function resultOf(t: TestConvex, id: WorkflowId): Promise<unknown> {
  const status = await statusOf(t, id);
  expect(status.type, JSON.stringify(status)).toBe("completed");
  return status.type === "completed" ? status.result : undefined;
}

function eventIdOf(step: WorkflowStep | undefined): EventId {
  expect(step?.kind).toBe("event");
  if (step?.kind !== "event") throw new Error("not an event step");
  expect(step.eventId).toBeTruthy();
  return step.eventId;
}

/** The ids `issueEventIds` handed out for a workflow, in order. */
async function issuedIds(t: TestConvex, workflowId: WorkflowId): Promise<EventId[]> {
  const rows = await t.run((ctx) => ctx.db.query("effects").collect());
  return rows.filter((r) => r.key === "eventIds" && r.workflowId === workflowId).flatMap((r) => r.value as EventId[]);
}

async function completionsOf(t: TestConvex, id: WorkflowId) {
  const rows = await t.run((ctx) => ctx.db.query("completions").collect());
  return rows.filter((r) => r.workflowId === id);
}

/** Run `fn`, expect it to throw, and return the error's message. */
async function thrown(fn: () => Promise<unknown>): Promise<string> {
  let outcome: { ok: unknown } | { error: unknown };
  try {
    outcome = { ok: await fn() };
  } catch (error) {
    outcome = { error };
  }
  if ("ok" in outcome) throw new Error(`expected an error, got ${JSON.stringify(outcome.ok)}`);
  return outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
}

describe("events", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("await first, then send by name: the waiting step is visible, then completes with the value", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => workflow.start(ctx, internal.events.awaitByName, { name: "go" }));
    const status = await statusOf(t, id);
    expect(status.type).toBe("inProgress");
    expect(status.type === "inProgress" && status.running.map((s) => [s.name, s.kind])).toEqual([["go", "event"]]);
    const [waiting] = await stepsOf(t, id);
    expect(waiting).toMatchObject({ kind: "event", name: "go", stepNumber: 0 });
    expect(waiting.runResult).toBeUndefined();
    const eventId = eventIdOf(waiting);

    const sent = await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "go", value: { a: 1 } }));
    expect(sent).toBe(eventId); // the waiting event received the value
    await drain(t);
    expect(await resultOf(t, id)).toEqual({ ok: { a: 1 } });
    const [done] = await stepsOf(t, id);
    expect(done.runResult).toEqual({ kind: "success", returnValue: { a: 1 } });
    expect(done.completedAt).toBeGreaterThanOrEqual(done.startedAt);
  });

  test("send first by name: the value is buffered until the workflow awaits it", async () => {
    const t = initConvexTest();
    // startAsync: nothing has run yet, so the send comes first.
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, { name: "go" }, { startAsync: true }),
    );
    expect(await stepsOf(t, id)).toEqual([]);
    // The standalone function this time.
    const eventId = await t.mutation((ctx) =>
      sendEvent(ctx, components.workflow, {
        workflowId: id,
        name: "go",
        value: "early",
      }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toEqual({ ok: "early" });
    const [step] = await stepsOf(t, id);
    expect(eventIdOf(step)).toBe(eventId);
    expect(step.runResult).toEqual({ kind: "success", returnValue: "early" });
  });

  test("by id (createEvent ahead of time): await first, and send first", async () => {
    const t = initConvexTest();
    const awaitFirst = await t.mutation((ctx) => workflow.start(ctx, internal.events.awaitById, { name: "ticket" }));
    // `sendFirst` sleeps 60 s between getting its id and awaiting it.
    const sendFirst = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitById, {
        name: "ticket",
        delayMs: 60_000,
      }),
    );
    await settle(t);

    const [idA] = await issuedIds(t, awaitFirst);
    const stepsA = await stepsOf(t, awaitFirst);
    expect(stepsA.map((s) => s.kind)).toEqual(["function", "event"]);
    expect(stepsA[1].runResult).toBeUndefined();
    expect(eventIdOf(stepsA[1])).toBe(idA);
    expect(stepsA[1].name).toBe(idA); // awaited by id only: the step is named after the id

    const [idB] = await issuedIds(t, sendFirst);
    expect(idB).not.toBe(idA);
    const stepsB = await stepsOf(t, sendFirst);
    expect(stepsB.map((s) => s.kind)).toEqual(["function", "sleep"]); // not awaiting yet

    expect(await t.mutation((ctx) => workflow.sendEvent(ctx, { id: idA, value: "A" }))).toBe(idA);
    expect(await t.mutation((ctx) => workflow.sendEvent(ctx, { id: idB, value: "B" }))).toBe(idB);
    await drain(t);
    expect(await resultOf(t, awaitFirst)).toEqual({ ok: "A" });
    expect(await resultOf(t, sendFirst)).toEqual({ ok: "B" });
    const lastB = (await stepsOf(t, sendFirst)).at(-1);
    expect(eventIdOf(lastB)).toBe(idB);
    expect(lastB?.runResult).toEqual({ kind: "success", returnValue: "B" });
  });

  test("a validator on the await rejects a bad value: the await throws", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, {
        name: "counter",
        validated: true,
      }),
    );
    // No validator on the sending side, so the bad value gets through to the await.
    await t.mutation((ctx) =>
      workflow.sendEvent(ctx, {
        workflowId: id,
        name: "counter",
        value: { n: "one" },
      }),
    );
    await drain(t);
    const result = (await resultOf(t, id)) as Outcome;
    expect("error" in result).toBe(true);
    expect("error" in result && result.timedOut).toBe(false);
    expect("error" in result && result.error).toMatch(/Validator error for n: Expected `number`/);
  });

  test("a validator on the send rejects a bad value before anything is sent", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, {
        name: "counter",
        validated: true,
      }),
    );
    const message = await thrown(() =>
      t.mutation((ctx) =>
        workflow.sendEvent(ctx, {
          ...counterEvent,
          workflowId: id,
          value: { n: "one" } as unknown as { n: number },
        }),
      ),
    );
    expect(message).toMatch(/Validator error for n: Expected `number`/);
    await settle(t);
    // Still waiting: the bad send delivered nothing.
    expect((await statusOf(t, id)).type).toBe("inProgress");
    expect((await stepsOf(t, id))[0].runResult).toBeUndefined();

    await t.mutation((ctx) =>
      workflow.sendEvent(ctx, {
        ...counterEvent,
        workflowId: id,
        value: { n: 7 },
      }),
    );
    await drain(t);
    expect(await resultOf(t, id)).toEqual({ ok: { n: 7 } });
  });

  test("sendEvent({ error }) makes the await throw that message", async () => {
    const t = initConvexTest();
    const byName = await t.mutation((ctx) => workflow.start(ctx, internal.events.awaitByName, { name: "charge" }));
    const byId = await t.mutation((ctx) => workflow.start(ctx, internal.events.awaitById, { name: "charge" }));
    await settle(t);
    const [eventId] = await issuedIds(t, byId);
    await t.mutation((ctx) =>
      workflow.sendEvent(ctx, {
        workflowId: byName,
        name: "charge",
        error: "card declined",
      }),
    );
    await t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, error: "card expired" }));
    await drain(t);
    expect(await resultOf(t, byName)).toEqual({
      error: "card declined",
      timedOut: false,
    });
    expect(await resultOf(t, byId)).toEqual({
      error: "card expired",
      timedOut: false,
    });
    const [step] = await stepsOf(t, byName);
    expect(step.runResult).toEqual({ kind: "failed", error: "card declined" });
  });

  test("sending twice to one event throws, naming the event, its id and the workflow", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitById, {
        name: "once",
        delayMs: 60_000,
      }),
    );
    await settle(t);
    const [eventId] = await issuedIds(t, id);
    await t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: 1 }));

    // Already sent (buffered, not consumed yet).
    const again = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: 2 })));
    expect(again).toContain(eventId);
    expect(again).toContain('"once"');
    expect(again).toContain(id);
    expect(again).toMatch(/already sent/);

    await drain(t);
    expect(await resultOf(t, id)).toEqual({ ok: 1 }); // the first send won

    // Already consumed.
    const late = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: 3 })));
    expect(late).toContain(eventId);
    expect(late).toContain('"once"');
    expect(late).toContain(id);
    expect(late).toMatch(/already consumed/);
  });

  test("unknown and malformed ids: sendEvent fails with errors naming the id", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => workflow.start(ctx, internal.events.awaitByName, { name: "go" }));

    const malformed = await thrown(() =>
      t.mutation((ctx) => workflow.sendEvent(ctx, { id: "not-an-event-id" as EventId, value: 1 })),
    );
    expect(malformed).toContain("not-an-event-id");

    // A well-formed id of another table (a workflow id) is not an event either.
    const foreign = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: id as string as EventId })));
    expect(foreign).toContain(id);

    // An event that existed but was deleted with its workflow.
    const gone = await t.mutation((ctx) => workflow.start(ctx, internal.events.awaitByName, { name: "go" }));
    const goneEvent = eventIdOf((await stepsOf(t, gone))[0]);
    await t.mutation((ctx) => workflow.cancel(ctx, gone));
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, gone))).toBe(true);
    await drain(t);
    const unknown = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: goneEvent, value: 1 })));
    expect(unknown).toContain(goneEvent);
    expect(unknown).toMatch(/not found/i);

    // The workflow that was left waiting is untouched by all of this.
    expect((await statusOf(t, id)).type).toBe("inProgress");
  });

  test("awaiting a malformed id fails with a clear error naming the id", async () => {
    const t = initConvexTest();
    const awaitBad = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitById, {
        name: "x",
        id: "not-an-event-id",
      }),
    );
    await drain(t);
    const status = await statusOf(t, awaitBad);
    const text = status.type === "failed" ? status.error : JSON.stringify(status);
    expect(status.type === "failed" || (status.type === "completed" && "error" in (status.result as Outcome))).toBe(
      true,
    );
    // A clear message naming the id (not a raw dump of the step document failing a validator).
    const firstLine = text.split("\n")[0];
    expect(firstLine).toContain("not-an-event-id");
    expect(firstLine).toMatch(/invalid event id|not a valid event id|event .*not found/i);
  });

  test("several events of one name are consumed in the order they were sent", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitSequence, { name: "tick", count: 4 }, { startAsync: true }),
    );
    // Three buffered before the workflow starts awaiting ...
    for (const value of [1, 2, 3]) {
      await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "tick", value }));
    }
    await settle(t);
    // ... consumed in order; the fourth await is waiting.
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => s.runResult)).toEqual([
      { kind: "success", returnValue: 1 },
      { kind: "success", returnValue: 2 },
      { kind: "success", returnValue: 3 },
      undefined,
    ]);
    await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "tick", value: 4 }));
    await drain(t);
    expect(await resultOf(t, id)).toEqual([{ ok: 1 }, { ok: 2 }, { ok: 3 }, { ok: 4 }]);
    const ids = (await stepsOf(t, id)).map(eventIdOf);
    expect(new Set(ids).size).toBe(4); // four distinct events, one consumer each
  });

  test("Promise.all of several awaits (by name and by id): one batch, done when all arrive", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitAll, { names: ["a", "b", "c"], ids: 2 }, { onComplete, context: null }),
    );
    await settle(t);
    const tickets = await issuedIds(t, id);
    expect(tickets).toHaveLength(2);
    const waiting = (await stepsOf(t, id)).slice(1);
    expect(waiting.map((s) => s.stepNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(waiting.map((s) => s.name)).toEqual(["a", "b", "c", ...tickets]);
    expect(waiting.every((s) => s.kind === "event" && s.runResult === undefined)).toBe(true);
    const status = await statusOf(t, id);
    expect(status.type === "inProgress" && status.running.length).toBe(5);

    // In reverse order; the workflow must not move on until the last one.
    await t.mutation((ctx) => workflow.sendEvent(ctx, { id: tickets[1], value: "t2" }));
    await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "c", value: "C" }));
    await t.mutation((ctx) => workflow.sendEvent(ctx, { id: tickets[0], value: "t1" }));
    await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "b", value: "B" }));
    await settle(t);
    expect((await statusOf(t, id)).type).toBe("inProgress");
    expect(await completionsOf(t, id)).toHaveLength(0);

    await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "a", value: "A" }));
    await drain(t);
    expect(await resultOf(t, id)).toEqual([{ ok: "A" }, { ok: "B" }, { ok: "C" }, { ok: "t1" }, { ok: "t2" }]);
    expect(await completionsOf(t, id)).toHaveLength(1);
  });

  test("awaiting an id that is already awaited (or consumed) is an error naming the event and workflow", async () => {
    const t = initConvexTest();
    const parallel = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitIdTwice, { parallel: true }, { onComplete, context: null }),
    );
    await settle(t);
    const [eventId] = await issuedIds(t, parallel);
    // Two awaits of one id in one batch: the second is refused.
    const status = await statusOf(t, parallel);
    const text =
      status.type === "failed"
        ? status.error
        : status.type === "completed"
          ? ((status.result as Outcome[]).find((r) => "error" in r) as { error: string } | undefined)?.error
          : undefined;
    expect(text, JSON.stringify(status)).toBeDefined();
    expect(text).toMatch(/already awaited/);
    expect(text).toContain(eventId);
    expect(text).toContain(parallel);
    // Nothing left waiting on it: a send by id is not delivered to a phantom step.
    await drain(t);
    expect(await completionsOf(t, parallel)).toHaveLength(1);
    expect((await stepsOf(t, parallel)).every((s) => s.runResult !== undefined)).toBe(true);

    const sequential = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitIdTwice, { parallel: false }),
    );
    await settle(t);
    const [seqId] = await issuedIds(t, sequential);
    await t.mutation((ctx) => workflow.sendEvent(ctx, { id: seqId, value: "only" }));
    await drain(t);
    const status2 = await statusOf(t, sequential);
    const text2 =
      status2.type === "failed" ? status2.error : JSON.stringify(status2.type === "completed" && status2.result);
    expect(text2).toMatch(/already consumed/);
    expect(text2).toContain(seqId);
    if (status2.type === "completed") expect((status2.result as Outcome[])[0]).toEqual({ ok: "only" });
  });

  test("createEvent (standalone) hands out an id before the workflow asks for it", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, { name: "other" }, { startAsync: true }),
    );
    const eventId = await t.mutation((ctx) => createEvent(ctx, components.workflow, { name: "go", workflowId: id }));
    expect(typeof eventId).toBe("string");
    // Sent by id before anyone awaits: buffered; a second send to it is refused.
    await t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: "pre" }));
    expect(await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: "x" })))).toMatch(
      /already sent/,
    );
    // A name mismatch between the id and the send is refused too.
    const other = await t.mutation((ctx) => workflow.createEvent(ctx, { name: "go", workflowId: id }));
    expect(
      await thrown(() =>
        t.mutation((ctx) =>
          workflow.sendEvent(ctx, {
            id: other,
            name: "nope" as "go",
            value: 1,
          }),
        ),
      ),
    ).toContain(other);
  });
});

describe("awaitEvent with a timeout", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("the deadline fires: isTimeoutError, `timed out`, then the id is closed and a send by name is buffered", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, { name: "late", timeoutMs: 60_000 }, { onComplete, context: 1 }),
    );
    const [step] = await stepsOf(t, id);
    const eventId = eventIdOf(step);
    await drain(t); // runs every timer: the deadline passes
    const result = (await resultOf(t, id)) as Outcome;
    expect("error" in result && result.timedOut).toBe(true);
    expect("error" in result && result.error).toContain("timed out");
    const [after] = await stepsOf(t, id);
    expect(after.runResult?.kind).toBe("failed");
    expect(after.runResult?.kind === "failed" && after.runResult.error).toContain("timed out");

    const byId = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: 1 })));
    expect(byId).toContain(eventId);
    expect(byId).toContain(id);
    expect(byId).toMatch(/timed out|closed/);
    // By name: accepted as a new, buffered event.
    const buffered = await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "late", value: 1 }));
    expect(buffered).not.toBe(eventId);
    expect(await completionsOf(t, id)).toHaveLength(1);
  });

  test("a send 1 ms before the deadline is delivered and the deadline never fires", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, { name: "race", timeoutMs: 60_000 }, { onComplete, context: 1 }),
    );
    const [step] = await stepsOf(t, id);
    const deadline = step.startedAt + 60_000;
    await vi.advanceTimersByTimeAsync(deadline - 1 - Date.now());
    await t.finishInProgressScheduledFunctions();
    expect(Date.now()).toBe(deadline - 1);
    expect((await statusOf(t, id)).type).toBe("inProgress");

    await t.mutation((ctx) =>
      workflow.sendEvent(ctx, {
        workflowId: id,
        name: "race",
        value: "in time",
      }),
    );
    await drain(t); // well past the deadline
    expect(await resultOf(t, id)).toEqual({ ok: "in time" });
    const [done] = await stepsOf(t, id);
    expect(done.runResult).toEqual({ kind: "success", returnValue: "in time" });
    const completions = await completionsOf(t, id);
    expect(completions).toHaveLength(1);
    expect(completions[0].result).toEqual({
      kind: "success",
      returnValue: { ok: "in time" },
    });
    // Delivered, so closed to further sends by id as consumed (not as timed out).
    const again = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventIdOf(done), value: 2 })));
    expect(again).toMatch(/consumed/);
  });

  test("a send 1 ms after the deadline: by id it throws, by name it goes to the next await", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) =>
      workflow.start(
        ctx,
        internal.events.awaitAfterTimeout,
        { name: "race", timeoutMs: 60_000, pauseMs: 60_000 },
        { onComplete, context: 1 },
      ),
    );
    const [step] = await stepsOf(t, id);
    const eventId = eventIdOf(step);
    const deadline = step.startedAt + 60_000;
    await vi.advanceTimersByTimeAsync(deadline + 1 - Date.now());
    await t.finishInProgressScheduledFunctions();
    await settle(t, 1_000); // the replay after the timeout: the workflow is now sleeping
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => s.kind)).toEqual(["event", "sleep"]);
    expect(steps[0].runResult?.kind === "failed" && steps[0].runResult.error).toContain("timed out");

    const byId = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: "by id" })));
    expect(byId).toContain(eventId);
    expect(byId).toContain(id);
    expect(byId).toMatch(/timed out|closed/);
    const buffered = await t.mutation((ctx) =>
      workflow.sendEvent(ctx, {
        workflowId: id,
        name: "race",
        value: "by name",
      }),
    );
    expect(buffered).not.toBe(eventId);

    await drain(t);
    expect(await resultOf(t, id)).toEqual({
      first: { error: expect.stringContaining("timed out"), timedOut: true },
      second: { ok: "by name" },
    });
    const final = await stepsOf(t, id);
    expect(final.map((s) => s.kind)).toEqual(["event", "sleep", "event"]);
    expect(eventIdOf(final[2])).toBe(buffered);
    expect(final[0].runResult?.kind).toBe("failed"); // exactly one outcome for the first wait
    expect(await completionsOf(t, id)).toHaveLength(1);
  });
});

describe("approvals.ts: a human approval with a deadline", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const alice = {
    tokenIdentifier: "test|alice",
    subject: "alice",
    name: "Alice",
  };
  const bob = { tokenIdentifier: "test|bob", subject: "bob", name: "Bob" };

  async function request(t: TestConvex, title: string, timeoutMs = 60 * 60_000): Promise<WorkflowId> {
    const id = await t.withIdentity(alice).mutation(api.approvals.requestApproval, {
      title,
      approver: bob.tokenIdentifier,
      timeoutMs,
    });
    return id;
  }

  test("approve, reject, and time out", async () => {
    const t = initConvexTest();
    const approved = await request(t, "expense 1");
    const rejected = await request(t, "expense 2");
    const ignored = await request(t, "expense 3");
    await settle(t);
    const pending = await t.withIdentity(bob).query(api.approvals.myPendingApprovals, {});
    expect((pending as { title: string }[]).map((r) => r.title).sort()).toEqual([
      "expense 1",
      "expense 2",
      "expense 3",
    ]);

    // Not signed in, or signed in as someone else: refused, and nothing is sent.
    expect(
      await thrown(() =>
        t.mutation(api.approvals.decide, {
          workflowId: approved,
          approved: true,
        }),
      ),
    ).toMatch(/Not authenticated/);
    expect(
      await thrown(() =>
        t.withIdentity(alice).mutation(api.approvals.decide, {
          workflowId: approved,
          approved: true,
        }),
      ),
    ).toMatch(/not found/);

    await t.withIdentity(bob).mutation(api.approvals.decide, {
      workflowId: approved,
      approved: true,
      comment: "ok",
    });
    await t.withIdentity(bob).mutation(api.approvals.decide, {
      workflowId: rejected,
      approved: false,
    });
    // Deciding twice is refused.
    expect(
      await thrown(() =>
        t.withIdentity(bob).mutation(api.approvals.decide, {
          workflowId: rejected,
          approved: true,
        }),
      ),
    ).toMatch(/already rejected/);
    await settle(t);
    expect(await resultOf(t, approved)).toEqual({
      outcome: "approved",
      comment: "ok",
    });
    expect(await resultOf(t, rejected)).toEqual({ outcome: "rejected" });
    expect((await statusOf(t, ignored)).type).toBe("inProgress");

    await drain(t); // the hour passes
    expect(await resultOf(t, ignored)).toEqual({ outcome: "timedOut" });
    const rows = await t.run((ctx) => ctx.db.query("approvalRequests").collect());
    expect(Object.fromEntries(rows.map((r) => [r.title, r.status]))).toEqual({
      "expense 1": "approved",
      "expense 2": "rejected",
      "expense 3": "timedOut",
    });
  });

  test("a decision after the deadline fails loudly and records nothing", async () => {
    const t = initConvexTest();
    const id = await request(t, "late", 60_000);
    await settle(t);
    const [row] = await t.run((ctx) => ctx.db.query("approvalRequests").collect());
    const awaitStep = (await stepsOf(t, id)).find((s) => s.kind === "event");
    expect(eventIdOf(awaitStep)).toBe(row.eventId); // the id handed out ahead of time is the one awaited
    // Past the deadline, before the workflow's expireRequest step has run.
    await vi.advanceTimersByTimeAsync(awaitStep!.startedAt + 60_000 + 1 - Date.now());
    await t.finishInProgressScheduledFunctions();
    const message = await thrown(() =>
      t.withIdentity(bob).mutation(api.approvals.decide, { workflowId: id, approved: true }),
    );
    expect(message).toContain(row.eventId);
    expect(message).toMatch(/timed out|closed|already timedOut/);
    await drain(t);
    expect(await resultOf(t, id)).toEqual({ outcome: "timedOut" });
    const [after] = await t.run((ctx) => ctx.db.query("approvalRequests").collect());
    expect(after.status).toBe("timedOut");
    expect(after.decidedAt).toBeUndefined();
  });
});
