// The webhook example (transcriptionWebhook.ts) driven the way a transcription service would
// drive it: real HTTP requests to the callback URL through convex-test's `t.fetch`, routed by
// `registerWebhooks` in http.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api.js";
import { workflow } from "./example.js";
import { drain, initConvexTest, logged, type TestConvex } from "./setup.testing.js";
import { CALLBACK_TIMEOUT_MS, simulatedService } from "./transcriptionWebhook.js";

const SITE_URL = "https://happy-otter-123.convex.site";
const AUDIO = "https://media.example.com/interview.mp3";

/** Let scheduled steps run for a while without reaching the callback deadline. */
async function settle(t: TestConvex, ms = 2_000, chunk = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += chunk) {
    await vi.advanceTimersByTimeAsync(chunk);
    await t.finishInProgressScheduledFunctions();
  }
}

/** The service calling back: a POST of `body` (JSON unless a string) to the URL it was given. */
async function callBack(t: TestConvex, url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const { pathname } = new URL(url);
  const response = await t.fetch(pathname, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** Starts a transcription and lets it run until the service has the job. */
async function submitted(t: TestConvex) {
  const workflowId = await t.mutation((ctx) =>
    workflow.start(ctx, internal.transcriptionWebhook.transcribeViaService, { audioUrl: AUDIO }),
  );
  await settle(t);
  const job = simulatedService.take();
  expect(simulatedService.jobs).toEqual([]);
  return { workflowId, job };
}

const status = (t: TestConvex, id: Awaited<ReturnType<typeof submitted>>["workflowId"]) =>
  t.query((ctx) => workflow.status(ctx, id));

describe("transcription through a webhook", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubEnv("CONVEX_SITE_URL", SITE_URL);
    simulatedService.jobs.length = 0;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  test("the service calls back: a malformed body is refused, the good one delivered once", async () => {
    const t = initConvexTest();
    const { workflowId, job } = await submitted(t);
    expect(job.callbackUrl.startsWith(`${SITE_URL}/workflow/webhooks/`)).toBe(true);
    const token = job.callbackUrl.slice(`${SITE_URL}/workflow/webhooks/`.length);
    expect(token.length).toBeGreaterThanOrEqual(22); // ≥ 128 bits, however it is encoded

    // A body the webhook's validator refuses: 400, and the webhook stays open.
    const bad = await callBack(t, job.callbackUrl, { jobId: job.jobId, status: "completed" });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: expect.any(String) });
    const notJson = await callBack(t, job.callbackUrl, "{not json");
    expect(notJson.status).toBe(400);
    expect((await status(t, workflowId)).type).toBe("inProgress");

    const good = { jobId: job.jobId, status: "completed", text: "Hello from the interview.", confidence: 0.93 };
    expect(await callBack(t, job.callbackUrl, good)).toEqual({ status: 200, json: { ok: true } });
    // A retry by the service (it did not see our 200, say) is refused, changing nothing.
    const again = await callBack(t, job.callbackUrl, { ...good, text: "something else" });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: expect.any(String) });

    await drain(t);
    const done = await status(t, workflowId);
    expect(done).toEqual({
      type: "completed",
      result: { status: "done", transcriptId: expect.any(String), text: good.text, confidence: 0.93 },
    });
    const transcripts = await t.run((ctx) => ctx.db.query("transcripts").collect());
    expect(transcripts.map((r) => [r.workflowId, r.model, r.text])).toEqual([[workflowId, "service", good.text]]);

    // After the workflow has ended, a delivered webhook still says "already delivered".
    expect((await callBack(t, job.callbackUrl, good)).status).toBe(409);

    // The URL is a secret: nothing logged it (the job id, which is not, was logged).
    const lines = logged();
    expect(lines.some((l) => l.includes(job.jobId))).toBe(true);
    expect(lines.filter((l) => l.includes(token))).toEqual([]);
  });

  test("an unknown token is a 404, and a GET a 405; neither touches the workflow", async () => {
    const t = initConvexTest();
    const { workflowId, job } = await submitted(t);
    const unknown = `${SITE_URL}/workflow/webhooks/${"A".repeat(43)}`;
    expect((await callBack(t, unknown, { jobId: job.jobId, status: "failed", error: "x" })).status).toBe(404);
    const get = await t.fetch(new URL(job.callbackUrl).pathname, { method: "GET" });
    expect(get.status).toBe(405);
    expect((await status(t, workflowId)).type).toBe("inProgress");
    // The real callback still works.
    const failed = { jobId: job.jobId, status: "failed", error: "unsupported codec" };
    expect((await callBack(t, job.callbackUrl, failed)).status).toBe(200);
    await drain(t);
    expect(await status(t, workflowId)).toEqual({
      type: "completed",
      result: { status: "failed", error: "unsupported codec" },
    });
  });

  test("the service never calls back: the workflow handles the timeout, a late callback gets 410", async () => {
    const t = initConvexTest();
    const { workflowId, job } = await submitted(t);
    await vi.advanceTimersByTimeAsync(CALLBACK_TIMEOUT_MS);
    await drain(t);
    expect(await status(t, workflowId)).toEqual({ type: "completed", result: { status: "timedOut" } });
    const effects = await t.run((ctx) => ctx.db.query("effects").collect());
    expect(effects.map((e) => e.key)).toEqual([`transcription timed out: ${job.jobId}`]);

    const late = await callBack(t, job.callbackUrl, {
      jobId: job.jobId,
      status: "completed",
      text: "too late",
      confidence: 0.9,
    });
    expect(late.status).toBe(410);
    expect(late.json).toEqual({ error: expect.any(String) });
    await drain(t);
    expect(await status(t, workflowId)).toEqual({ type: "completed", result: { status: "timedOut" } });
    expect(await t.run((ctx) => ctx.db.query("transcripts").collect())).toEqual([]);

    // Blast radius: an unrelated workflow still runs to completion.
    const other = await t.mutation((ctx) => workflow.start(ctx, internal.example.greeting, { name: "Ada" }));
    await drain(t);
    expect(await t.query((ctx) => workflow.status(ctx, other))).toEqual({ type: "completed", result: "HELLO, ADA!" });
  });

  test("a canceled workflow's callback URL answers 410", async () => {
    const t = initConvexTest();
    const { workflowId, job } = await submitted(t);
    await t.mutation((ctx) => workflow.cancel(ctx, workflowId));
    await drain(t);
    const r = await callBack(t, job.callbackUrl, { jobId: job.jobId, status: "failed", error: "x" });
    expect(r.status).toBe(410);
    expect(await status(t, workflowId)).toEqual({ type: "canceled" });
  });
});
