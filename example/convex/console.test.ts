// The runs console (registerConsole, mounted by http.ts): who gets in, which methods each
// route takes, what it answers, and each action through its JSON API.
import { httpRouter } from "convex/server";
import { bearerTokenAuth, registerConsole } from "convex-workflow";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { components, internal } from "./_generated/api.js";
import { workflow } from "./example.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const TOKEN = "console-token-for-tests-0123456789";
const BASE = "/workflow/console";
const auth = { Authorization: `Bearer ${TOKEN}` };

const get = (t: TestConvex, path: string, headers: Record<string, string> = auth) =>
  t.fetch(`${BASE}${path}`, { headers });
const post = (t: TestConvex, path: string, body: unknown, headers: Record<string, string> = auth) =>
  t.fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

async function startWaiting(t: TestConvex, request = "r") {
  return await t.mutation((ctx) => workflow.start(ctx, internal.consoleWorkflows.awaitApproval, { request }));
}
async function startChecked(t: TestConvex, name: string) {
  return await t.mutation((ctx) => workflow.start(ctx, internal.consoleWorkflows.greetChecked, { name }));
}
const statusType = async (t: TestConvex, id: string) =>
  (await t.query((ctx) => workflow.status(ctx, id as never))).type;

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubEnv("CONSOLE_TOKEN", TOKEN);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe("registerConsole options", () => {
  test("refuses to mount without authorize, or with a bad prefix or cors origin", () => {
    const http = httpRouter();
    expect(() => registerConsole(http, components.workflow, undefined as never)).toThrow(/needs `authorize/);
    expect(() => registerConsole(http, components.workflow, {} as never)).toThrow(/needs `authorize/);
    const authorize = bearerTokenAuth("CONSOLE_TOKEN");
    expect(() => registerConsole(http, components.workflow, { authorize, pathPrefix: "no-slash" })).toThrow(
      /pathPrefix/,
    );
    expect(() => registerConsole(http, components.workflow, { authorize, cors: { origin: "*" } })).toThrow(/cors/);
    expect(() => bearerTokenAuth("not a name")).toThrow(/CONSOLE_TOKEN/);
  });
});

