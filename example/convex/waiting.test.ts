// Waiting (docs/events.md): `step.waitUntil` + `notify` (payments.ts), and how condition waits
// and awaited events behave under cancel, restart and cleanup (events.ts).
//
// The condition query's runs are counted by wrapping its handler (convex-test calls the
// exported function's `_handler` on every run), and cross-checked with the `checks`
// counter the engine keeps on the waiting step (visible in `status().running`).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { EventId, WorkflowId, WorkflowStatus, WorkflowStep } from "convex-workflow";
import { internal } from "./_generated/api.js";
import { workflow } from "./events.js";
import * as payments from "./payments.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const onComplete = internal.events.recordCompletion;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------
// Counting condition checks

let conditionRuns = 0;
const condition = payments.amountPaid as unknown as { _handler: (...args: unknown[]) => unknown };
const originalHandler = condition._handler;

beforeEach(() => {
  vi.useFakeTimers();
  conditionRuns = 0;
  condition._handler = (...args: unknown[]) => {
    conditionRuns++;
    return originalHandler(...args);
  };
});
afterEach(() => {
  condition._handler = originalHandler;
  vi.useRealTimers();
});

/** How many checks a wait makes in `elapsedMs` with the given back-off (the first is at once). */
function expectedChecks(elapsedMs: number, pollInterval = 1_000, maxPollInterval = 30 * MINUTE): number {
  let checks = 1;
  let at = 0;
  let next = pollInterval;
  while (at + next <= elapsedMs) {
    at += next;
    checks++;
    next = Math.min(next * 2, maxPollInterval);
  }
  return checks;
}

// ---------------------------------------------------------------------------------------
// Helpers

/** Advance fake time by `ms` in `chunk`s, finishing whatever comes due on the way. */
async function settle(t: TestConvex, ms = 2_000, chunk = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += chunk) {
    await vi.advanceTimersByTimeAsync(Math.min(chunk, ms - elapsed));
    await t.finishInProgressScheduledFunctions();
  }
}

