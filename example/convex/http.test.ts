// The timeline routes (http.ts): protected by TIMELINE_TOKEN, serving the page and its data.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { TimelineData } from "../viz/timelineHtml.js";
import { internal } from "./_generated/api.js";
import { workflow } from "./example.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const TOKEN = "s3cret-timeline-token-for-tests";

async function startGreetings(t: TestConvex, names: string[]) {
  const ids = [];
  for (const name of names) {
    ids.push(await t.mutation(async (ctx) => workflow.start(ctx, internal.example.greeting, { name })));
  }
  return ids;
}

describe("GET /timeline and /timeline.json", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubEnv("TIMELINE_TOKEN", TOKEN);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  test("401 without a token or with a wrong one, and no data in the answer", async () => {
    const t = initConvexTest();
    await startGreetings(t, ["Ada"]);
    await drain(t);
    for (const [path, init] of [
      ["/timeline.json", undefined],
      ["/timeline", undefined],
      ["/timeline.json?token=wrong", undefined],
      ["/timeline.json?token=" + TOKEN.slice(0, -1), undefined],
      ["/timeline.json", { headers: { Authorization: "Bearer nope" } }],
      ["/timeline", { headers: { Authorization: `Basic ${TOKEN}` } }],
      ["/timeline.json?token=", undefined],
    ] as const) {
      const res = await t.fetch(path, init);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
      const body = await res.text();
      expect(body).not.toContain("example:greeting");
      expect(body).not.toContain("workflowId");
    }
  });

  test("503 while TIMELINE_TOKEN is unset, whatever token is sent", async () => {
    vi.stubEnv("TIMELINE_TOKEN", "");
    const t = initConvexTest();
    for (const path of ["/timeline", "/timeline.json", `/timeline.json?token=${TOKEN}`]) {
      const res = await t.fetch(path);
      expect(res.status).toBe(503);
      expect(await res.text()).toBe("timeline disabled: set TIMELINE_TOKEN");
    }
  });

  test("200 with the token: the data, newest first, with every step", async () => {
    const t = initConvexTest();
    const ids = await startGreetings(t, ["Ada", "Grace", "Edsger"]);
    await drain(t);

    for (const init of [{ headers: { Authorization: `Bearer ${TOKEN}` } }, undefined]) {
      const res = await t.fetch(init ? "/timeline.json" : `/timeline.json?token=${TOKEN}`, init);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      const data = (await res.json()) as TimelineData;
      expect(typeof data.now).toBe("number");
      expect(data.truncated).toBe(false);
      expect(data.workflows.map((w) => w.workflowId)).toEqual([...ids].reverse());
      for (const w of data.workflows) {
        expect(w).toMatchObject({ name: "example:greeting", status: "success", stepsTruncated: false });
        expect(typeof w.createdAt).toBe("number");
        expect(typeof w.finishedAt).toBe("number");
        expect(w.steps.map((s) => [s.stepNumber, s.name, s.outcome])).toEqual([
          [0, "example:greet", "success"],
          [1, "example:shout", "success"],
          [2, "example:shout", "success"],
          [3, "example:record", "success"],
        ]);
        for (const s of w.steps) {
          expect(s.queuedAt).toBeGreaterThanOrEqual(Math.floor(w.createdAt)); // _creationTime has a fraction
          expect(s.finishedAt).toBeGreaterThanOrEqual(s.queuedAt);
          expect(s.startedAt).toBeNull(); // standard mode: the start is not recorded
        }
      }
    }
  });

  test("limit and name narrow the data; pages are followed past 100 workflows", async () => {
    const t = initConvexTest();
    // 120 workflows that never ran: paging is what this checks.
    await t.mutation(async (ctx) => {
      for (let i = 0; i < 120; i++)
        await workflow.start(ctx, internal.example.greeting, { name: `n${i}` }, { startAsync: true });
    });
    const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
    const all = (await (await t.fetch("/timeline.json", auth)).json()) as TimelineData;
    expect(all.workflows).toHaveLength(120);
    expect(new Set(all.workflows.map((w) => w.workflowId)).size).toBe(120);
    expect(all.workflows.every((w) => w.status === "running")).toBe(true);
    const some = (await (await t.fetch("/timeline.json?limit=7", auth)).json()) as TimelineData;
    expect(some.workflows.map((w) => w.workflowId)).toEqual(all.workflows.slice(0, 7).map((w) => w.workflowId));
    expect(some.truncated).toBe(true);
    const none = (await (await t.fetch("/timeline.json?name=orders:placeOrder", auth)).json()) as TimelineData;
    expect(none.workflows).toEqual([]);
  });

  test("the page: HTML that refetches /timeline.json every second with the same token", async () => {
    const t = initConvexTest();
    const res = await t.fetch(`/timeline?token=${TOKEN}&name=example:greeting`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Content-Security-Policy")).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<canvas");
    const config = JSON.parse(
      /<script type="application\/json" id="timeline-config">(.*?)<\/script>/s.exec(html)![1],
    ) as {
      liveUrl: string;
      data: unknown;
    };
    expect(config.data).toBeNull();
    const live = new URL(config.liveUrl, "https://x.test");
    expect(live.pathname).toBe("/timeline.json");
    expect(live.searchParams.get("token")).toBe(TOKEN);
    expect(live.searchParams.get("name")).toBe("example:greeting");
    // The URL the page fetches works.
    expect((await t.fetch(config.liveUrl)).status).toBe(200);
  });

  test("a standard-mode step being retried shows its attempts while it runs", async () => {
    const t = initConvexTest();
    // The "accurate" model fails every attempt: 4 in all (MODEL_RETRY), then the step fails.
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.transcription.transcribe, {
        audioUrl: "https://example.com/a.mp3",
        flakyFailures: 10,
      }),
    );
    const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
    const accurateStep = async () => {
      const data = (await (await t.fetch("/timeline.json", auth)).json()) as TimelineData;
      // Step 2 is the "accurate" model (step 1 the "fast" one, requested first).
      return data.workflows.find((w) => w.workflowId === id)?.steps.find((s) => s.stepNumber === 2);
    };
    const seen: number[] = [];
    for (let i = 0; i < 200 && (await accurateStep())?.outcome !== "failed"; i++) {
      const step = await accurateStep();
      if (step?.outcome === "running" && step.attempts !== null) seen.push(step.attempts);
      await vi.advanceTimersByTimeAsync(25);
    }
    const last = await accurateStep();
    expect(last?.outcome).toBe("failed");
    // Read from the workpool while it ran: counts that only grow, past the first attempt, up to 4.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...seen)).toBeLessThanOrEqual(4);
    // Once the workpool has reported the result it keeps no count: standard mode records none.
    expect(last?.attempts).toBeNull();
  });
});