describe("authorization", () => {
  test("401 without the token, with a wrong one, or with it anywhere but the header; nothing changes", async () => {
    const t = initConvexTest();
    const id = await startWaiting(t);
    await drain(t);
    const wrongs: Record<string, string>[] = [
      {},
      { Authorization: "Bearer nope" },
      { Authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { Authorization: `Basic ${TOKEN}` },
      { Authorization: `Bearer ${TOKEN}x` },
      { Cookie: `token=${TOKEN}` },
    ];
    for (const headers of wrongs) {
      for (const path of ["", "/", "/api/runs", "/api/counts", `/api/run?id=${id}`, `/api/runs?token=${TOKEN}`]) {
        const res = await get(t, path, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("Cache-Control")).toBe("no-store");
        const body = await res.text();
        expect(body).not.toContain(id);
        expect(body).not.toContain("consoleWorkflows");
      }
      for (const [path, body] of [
        ["/api/cancel", { id }],
        ["/api/cleanup", { id }],
        ["/api/send-event", { id, name: "approval", value: { ok: true } }],
        ["/api/cancel-many", {}],
      ] as const) {
        const res = await post(t, path, body, headers);
        expect(res.status, path).toBe(401);
        expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
        expect(await res.json()).toEqual({ error: "unauthorized: send Authorization: Bearer <token>" });
      }
    }
    await drain(t);
    expect(await statusType(t, id)).toBe("inProgress");
  });

  test("while CONSOLE_TOKEN is unset or empty nobody gets in", async () => {
    const t = initConvexTest();
    for (const value of ["", undefined]) {
      vi.stubEnv("CONSOLE_TOKEN", value);
      for (const headers of [auth, { Authorization: "Bearer " }, { Authorization: "Bearer undefined" }]) {
        expect((await get(t, "/api/runs", headers)).status).toBe(401);
      }
    }
  });
});

describe("the page and the API's answers", () => {
  test("the page: static HTML with a nonce'd script, no data, no CORS, never cached", async () => {
    const t = initConvexTest();
    const id = await startChecked(t, "<script>alert(1)</script>");
    await drain(t);
    for (const [headers, status] of [
      [auth, 200],
      [{}, 401],
    ] as const) {
      const res = await get(t, "", headers);
      expect(res.status).toBe(status);
      expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
      const csp = res.headers.get("Content-Security-Policy")!;
      const nonce = /'nonce-([^']+)'/.exec(csp)![1];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      const html = await res.text();
      expect(html).toContain(`<script nonce="${nonce}">`);
      expect(html).not.toContain(id);
      expect(html).not.toContain("alert(1)");
    }
  });

  test("405 for the wrong method, 404 for unknown routes, 400 for bodies that are not JSON objects", async () => {
    const t = initConvexTest();
    const id = await startWaiting(t);
    await drain(t);
    const cases: [string, RequestInit, number][] = [
      ["/api/cancel", { method: "GET" }, 405],
      ["/api/runs", { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } }, 405],
      ["", { method: "POST" }, 405],
      ["/api/cancel", { method: "PUT", body: JSON.stringify({ id }) }, 405],
      ["/api/cancel", { method: "DELETE" }, 405],
      ["/api/nope", { method: "GET" }, 404],
      [
        "/api/cancel",
        { method: "POST", body: `id=${id}`, headers: { "Content-Type": "application/x-www-form-urlencoded" } },
        400,
      ],
      ["/api/cancel", { method: "POST", body: "{", headers: { "Content-Type": "application/json" } }, 400],
      ["/api/cancel", { method: "POST", body: "[1]", headers: { "Content-Type": "application/json" } }, 400],
      ["/api/cancel", { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } }, 400],
      ["/api/runs?status=sleeping", { method: "GET" }, 400],
      ["/api/runs?limit=1000", { method: "GET" }, 400],
      ["/api/run?id=nope", { method: "GET" }, 404],
    ];
    for (const [path, init, status] of cases) {
      const res = await t.fetch(`${BASE}${path}`, { ...init, headers: { ...auth, ...(init.headers as object) } });
      expect(res.status, `${init.method} ${path}`).toBe(status);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
      const body = (await res.json()) as { error: string };
      expect(typeof body.error).toBe("string");
      if (status === 405) expect(res.headers.get("Allow")).toMatch(/^(GET|POST)$/);
    }
    expect(await statusType(t, id)).toBe("inProgress");
  });

  test("runs, counts and a run's detail, with markup in args and errors returned as JSON data", async () => {
    const t = initConvexTest();
    const bad = await startChecked(t, "bad <script>alert(1)</script>");
    const good = await startChecked(t, "Ada");
    const waiting = await startWaiting(t, "w");
    await drain(t);

    const all = (await (await get(t, "/api/runs")).json()) as {
      runs: { id: string; status: string; name: string; error: string | null }[];
    };
    expect(all.runs.map((r) => r.id)).toEqual([waiting, good, bad]); // newest first
    expect(all.runs.map((r) => r.status)).toEqual(["running", "completed", "failed"]);
    expect(all.runs[2].error).toContain("cannot greet bad <script>alert(1)</script>");

    const failed = (await (await get(t, "/api/runs?status=failed")).json()) as { runs: { id: string }[] };
    expect(failed.runs.map((r) => r.id)).toEqual([bad]);
    const byName = (await (await get(t, "/api/runs?name=consoleWorkflows:awaitApproval")).json()) as {
      runs: { id: string }[];
    };
    expect(byName.runs.map((r) => r.id)).toEqual([waiting]);

    const counts = (await (await get(t, "/api/counts")).json()) as { total: Record<string, number> };
    expect(counts.total).toMatchObject({ running: 1, success: 1, failed: 1, canceled: 0 });

    const res = await get(t, `/api/run?id=${bad}`);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const detail = (await res.json()) as {
      run: { status: string; args: unknown; error: string };
      steps: { stepNumber: number; name: string; outcome: string; error: string | null }[];
    };
    expect(detail.run).toMatchObject({ status: "failed", args: { name: "bad <script>alert(1)</script>" } });
    expect(detail.run.error).toContain("<script>alert(1)</script>");
    expect(detail.steps.map((s) => [s.stepNumber, s.name, s.outcome])).toEqual([
      [0, "example:record", "success"],
      [1, "consoleWorkflows:check", "failed"],
    ]);
    const wait = (await (await get(t, `/api/run?id=${waiting}`)).json()) as {
      events: { name: string; state: string }[];
    };
    expect(wait.events).toEqual([expect.objectContaining({ name: "approval", state: "waiting" })]);
  });
});

