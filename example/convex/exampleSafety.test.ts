// The example app is the pattern users copy, so it is tested as an adversary would use it:
// caller-supplied values are bounded before anything is stored, events are not sent to a
// workflow that has ended, users see safe error messages, and no secret lands in workflow args.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import { MAX_APPROVAL_TIMEOUT_MS } from "./approvals.js";
import { workflow } from "./example.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const ALICE = { tokenIdentifier: "test|alice", subject: "alice", name: "Alice" };
const BOB = { tokenIdentifier: "test|bob", subject: "bob", name: "Bob" };

async function thrown(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("expected the call to throw");
}

/** Blast radius: whatever was refused, an unrelated workflow still runs to completion. */
async function expectUnrelatedWorkflowCompletes(t: TestConvex) {
  const id = await t.mutation((ctx) => workflow.start(ctx, internal.example.greeting, { name: "Ada" }));
  await drain(t);
  expect(await t.query((ctx) => workflow.status(ctx, id))).toEqual({ type: "completed", result: "HELLO, ADA!" });
}

/** Let scheduled steps run for a while without reaching far-off deadlines. */
async function settle(t: TestConvex, ms = 2_000, chunk = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += chunk) {
    await vi.advanceTimersByTimeAsync(chunk);
    await t.finishInProgressScheduledFunctions();
  }
}

async function workflowCount(t: TestConvex): Promise<number> {
  return (await t.query((ctx) => workflow.list(ctx))).page.length;
}

describe("example app: the safe pattern", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("requestApproval refuses a deadline that is not a bounded integer, storing nothing", async () => {
    const t = initConvexTest();
    const alice = t.withIdentity(ALICE);
    for (const timeoutMs of [Infinity, -Infinity, NaN, 0, -5, 1.5, 1e300, MAX_APPROVAL_TIMEOUT_MS + 1]) {
      const message = await thrown(() =>
        alice.mutation(api.approvals.requestApproval, { title: "t", approver: BOB.tokenIdentifier, timeoutMs }),
      );
      expect(message).toContain(`timeoutMs must be an integer from 1 to ${MAX_APPROVAL_TIMEOUT_MS} (30 days)`);
    }
    expect(
      await thrown(() =>
        alice.mutation(api.approvals.requestApproval, { title: "x".repeat(201), approver: BOB.tokenIdentifier }),
      ),
    ).toContain("title must be 1 to 200 characters, got 201");
    expect(await workflowCount(t)).toBe(0);
    expect(await t.run((ctx) => ctx.db.query("approvalRequests").collect())).toEqual([]);
    // The largest allowed deadline is accepted.
    await alice.mutation(api.approvals.requestApproval, {
      title: "t",
      approver: BOB.tokenIdentifier,
      timeoutMs: MAX_APPROVAL_TIMEOUT_MS,
    });
    expect(await workflowCount(t)).toBe(1);
    await expectUnrelatedWorkflowCompletes(t);
  });

  test("decide after the workflow was canceled is refused and records nothing", async () => {
    const t = initConvexTest();
    const id = await t.withIdentity(ALICE).mutation(api.approvals.requestApproval, {
      title: "expense",
      approver: BOB.tokenIdentifier,
      timeoutMs: 60_000,
    });
    await settle(t); // the request is open and the workflow waits for the decision
    await t.mutation((ctx) => workflow.cancel(ctx, id));
    const message = await thrown(() =>
      t.withIdentity(BOB).mutation(api.approvals.decide, { workflowId: id, approved: true }),
    );
    expect(message).toBe(`Approval request ${id} is closed: its workflow is canceled`);
    const [request] = await t.run((ctx) => ctx.db.query("approvalRequests").collect());
    expect(request.status).toBe("pending");
    expect(request.decidedAt).toBeUndefined();
    expect(await t.query((ctx) => workflow.status(ctx, id))).toEqual({ type: "canceled" });
    await expectUnrelatedWorkflowCompletes(t);
  });

  test("getRun tells the owner a failed run failed without its raw error", async () => {
    const t = initConvexTest();
    const alice = t.withIdentity(ALICE);
    // A transcription whose model fails more often than its retry policy allows.
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.transcription.transcribe, { audioUrl: "https://e.com/a.mp3", flakyFailures: 10 }),
    );
    await t.run((ctx) =>
      ctx.db.insert("workflowOwners", {
        workflowId: id,
        owner: ALICE.tokenIdentifier,
        kind: "transcription",
        label: "a.mp3",
        status: "running",
      }),
    );
    await drain(t);
    const raw = await t.query((ctx) => workflow.status(ctx, id));
    expect(raw.type === "failed" && raw.error).toContain("overloaded"); // operators still see it

    const run = await alice.query(api.runs.getRun, { workflowId: id });
    expect(run.error).toBe(
      `We could not transcribe this audio. Please try again, or contact support with reference ${id}.`,
    );
    expect(JSON.stringify(run)).not.toMatch(/overloaded|\n\s+at |\.ts:\d+/);
  });

  test("an order carries a payment-method token, never a card number", async () => {
    const t = initConvexTest();
    await t.mutation(internal.orders.restock, { sku: "mug", quantity: 10 });
    const alice = t.withIdentity(ALICE);
    for (const paymentMethod of ["4242-4242-4242-4242", "4242424242424242", "pm_", "pm_x y"]) {
      expect(await thrown(() => alice.mutation(api.runs.startOrder, { sku: "mug", quantity: 1, paymentMethod }))).toBe(
        "paymentMethod must be the payment provider's token for the card (pm_…), never a card number",
      );
    }
    for (const quantity of [0, 1.5, NaN, Infinity, 1001]) {
      expect(
        await thrown(() =>
          alice.mutation(api.runs.startOrder, { sku: "mug", quantity, paymentMethod: "pm_card_visa_4242" }),
        ),
      ).toContain("quantity must be an integer from 1 to 1000");
    }
    expect(await workflowCount(t)).toBe(0);

    const id = await alice.mutation(api.runs.startOrder, {
      sku: "mug",
      quantity: 1,
      paymentMethod: "pm_card_visa_4242",
    });
    await drain(t);
    const steps = await t.query((ctx) => workflow.listSteps(ctx, id));
    const stored = JSON.stringify({ steps: steps.page, workflows: (await t.query((ctx) => workflow.list(ctx))).page });
    expect(stored).toContain("pm_card_visa_4242");
    expect(stored).not.toContain("4242-4242");
    expect(Object.keys((await t.query((ctx) => workflow.list(ctx))).page[0].args as object).sort()).toEqual([
      "paymentMethod",
      "quantity",
      "sku",
    ]);
  });

  test("startBatch and startTranscription bound the size of what they store", async () => {
    const t = initConvexTest();
    const alice = t.withIdentity(ALICE);
    expect(await thrown(() => alice.mutation(api.runs.startBatch, { items: ["ok", "x".repeat(201)] }))).toBe(
      "Batch item 1 must be 1 to 200 characters, got 201",
    );
    expect(
      await thrown(() =>
        alice.mutation(api.runs.startTranscription, { audioUrl: "https://e.com/" + "a".repeat(3000) }),
      ),
    ).toContain("audioUrl must be 1 to 2048 characters");
    expect(await workflowCount(t)).toBe(0);
    await expectUnrelatedWorkflowCompletes(t);
  });
});
