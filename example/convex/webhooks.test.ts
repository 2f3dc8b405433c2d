// Webhooks (docs/webhooks.md): `step.createWebhook` and the route `registerWebhooks` mounts
// in http.ts, driven with real HTTP requests through convex-test's `t.fetch`. Every status
// the route answers, exactly-once delivery, deliveries before and after the await, closing
// (timeout, cancel, restart, cleanup), executor mode and nested workflows.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { WorkflowManager, type WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { drain, initConvexTest, logged, type TestConvex } from "./setup.testing.js";
import { BASE_URL, executorWorkflow, siteUrlWorkflow, workflow } from "./webhookWorkflows.js";

const realSetTimeout = globalThis.setTimeout;
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

type Manager = typeof workflow;

async function start(
  t: TestConvex,
  args: { validated?: boolean; sleepMs?: number; timeoutMs?: number; lingerMs?: number } = {},
) {
  return await t.mutation((ctx) => workflow.start(ctx, internal.webhookWorkflows.waitForWebhook, args));
}

async function statusOf(t: TestConvex, id: WorkflowId, manager: Manager = workflow) {
  return await t.query((ctx) => manager.status(ctx, id));
}

/** The webhook URL (and event id) a workflow recorded. */
async function webhookOf(t: TestConvex, workflowId: WorkflowId): Promise<{ url: string; eventId: string }> {
  const rows = await t.run((ctx) =>
    ctx.db
      .query("effects")
      .withIndex("key", (q) => q.eq("key", "webhookUrl"))
      .collect(),
  );
  const row = rows.find((r) => r.workflowId === workflowId);
  if (!row) throw new Error(`no webhook recorded for ${workflowId}`);
  return row.value as { url: string; eventId: string };
}

type Answer = { status: number; body: { ok?: true; error?: string } };

/** POST `body` to a webhook URL made with BASE_URL. */
async function post(
  t: TestConvex,
  url: string,
  body: string | Uint8Array<ArrayBuffer>,
  contentType: string | null = "application/json",
): Promise<Answer> {
  expect(url.startsWith(`${BASE_URL}/workflow/webhooks/`)).toBe(true);
  const headers: Record<string, string> = contentType ? { "Content-Type": contentType } : {};
  const response = await t.fetch(url.slice(BASE_URL.length), { method: "POST", body, headers });
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  const answer = { status: response.status, body: (await response.json()) as Answer["body"] };
  // Whatever the outcome, the answer never carries the token.
  expect(JSON.stringify(answer.body)).not.toContain(url.slice(url.lastIndexOf("/") + 1));
  return answer;
}

const json = (value: unknown) => JSON.stringify(value);

async function webhookRows(t: TestConvex) {
  return await t.run((ctx) => ctx.db.query("effects").collect());
}