describe("actions", () => {
  test("cancel, send an event, restart from a step, cleanup; errors name what went wrong", async () => {
    const t = initConvexTest();
    const toCancel = await startWaiting(t, "c");
    const toApprove = await startWaiting(t, "a");
    const failing = await startChecked(t, "bad");
    await drain(t);

    expect((await post(t, "/api/cancel", { id: toCancel })).status).toBe(200);
    expect(await statusType(t, toCancel)).toBe("canceled");
    const again = await post(t, "/api/cancel", { id: toCancel });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toMatch(/not running/);

    const badValue = await post(t, "/api/send-event", { id: toApprove, name: "" });
    expect(badValue.status).toBe(400);
    expect((await post(t, "/api/send-event", { id: toApprove, name: "approval", value: { ok: true } })).status).toBe(
      200,
    );
    await drain(t);
    expect(await t.query((ctx) => workflow.status(ctx, toApprove))).toEqual({ type: "completed", result: true });

    const badFrom = await post(t, "/api/restart", { id: failing, from: -1 });
    expect(badFrom.status).toBe(400);
    expect(((await badFrom.json()) as { error: string }).error).toMatch(/from must be/);
    const badArgs = await post(t, "/api/restart", { id: failing, args: [1] });
    expect(((await badArgs.json()) as { error: string }).error).toMatch(/args must be a JSON object/);
    expect((await post(t, "/api/restart", { id: failing, from: 1 })).status).toBe(200);
    await drain(t);
    // Same args: it fails again at the same step, and only that step ran again.
    expect(await statusType(t, failing)).toBe("failed");
    const effects = await t.run((ctx) => ctx.db.query("effects").collect());
    expect(effects.filter((e) => e.key === "console")).toHaveLength(1);

    // New args: checked like a start (a bad one changes nothing), then it runs from the failed step.
    const wrongType = await post(t, "/api/restart", { id: failing, from: "failed", args: { name: 5 } });
    expect(wrongType.status).toBe(400);
    expect(await statusType(t, failing)).toBe("failed");
    expect((await post(t, "/api/restart", { id: failing, from: "failed", args: { name: "Grace" } })).status).toBe(200);
    await drain(t);
    expect(await t.query((ctx) => workflow.status(ctx, failing))).toEqual({
      type: "completed",
      result: "Hello, Grace",
    });

    const stillRunning = await startWaiting(t, "s");
    await drain(t);
    const refused = await post(t, "/api/cleanup", { id: stillRunning });
    expect(refused.status).toBe(400);
    expect((await post(t, "/api/cleanup", { id: failing })).status).toBe(200);
    expect((await get(t, `/api/run?id=${failing}`)).status).toBe(404);
    expect((await post(t, "/api/cancel", { id: failing })).status).toBe(404);
  });

  test("filter by tag, pause and resume", async () => {
    const t = initConvexTest();
    const tagged = await t.mutation((ctx) =>
      workflow.start(ctx, internal.consoleWorkflows.awaitApproval, { request: "t" }, { tags: { customer: "acme" } }),
    );
    await startWaiting(t, "untagged");
    await drain(t);
    const runs = async (query: string) =>
      ((await (await get(t, `/api/runs?${query}`)).json()) as { runs: { id: string; status: string; tags: unknown }[] })
        .runs;
    expect(await runs("tagKey=customer&tagValue=acme")).toEqual([
      expect.objectContaining({ id: tagged, status: "running", tags: [{ key: "customer", value: "acme" }] }),
    ]);
    expect(await runs("tagKey=customer&tagValue=other")).toEqual([]);
    expect((await get(t, "/api/runs?tagValue=acme")).status).toBe(400);

    expect((await post(t, "/api/pause", { id: tagged })).status).toBe(200);
    expect((await runs("status=paused")).map((r) => r.id)).toEqual([tagged]);
    expect((await post(t, "/api/send-event", { id: tagged, name: "approval", value: { ok: true } })).status).toBe(200);
    await drain(t);
    expect(await statusType(t, tagged)).toBe("paused"); // the event waits while paused
    expect((await post(t, "/api/resume", { id: tagged })).status).toBe(200);
    await drain(t);
    expect(await t.query((ctx) => workflow.status(ctx, tagged))).toEqual({ type: "completed", result: true });
    const late = await post(t, "/api/pause", { id: tagged });
    expect(late.status).toBe(400);
  });

  test("bulk cancel cancels what the filter matches and nothing else; other workflows still complete", async () => {
    const t = initConvexTest();
    const waiting = [await startWaiting(t, "1"), await startWaiting(t, "2")];
    const other = await t.mutation((ctx) =>
      workflow.start(ctx, internal.example.greeting, { name: "Bo" }, { startAsync: true }),
    );
    const res = await post(t, "/api/cancel-many", { filter: { name: "consoleWorkflows:awaitApproval" } });
    expect(await res.json()).toEqual({ ok: true, count: 2 });
    await drain(t);
    for (const id of waiting) expect(await statusType(t, id)).toBe("canceled");
    expect(await statusType(t, other)).toBe("completed");
    const bad = await post(t, "/api/cancel-many", { filter: { status: "nope" } });
    expect(bad.status).toBe(400);
    expect((await get(t, "/api/bulk-progress")).status).toBe(400);

    // Restart the canceled ones by filter (from the start), then they wait again.
    const again = await post(t, "/api/restart-many", { filter: { status: "canceled" } });
    expect(await again.json()).toEqual({ ok: true, count: 2 });
    await drain(t);
    for (const id of waiting) expect(await statusType(t, id)).toBe("inProgress");
  });
});