async function statusOf(t: TestConvex, id: WorkflowId): Promise<WorkflowStatus> {
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

/** The engine's own count of checks of the waiting "payment" step (undefined if not waiting). */
function checksOf(status: WorkflowStatus): number | undefined {
  if (status.type !== "inProgress") return undefined;
  const step = status.running.find((s) => s.name === "payment") as { wait?: { checks: number } } | undefined;
  return step?.wait?.checks;
}

async function startPayment(
  t: TestConvex,
  args: {
    orderId: string;
    amountCents: number;
    timeoutMs?: number;
    pollIntervalMs?: number;
    maxPollIntervalMs?: number;
  },
): Promise<WorkflowId> {
  return await t.mutation((ctx) =>
    workflow.start(ctx, internal.payments.awaitPayment, args, { onComplete, context: args.orderId }),
  );
}

async function pay(t: TestConvex, orderId: string, amountCents: number, reference = "ref"): Promise<void> {
  await t.mutation(internal.payments.recordPayment, { orderId, amountCents, reference });
}

/** A payment written without `notify` (some other path): only the back-off will notice it. */
async function paySilently(t: TestConvex, orderId: string, amountCents: number): Promise<void> {
  await t.run((ctx) => ctx.db.insert("invoicePayments", { orderId, amountCents, reference: "silent" }));
}

async function invoiceStatus(t: TestConvex, orderId: string) {
  const rows = await t.run((ctx) => ctx.db.query("invoices").collect());
  return rows.find((r) => r.orderId === orderId)?.status;
}

async function completionsOf(t: TestConvex, id: WorkflowId) {
  const rows = await t.run((ctx) => ctx.db.query("completions").collect());
  return rows.filter((r) => r.workflowId === id);
}

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

function eventIdOf(step: WorkflowStep | undefined): EventId {
  if (step?.kind !== "event") throw new Error(`not an event step: ${JSON.stringify(step)}`);
  return step.eventId;
}

// ---------------------------------------------------------------------------------------

describe("waitUntil", () => {
  test("resolves promptly on notify; visible in status and listSteps while waiting; one journal entry", async () => {
    const t = initConvexTest();
    const startedAt = Date.now();
    // A 10-minute back-off, so only notify can explain a prompt resolution.
    const id = await startPayment(t, { orderId: "o1", amountCents: 500, timeoutMs: HOUR, pollIntervalMs: 10 * MINUTE });
    await settle(t);

    const waiting = await statusOf(t, id);
    expect(waiting.type).toBe("inProgress");
    expect(waiting.type === "inProgress" && waiting.running.map((s) => s.name)).toEqual(["payment"]);
    expect(checksOf(waiting)).toBe(1); // checked once, at once
    expect(conditionRuns).toBe(1);
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => [s.name, s.kind, s.runResult?.kind])).toEqual([
      ["payments:openInvoice", "function", "success"],
      ["payment", "function", undefined],
    ]);
    expect(steps[1].args).toEqual({ orderId: "o1", amountCents: 500 });

    // Not enough yet: notify re-checks, the condition is still false.
    await pay(t, "o1", 200);
    await settle(t, 500);
    expect(checksOf(await statusOf(t, id))).toBe(2);
    expect(conditionRuns).toBe(2);

    await pay(t, "o1", 300);
    await settle(t);
    expect(await resultOf(t, id)).toEqual({ status: "paid", paidCents: 500 });
    expect(Date.now() - startedAt).toBeLessThan(10 * SECOND);
    expect(conditionRuns).toBe(3);
    expect(await invoiceStatus(t, "o1")).toBe("paid");
    const done = await stepsOf(t, id);
    expect(done.map((s) => s.name)).toEqual(["payments:openInvoice", "payment", "payments:closeInvoice"]);
    expect(done[1].runResult).toEqual({ kind: "success", returnValue: { paidCents: 500 } });
    expect(await completionsOf(t, id)).toHaveLength(1);
  });

  test("an event sent to the workflow also re-checks its conditions promptly", async () => {
    const t = initConvexTest();
    const id = await startPayment(t, { orderId: "o5", amountCents: 100, timeoutMs: HOUR, pollIntervalMs: 10 * MINUTE });
    await settle(t);
    await paySilently(t, "o5", 100);
    await settle(t);
    expect((await statusOf(t, id)).type).toBe("inProgress"); // the next back-off check is 10 min away
    // An event nobody awaits: it is buffered, and it nudges the waiting condition.
    await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "anything", value: null }));
    await settle(t);
    expect(await resultOf(t, id)).toEqual({ status: "paid", paidCents: 100 });
    expect(conditionRuns).toBe(2);
  });

  test("resolves on the back-off alone, at the first check after the condition holds", async () => {
    const t = initConvexTest();
    // Checks at 0 s, 10 s, 30 s, 70 s, 110 s, ... (10 s doubling, capped at 40 s).
    const id = await startPayment(t, {
      orderId: "o2",
      amountCents: 100,
      timeoutMs: HOUR,
      pollIntervalMs: 10 * SECOND,
      maxPollIntervalMs: 40 * SECOND,
    });
    await settle(t, 1_000);
    const [, payment] = await stepsOf(t, id);
    const waitStart = payment.startedAt;
    await settle(t, waitStart + 45 * SECOND - Date.now(), 500);
    expect(conditionRuns).toBe(3);
    expect(checksOf(await statusOf(t, id))).toBe(3);

    await paySilently(t, "o2", 100); // no notify
    await settle(t, waitStart + 69 * SECOND - Date.now(), 500);
    expect((await statusOf(t, id)).type).toBe("inProgress"); // the next check is at 70 s
    await settle(t, 3 * SECOND, 500);
    expect(await resultOf(t, id)).toEqual({ status: "paid", paidCents: 100 });
    expect(conditionRuns).toBe(4);

    // However many checks, the wait is one journal entry.
    const steps = await stepsOf(t, id);
    expect(steps.filter((s) => s.name === "payment")).toHaveLength(1);
    expect(steps).toHaveLength(3);
  });

  test("times out: the await rejects with a `timed out` error that isTimeoutError recognises", async () => {
    const t = initConvexTest();
    const id = await startPayment(t, {
      orderId: "o3",
      amountCents: 100,
      timeoutMs: MINUTE,
      pollIntervalMs: 10 * SECOND,
    });
    await settle(t, 59 * SECOND, 1_000);
    expect((await statusOf(t, id)).type).toBe("inProgress");
    await settle(t, 5 * SECOND, 500); // past the deadline, in small steps so the clock is exact
    // awaitPayment returns "expired" only when isTimeoutError(error) is true; otherwise it rethrows.
    expect(await resultOf(t, id)).toEqual({ status: "expired" });
    expect(await invoiceStatus(t, "o3")).toBe("expired");
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => s.name)).toEqual(["payments:openInvoice", "payment", "payments:closeInvoice"]);
    const wait = steps[1];
    expect(wait.runResult?.kind).toBe("failed");
    expect(wait.runResult?.kind === "failed" && wait.runResult.error).toContain("timed out");
    // It gave up at the deadline, not later.
    expect(wait.completedAt! - wait.startedAt).toBeGreaterThanOrEqual(MINUTE);
    expect(wait.completedAt! - wait.startedAt).toBeLessThan(MINUTE + SECOND);
    const runs = conditionRuns;
    expect(runs).toBeGreaterThanOrEqual(expectedChecks(MINUTE, 10 * SECOND)); // 0, 10, 30 s, and the deadline
    // A payment after the deadline changes nothing.
    await pay(t, "o3", 100);
    await drain(t);
    expect(await resultOf(t, id)).toEqual({ status: "expired" });
    expect(conditionRuns).toBe(runs);
    expect(await completionsOf(t, id)).toHaveLength(1);
  });

  test("cost: a week-long wait with no notify makes a few hundred checks, and stays one journal entry", async () => {
    const t = initConvexTest();
    // Default back-off (1 s doubling to 30 min); no timeout, so it is still waiting after the week.
    const id = await startPayment(t, { orderId: "o4", amountCents: 100, timeoutMs: 0 });
    await settle(t, 1_000);
    for (let elapsed = 0; elapsed < 7 * DAY; elapsed += HOUR) {
      await vi.advanceTimersByTimeAsync(HOUR);
      await t.finishInProgressScheduledFunctions();
    }
    const status = await statusOf(t, id);
    expect(status.type).toBe("inProgress");
    const expected = expectedChecks(7 * DAY); // 346 with the defaults
    console.info(
      `week-long waitUntil: ${conditionRuns} condition runs, engine counted ${checksOf(status)}, back-off predicts ${expected}`,
    );
    expect(checksOf(status)).toBe(conditionRuns);
    expect(conditionRuns).toBeLessThanOrEqual(400);
    // And it really did keep checking, on the back-off (not e.g. once and never again).
    expect(conditionRuns).toBeGreaterThanOrEqual(Math.floor(expected * 0.9));
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => [s.name, s.runResult?.kind])).toEqual([
      ["payments:openInvoice", "success"],
      ["payment", undefined],
    ]);
    // The payment still gets through promptly at the end.
    await pay(t, "o4", 100);
    await settle(t);
    expect(await resultOf(t, id)).toEqual({ status: "paid", paidCents: 100 });
  });
});

