// The example workflows (transcription.ts, orders.ts, batch.ts), started the way a client
// would: through the authenticated public API in runs.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import { workflow } from "./example.js";
import { DECLINED_PAYMENT_METHOD } from "./orders.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const ALICE = { subject: "alice", name: "Alice" };
const BOB = { subject: "bob", name: "Bob" };

async function completionsOf(t: TestConvex, workflowId: string) {
  const rows = await t.run((ctx) => ctx.db.query("completions").collect());
  return rows.filter((r) => r.workflowId === workflowId);
}

describe("example workflows", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("transcription: parallel models, the flaky one retried until it succeeds", async () => {
    const t = initConvexTest();
    const alice = t.withIdentity(ALICE);
    const id = await alice.mutation(api.runs.startTranscription, { audioUrl: "https://example.com/talk.mp3" });
    await drain(t);

    const run = await alice.query(api.runs.getRun, { workflowId: id });
    expect(run.status).toBe("completed");
    expect(run.result).toMatchObject({ model: "accurate", confidence: 0.97 });
    expect(run.steps.map((s) => s.name)).toEqual([
      "transcription:fetchAudio",
      "transcription:transcribeWithModel",
      "transcription:transcribeWithModel",
      "transcription:saveTranscript",
    ]);
    expect(run.steps.every((s) => s.done)).toBe(true);

    // The accurate model failed twice and succeeded on its third attempt; the fast one ran once.
    const attempts = await t.run((ctx) => ctx.db.query("attempts").collect());
    expect(Object.fromEntries(attempts.map((a) => [a.key.split("/")[1], a.count]))).toEqual({ fast: 1, accurate: 3 });
    const transcripts = await t.run((ctx) => ctx.db.query("transcripts").collect());
    expect(transcripts).toHaveLength(1);
    expect(transcripts[0]._id).toBe((run.result as { transcriptId: string }).transcriptId);

    const completions = await completionsOf(t, id);
    expect(completions).toHaveLength(1);
    expect(completions[0].result.kind).toBe("success");
    expect(completions[0].context).toEqual({ kind: "transcription" });
  });

  test("transcription fails once retries are exhausted", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.transcription.transcribe, {
        audioUrl: "https://example.com/x.mp3",
        flakyFailures: 10,
      }),
    );
    await drain(t);
    const status = await t.query(async (ctx) => workflow.status(ctx, id));
    expect(status.type).toBe("failed");
    expect(status.type === "failed" && status.error).toContain("overloaded");
    const attempts = await t.run((ctx) => ctx.db.query("attempts").collect());
    expect(attempts.find((a) => a.key.endsWith("/accurate"))?.count).toBe(4); // maxAttempts
  });

  test("order: payment succeeds, stock is taken and the reservation confirmed", async () => {
    const t = initConvexTest();
    await t.mutation(internal.orders.restock, { sku: "mug", quantity: 10, priceCents: 1200 });
    const alice = t.withIdentity(ALICE);
    const id = await alice.mutation(api.runs.startOrder, {
      sku: "mug",
      quantity: 3,
      paymentMethod: "pm_card_visa_4242",
    });
    await drain(t);

    const run = await alice.query(api.runs.getRun, { workflowId: id });
    expect(run.status).toBe("completed");
    expect(run.result).toMatchObject({ status: "confirmed", chargeId: "ch_4242_3600" });
    const stock = await t.run((ctx) => ctx.db.query("stock").collect());
    expect(stock[0].available).toBe(7);
    const reservations = await t.run((ctx) => ctx.db.query("reservations").collect());
    expect(reservations).toMatchObject([{ status: "confirmed", quantity: 3 }]);
  });

  test("order: a declined card is caught and the reservation compensated", async () => {
    const t = initConvexTest();
    await t.mutation(internal.orders.restock, { sku: "mug", quantity: 10 });
    const alice = t.withIdentity(ALICE);
    const id = await alice.mutation(api.runs.startOrder, {
      sku: "mug",
      quantity: 4,
      paymentMethod: DECLINED_PAYMENT_METHOD,
    });
    await drain(t);

    const run = await alice.query(api.runs.getRun, { workflowId: id });
    // The workflow itself succeeds: it handled the failure.
    expect(run.status).toBe("completed");
    expect(run.result).toMatchObject({ status: "compensated" });
    expect((run.result as { reason: string }).reason).toContain("Card declined");
    expect(run.steps.map((s) => s.name)).toEqual(["orders:reserveStock", "orders:chargeCard", "orders:releaseStock"]);
    const stock = await t.run((ctx) => ctx.db.query("stock").collect());
    expect(stock[0].available).toBe(10); // given back
    const reservations = await t.run((ctx) => ctx.db.query("reservations").collect());
    expect(reservations).toMatchObject([{ status: "released" }]);
    expect(reservations[0].reason).toContain("Card declined");
  });

  test("batch: a parent runs one child workflow per item and collects their results", async () => {
    const t = initConvexTest();
    const alice = t.withIdentity(ALICE);
    const id = await alice.mutation(api.runs.startBatch, { items: ["apple", "bad-pear", "plum"] });
    await drain(t);

    const run = await alice.query(api.runs.getRun, { workflowId: id });
    expect(run.status).toBe("completed");
    const result = run.result as {
      processed: { item: string }[];
      failed: { item: string; error: string }[];
      totalScore: number;
    };
    expect(result.processed.map((p) => p.item)).toEqual(["apple", "plum"]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0].item).toBe("bad-pear");
    expect(result.failed[0].error).toContain('Unknown item "bad-pear"');
    expect(run.steps.map((s) => s.name)).toEqual(Array(3).fill("batch:enrichItem"));

    // Three child workflows ran, each with its own journal; two stored their item.
    const children = await t.query(async (ctx) => workflow.listByName(ctx, "batch:enrichItem"));
    expect(children.page).toHaveLength(3);
    expect(children.page.map((c) => c.runResult?.kind).sort()).toEqual(["failed", "success", "success"]);
    const stored = await t.run((ctx) => ctx.db.query("enrichedItems").collect());
    expect(stored.map((s) => s.item).sort()).toEqual(["apple", "plum"]);
    // onComplete is for the parent only (children report to their parent step).
    expect(await completionsOf(t, id)).toHaveLength(1);
  });

  test("cancel: the owner cancels a running workflow; onComplete records it", async () => {
    const t = initConvexTest();
    const alice = t.withIdentity(ALICE);
    const id = await alice.mutation(api.runs.startTranscription, { audioUrl: "https://example.com/long.mp3" });
    await alice.mutation(api.runs.cancelRun, { workflowId: id });
    await drain(t);

    const run = await alice.query(api.runs.getRun, { workflowId: id });
    expect(run.status).toBe("canceled");
    expect(await t.query(async (ctx) => workflow.status(ctx, id))).toEqual({ type: "canceled" });
    const completions = await completionsOf(t, id);
    expect(completions.map((c) => c.result)).toEqual([{ kind: "canceled" }]);
    await expect(alice.mutation(api.runs.cancelRun, { workflowId: id })).rejects.toThrow(/is not running/);
    expect(await t.run((ctx) => ctx.db.query("transcripts").collect())).toEqual([]);
  });

  test("auth: unauthenticated callers are rejected and users only see their own workflows", async () => {
    const t = initConvexTest();
    await expect(t.mutation(api.runs.startTranscription, { audioUrl: "https://example.com/a.mp3" })).rejects.toThrow(
      /Not authenticated/,
    );
    await expect(t.mutation(api.runs.startBatch, { items: ["a"] })).rejects.toThrow(/Not authenticated/);
    await expect(t.query(api.runs.listMyRuns, {})).rejects.toThrow(/Not authenticated/);
    // Nothing was started by the rejected calls.
    expect((await t.query(async (ctx) => workflow.list(ctx))).page).toEqual([]);

    const alice = t.withIdentity(ALICE);
    const bob = t.withIdentity(BOB);
    const id = await alice.mutation(api.runs.startBatch, { items: ["apple"] });
    await expect(t.query(api.runs.getRun, { workflowId: id })).rejects.toThrow(/Not authenticated/);
    await expect(t.mutation(api.runs.cancelRun, { workflowId: id })).rejects.toThrow(/Not authenticated/);
    // Bob can neither read nor cancel Alice's workflow; it looks like it doesn't exist.
    await expect(bob.query(api.runs.getRun, { workflowId: id })).rejects.toThrow(`Workflow ${id} not found`);
    await expect(bob.mutation(api.runs.cancelRun, { workflowId: id })).rejects.toThrow(`Workflow ${id} not found`);
    expect(await bob.query(api.runs.listMyRuns, {})).toEqual([]);
    expect((await alice.query(api.runs.listMyRuns, {})).map((r) => r.workflowId)).toEqual([id]);

    await drain(t);
    expect((await alice.query(api.runs.getRun, { workflowId: id })).status).toBe("completed");
    await expect(alice.mutation(api.runs.startBatch, { items: [] })).rejects.toThrow(/1 to 50 items/);
  });
});