describe("webhooks", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  test("a delivery after the await: 200, the workflow gets the value; a second delivery 409", async () => {
    const t = initConvexTest();
    const id = await start(t);
    const { url, eventId } = await webhookOf(t, id);
    expect(url).toMatch(new RegExp(`^${BASE_URL}/workflow/webhooks/[A-Za-z0-9_-]{43}$`));
    expect(await post(t, url, json({ transcript: "hello" }))).toEqual({ status: 200, body: { ok: true } });
    expect(await post(t, url, json({ transcript: "again" }))).toEqual({
      status: 409,
      body: { error: "this webhook was already delivered" },
    });
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { url, value: { transcript: "hello" } } });
    // listSteps shows the webhook's step (an inline mutation step) and the await of its event.
    const steps = (await t.query((ctx) => workflow.listSteps(ctx, id))).page;
    expect(steps.map((s) => [s.name, s.kind])).toEqual([
      ["createWebhook", "function"],
      ["webhookWorkflows:saveUrl", "function"],
      [eventId, "event"], // awaited by id: named by it
    ]);
    expect(steps[2].kind === "event" && steps[2].eventId).toBe(eventId);
    // Finished: delivered is still what it says.
    expect((await post(t, url, json(1))).status).toBe(409);
  });

  test("a delivery before the await is kept for it; the URL survives replays", async () => {
    const t = initConvexTest();
    const id = await start(t, { sleepMs: 60_000 });
    const { url } = await webhookOf(t, id);
    expect((await post(t, url, "plain text", "text/plain")).status).toBe(200);
    expect((await statusOf(t, id)).type).toBe("inProgress");
    await drain(t);
    // Several replays later (sleep, await), the handler still gets the same URL back.
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { url, value: "plain text" } });
  });

  test("two concurrent deliveries: exactly one 200 and one 409", async () => {
    const t = initConvexTest();
    const id = await start(t);
    const { url } = await webhookOf(t, id);
    const answers = await Promise.all([post(t, url, json("a")), post(t, url, json("b"))]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    await drain(t);
    const status = await statusOf(t, id);
    expect(status.type).toBe("completed");
    const winner = answers[0].status === 200 ? "a" : "b";
    expect(status.type === "completed" && (status.result as { value: unknown }).value).toBe(winner);
  });

  test("unknown tokens 404, other methods 405", async () => {
    const t = initConvexTest();
    const unknown = `${BASE_URL}/workflow/webhooks/${"A".repeat(43)}`;
    expect(await post(t, unknown, json(1))).toEqual({ status: 404, body: { error: "unknown webhook" } });
    expect((await post(t, `${BASE_URL}/workflow/webhooks/not%20a%20token`, json(1))).status).toBe(404);
    const id = await start(t);
    const { url } = await webhookOf(t, id);
    const get = await t.fetch(url.slice(BASE_URL.length), { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("POST");
    expect((await post(t, url, json(1))).status).toBe(200);
  });

  test("invalid JSON 400, a validator's rejection 400; the webhook stays open for a correct delivery", async () => {
    const t = initConvexTest();
    const id = await start(t, { validated: true });
    const { url } = await webhookOf(t, id);
    expect(await post(t, url, "{ not json")).toEqual({ status: 400, body: { error: "the body is not valid JSON" } });
    expect(await post(t, url, json({ status: "paid", amount: "12" }))).toEqual({
      status: 400,
      body: { error: "value.amount must be float64 (number), got string" },
    });
    expect(await post(t, url, json({ status: "paid" }))).toEqual({
      status: 400,
      body: { error: "value.amount is required (float64 (number))" },
    });
    // Not JSON by its content type: the text, which the validator rejects.
    expect(await post(t, url, json({ status: "paid", amount: 12 }), "text/plain")).toEqual({
      status: 400,
      body: { error: "value must be object { status, amount }, got string" },
    });
    // A field name Convex cannot store.
    expect((await post(t, url, json({ $status: "paid" }))).status).toBe(400);
    expect((await statusOf(t, id)).type).toBe("inProgress");
    expect(await post(t, url, json({ status: "paid", amount: 12 }), "application/json; charset=utf-8")).toEqual({
      status: 200,
      body: { ok: true },
    });
    await drain(t);
    expect(await statusOf(t, id)).toEqual({
      type: "completed",
      result: { url, value: { status: "paid", amount: 12 } },
    });
  });

  test("a body over 800 KiB: 413, nothing stored; an unrelated workflow still completes", async () => {
    const t = initConvexTest();
    const id = await start(t);
    const other = await start(t);
    const { url } = await webhookOf(t, id);
    const big = json("x".repeat(800 << 10));
    expect(await post(t, url, big)).toEqual({ status: 413, body: { error: "the body is larger than 819200 bytes" } });
    expect(await post(t, url, new TextEncoder().encode(big), "application/octet-stream")).toMatchObject({
      status: 413,
    });
    expect((await statusOf(t, id)).type).toBe("inProgress");
    // The other workflow's webhook works as ever, and so does this one with a small body.
    expect((await post(t, (await webhookOf(t, other)).url, json("other"))).status).toBe(200);
    expect((await post(t, url, json("small"))).status).toBe(200);
    await drain(t);
    expect((await statusOf(t, other)).type).toBe("completed");
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { url, value: "small" } });
  });

  test("410 once the await timed out", async () => {
    const t = initConvexTest();
    const id = await start(t, { timeoutMs: 1_000 });
    const { url } = await webhookOf(t, id);
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { timedOut: true } });
    expect(await post(t, url, json("late"))).toEqual({
      status: 410,
      body: { error: "this webhook is closed: its workflow has finished" },
    });
  });

  test("410 once the await timed out, while the workflow still runs", async () => {
    const t = initConvexTest();
    const id = await start(t, { timeoutMs: 1_000, lingerMs: 60_000 });
    const { url } = await webhookOf(t, id);
    await vi.advanceTimersByTimeAsync(1_500);
    await t.finishInProgressScheduledFunctions();
    expect((await statusOf(t, id)).type).toBe("inProgress");
    expect(await post(t, url, json("late"))).toEqual({
      status: 410,
      body: { error: "this webhook is closed: the wait for it timed out" },
    });
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { timedOut: true } });
  });

  test("410 after cancel and after restart (a restart from before it makes a new one); 410 after cleanup too", async () => {
    const t = initConvexTest();
    const id = await start(t);
    const { url } = await webhookOf(t, id);
    await t.mutation((ctx) => workflow.cancel(ctx, id));
    expect(await post(t, url, json(1))).toEqual({
      status: 410,
      body: { error: "this webhook is closed: its workflow has finished" },
    });
    await drain(t);
    // Restart from the webhook's own step: the handler makes a new webhook; the old URL stays closed.
    await t.mutation((ctx) => workflow.restart(ctx, id, { from: "createWebhook" }));
    expect((await statusOf(t, id)).type).toBe("inProgress");
    expect(await post(t, url, json(1))).toEqual({
      status: 410,
      body: { error: "this webhook is closed: its workflow was restarted" },
    });
    const urls = (await webhookRows(t)).filter((r) => r.key === "webhookUrl" && r.workflowId === id);
    expect(urls).toHaveLength(2);
    const fresh = (urls[1].value as { url: string }).url;
    expect(fresh).not.toBe(url);
    expect((await post(t, fresh, json("second run"))).status).toBe(200);
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { url: fresh, value: "second run" } });
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, id))).toBe(true);
    await drain(t);
    // The workflow and its events are gone; the webhooks' rows stay, so late callers learn it is gone.
    expect(await post(t, url, json(1))).toEqual({
      status: 410,
      body: { error: "this webhook is closed: its workflow was deleted" },
    });
    expect((await post(t, fresh, json(1))).status).toBe(410);
  });

  test("a restart that keeps the createWebhook step keeps its URL open for the new run", async () => {
    const t = initConvexTest();
    const id = await start(t);
    const { url } = await webhookOf(t, id);
    expect((await post(t, url, json("first"))).status).toBe(200);
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { url, value: "first" } });
    // Restart from the await (step 2): createWebhook (step 0) is replayed, so the URL is the same
    // and the new run waits on it afresh.
    await t.mutation((ctx) => workflow.restart(ctx, id, { from: 2 }));
    await drain(t);
    expect((await statusOf(t, id)).type).toBe("inProgress");
    expect((await post(t, url, json("second"))).status).toBe(200);
    expect((await post(t, url, json("third"))).status).toBe(409);
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: { url, value: "second" } });
  });

  test("a nested workflow's webhook", async () => {
    const t = initConvexTest();
    const parent = await t.mutation((ctx) => workflow.start(ctx, internal.webhookWorkflows.parentOfWebhook, {}));
    await drain(t);
    const rows = (await webhookRows(t)).filter((r) => r.key === "webhookUrl");
    expect(rows).toHaveLength(1);
    expect(rows[0].workflowId).not.toBe(parent);
    const { url } = rows[0].value as { url: string };
    expect((await post(t, url, json("to the child"))).status).toBe(200);
    await drain(t);
    expect(await statusOf(t, parent)).toEqual({ type: "completed", result: { url, value: "to the child" } });
  });

  test("the base URL: CONVEX_SITE_URL by default, per-call options win; missing, a clear error", async () => {
    const t = initConvexTest();
    vi.stubEnv("CONVEX_SITE_URL", "https://happy-otter-123.convex.site/");
    const fromEnv = await t.mutation((ctx) => siteUrlWorkflow.start(ctx, internal.webhookWorkflows.siteUrlWebhook, {}));
    const perCall = await t.mutation((ctx) =>
      siteUrlWorkflow.start(ctx, internal.webhookWorkflows.siteUrlWebhook, {
        baseUrl: "https://api.example.com/",
        pathPrefix: "/hooks/",
      }),
    );
    vi.stubEnv("CONVEX_SITE_URL", "");
    const missing = await t.mutation((ctx) => siteUrlWorkflow.start(ctx, internal.webhookWorkflows.siteUrlWebhook, {}));
    await drain(t);
    const env = await statusOf(t, fromEnv, siteUrlWorkflow);
    expect(env.type === "completed" && env.result).toMatch(
      /^https:\/\/happy-otter-123\.convex\.site\/workflow\/webhooks\/[A-Za-z0-9_-]{43}$/,
    );
    const call = await statusOf(t, perCall, siteUrlWorkflow);
    expect(call.type === "completed" && call.result).toMatch(/^https:\/\/api\.example\.com\/hooks\/[A-Za-z0-9_-]{43}$/);
    const failed = await statusOf(t, missing, siteUrlWorkflow);
    expect(failed.type).toBe("failed");
    expect(failed.type === "failed" && failed.error).toContain("CONVEX_SITE_URL is not set");
    expect(failed.type === "failed" && failed.error).toContain("webhooks: { baseUrl }");
    expect(logged("error").some((line) => line.includes("CONVEX_SITE_URL"))).toBe(true);
  });

  test("bad options: clear errors at the call, nothing made", async () => {
    expect(() => new WorkflowManager(components.workflow, { webhooks: { baseUrl: "ftp://x" } })).toThrow(
      /WorkflowManager `webhooks.baseUrl` must be an absolute http\(s\) URL/,
    );
    expect(() => new WorkflowManager(components.workflow, { webhooks: { pathPrefix: "hooks" } })).toThrow(
      /WorkflowManager `webhooks.pathPrefix` must be a URL path starting with "\/"/,
    );
    expect(() => new WorkflowManager(components.workflow, { webhooks: { baseurl: "x" } as never })).toThrow(
      "WorkflowManager `webhooks.baseurl` is not an option: webhooks takes { baseUrl?, pathPrefix? }",
    );
    const t = initConvexTest();
    const expected: Record<string, string> = {
      timeout: "createWebhook `timeout` must be a finite number of milliseconds from 1",
      baseUrl: "createWebhook `baseUrl` must be an absolute http(s) URL",
      pathPrefix: 'createWebhook `pathPrefix` must be a URL path starting with "/"',
      validator: "createWebhook `validator` must be a Convex validator (v.*)",
      unknown: "createWebhook option `secret` is not an option",
    };
    for (const [kind, message] of Object.entries(expected)) {
      const id = await t.mutation((ctx) => workflow.start(ctx, internal.webhookWorkflows.badWebhookOptions, { kind }));
      const status = await statusOf(t, id);
      expect(status.type === "failed" && status.error, kind).toContain(message);
      // Nothing was journaled: the call threw before its step.
      expect((await t.query((ctx) => workflow.listSteps(ctx, id))).page).toEqual([]);
    }
    await drain(t);
  });

  test("executor mode: the webhook is made in a replay group after a task", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => executorWorkflow.startExecutors(ctx));
    const id = await t.mutation((ctx) =>
      executorWorkflow.start(ctx, internal.webhookWorkflows.executorWebhook, { n: 21 }),
    );
    let hook: { url: string } | undefined;
    for (let i = 0; i < 600 && !hook; i++) {
      await vi.advanceTimersByTimeAsync(50);
      await realTick();
      hook = await webhookOf(t, id).catch(() => undefined);
    }
    expect(hook).toBeDefined();
    expect((await post(t, hook!.url, json({ ok: 1 }))).status).toBe(200);
    for (let i = 0; i < 600 && (await statusOf(t, id, executorWorkflow)).type === "inProgress"; i++) {
      await vi.advanceTimersByTimeAsync(50);
      await realTick();
    }
    expect(await statusOf(t, id, executorWorkflow)).toEqual({
      type: "completed",
      result: { doubled: 42, result: { url: hook!.url, value: { ok: 1 } } },
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
  });
});