describe("cancel, restart and cleanup while waiting", () => {
  test("cancel: the waits end, nothing fires later, onComplete runs once", async () => {
    const t = initConvexTest();
    const pay1 = await startPayment(t, {
      orderId: "c1",
      amountCents: 100,
      timeoutMs: HOUR,
      pollIntervalMs: 10 * SECOND,
    });
    const event = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, { name: "go", timeoutMs: HOUR }, { onComplete, context: "e" }),
    );
    await settle(t, 15 * SECOND, 500);
    expect((await statusOf(t, pay1)).type).toBe("inProgress");
    expect((await statusOf(t, event)).type).toBe("inProgress");

    await t.mutation((ctx) => workflow.cancel(ctx, pay1));
    await t.mutation((ctx) => workflow.cancel(ctx, event));
    const runsAtCancel = conditionRuns;
    const paySteps = await stepsOf(t, pay1);
    const eventSteps = await stepsOf(t, event);
    expect(paySteps[1].name).toBe("payment");
    expect(paySteps[1].runResult).toEqual({ kind: "canceled" });
    expect(eventSteps[0].runResult).toEqual({ kind: "canceled" });

    // Well past every deadline and back-off: nothing runs, nothing changes.
    await drain(t);
    await vi.advanceTimersByTimeAsync(30 * DAY);
    await t.finishInProgressScheduledFunctions();
    expect(await statusOf(t, pay1)).toEqual({ type: "canceled" });
    expect(await statusOf(t, event)).toEqual({ type: "canceled" });
    expect(await stepsOf(t, pay1)).toEqual(paySteps);
    expect(await stepsOf(t, event)).toEqual(eventSteps);
    expect(conditionRuns).toBe(runsAtCancel);
    // Nor does a late payment or notify wake anything.
    await pay(t, "c1", 100);
    await drain(t);
    expect(conditionRuns).toBe(runsAtCancel);
    expect(await stepsOf(t, pay1)).toEqual(paySteps);
    for (const id of [pay1, event]) {
      const completions = await completionsOf(t, id);
      expect(completions).toHaveLength(1);
      expect(completions[0].result).toEqual({ kind: "canceled" });
    }
  });

  test("restart from the waiting step: a fresh wait (one journal entry), old event gone", async () => {
    const t = initConvexTest();
    const pay1 = await startPayment(t, {
      orderId: "r1",
      amountCents: 100,
      timeoutMs: HOUR,
      pollIntervalMs: 10 * MINUTE,
    });
    const event = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitByName, { name: "go", timeoutMs: HOUR }, { onComplete, context: "e" }),
    );
    await settle(t);
    const oldEventId = eventIdOf((await stepsOf(t, event))[0]);
    await t.mutation((ctx) => workflow.cancel(ctx, pay1));
    await t.mutation((ctx) => workflow.cancel(ctx, event));
    // Restart is only for finished workflows, so: cancel, then restart from the wait.
    await t.mutation((ctx) => workflow.restart(ctx, pay1, { from: "payment" }));
    await t.mutation((ctx) => workflow.restart(ctx, event, { from: "go" }));
    await settle(t);

    const paySteps = await stepsOf(t, pay1);
    expect(paySteps.map((s) => [s.name, s.runResult?.kind])).toEqual([
      ["payments:openInvoice", "success"],
      ["payment", undefined],
    ]);
    expect(checksOf(await statusOf(t, pay1))).toBe(1);
    const eventSteps = await stepsOf(t, event);
    expect(eventSteps).toHaveLength(1);
    expect(eventSteps[0].runResult).toBeUndefined();
    const newEventId = eventIdOf(eventSteps[0]);
    expect(newEventId).not.toBe(oldEventId);
    // The event of the deleted step was deleted with it.
    expect(await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: oldEventId, value: 1 })))).toContain(
      oldEventId,
    );

    await pay(t, "r1", 100);
    await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: event, name: "go", value: "again" }));
    await drain(t);
    expect(await resultOf(t, pay1)).toEqual({ status: "paid", paidCents: 100 });
    expect(await resultOf(t, event)).toEqual({ ok: "again" });
    expect((await stepsOf(t, pay1)).filter((s) => s.name === "payment")).toHaveLength(1);
    expect(await stepsOf(t, event)).toHaveLength(1);
    // One onComplete per run: the cancel, then the restarted run.
    expect((await completionsOf(t, event)).map((c) => c.result.kind)).toEqual(["canceled", "success"]);
  });

  test("cleanup: refused while waiting; after cancel it removes steps and every event, nothing fires", async () => {
    const t = initConvexTest();
    // Awaits "a" by name and one ticket by id.
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.events.awaitAll, { names: ["a"], ids: 1 }, { onComplete, context: "c" }),
    );
    const pay1 = await startPayment(t, {
      orderId: "k1",
      amountCents: 100,
      timeoutMs: HOUR,
      pollIntervalMs: 10 * SECOND,
    });
    await settle(t);
    const steps = await stepsOf(t, id);
    const awaited = steps.filter((s) => s.kind === "event").map(eventIdOf);
    expect(awaited).toHaveLength(2);
    // Also a buffered event nobody awaits, and one made ahead of time and never sent.
    const buffered = await t.mutation((ctx) => workflow.sendEvent(ctx, { workflowId: id, name: "z", value: 1 }));
    const unsent = await t.mutation((ctx) => workflow.createEvent(ctx, { name: "y", workflowId: id }));

    expect(await t.mutation((ctx) => workflow.cleanup(ctx, id))).toBe(false);
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, pay1))).toBe(false);
    expect(await stepsOf(t, id)).toEqual(steps);
    expect((await statusOf(t, pay1)).type).toBe("inProgress");

    await t.mutation((ctx) => workflow.cancel(ctx, id));
    await t.mutation((ctx) => workflow.cancel(ctx, pay1));
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, id))).toBe(true);
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, pay1))).toBe(true);
    const runsAtCleanup = conditionRuns;
    await drain(t);
    expect(await stepsOf(t, id)).toEqual([]);
    expect(await stepsOf(t, pay1)).toEqual([]);
    for (const eventId of [...awaited, buffered, unsent]) {
      const message = await thrown(() => t.mutation((ctx) => workflow.sendEvent(ctx, { id: eventId, value: 1 })));
      expect(message).toContain(eventId);
      expect(message).toMatch(/not found/i);
    }
    expect(conditionRuns).toBe(runsAtCleanup);
    expect(await completionsOf(t, id)).toHaveLength(1);
  });
});
