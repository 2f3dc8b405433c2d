// @vitest-environment node
// The timeline page in a real browser: headless Chromium (Debian's `chromium` package,
// driven by playwright-core) opens the page for a finished convex-test run and we check that
// it drew one row per workflow and each step's bar where the data's times put it. Also saves
// a screenshot to out/timeline.png, and checks the live mode (polling `liveUrl`).
//
// Without /usr/bin/chromium the test fails under CI (which installs it: see .ci/run) and is
// skipped elsewhere; install it with `apt-get install -y chromium`.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { internal } from "../convex/_generated/api.js";
import { workflow } from "../convex/example.js";
import { workflow as executorWorkflow } from "../convex/executorWorkflows.js";
import { lifecycle } from "../convex/lifecycleWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "../convex/setup.testing.js";
import { renderTimelineHtml, type RenderedTimeline, type TimelineData } from "./timelineHtml.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const OUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../out");

declare global {
  interface Window {
    __timeline?: RenderedTimeline;
  }
}

/** A short run on convex-test: standard and executor mode, a retry, a failure, a cancel. */
async function runExamples(): Promise<TimelineData> {
  vi.useFakeTimers();
  try {
    const t = initConvexTest();
    await t.mutation((ctx) => executorWorkflow.startExecutors(ctx));
    await t.mutation(async (ctx) => {
      for (const name of ["Ada", "Grace"]) await workflow.start(ctx, internal.example.greeting, { name });
      // Retried twice, then succeeds; and one that runs out of retries and fails.
      await workflow.start(ctx, internal.transcription.transcribe, { audioUrl: "https://example.com/talk.mp3" });
      await workflow.start(ctx, internal.transcription.transcribe, { audioUrl: "https://example.com/x.mp3", flakyFailures: 10 });
      // Executor mode: steps with a recorded start (queue time vs execution time).
      for (let n = 0; n < 3; n++) await executorWorkflow.start(ctx, internal.executorWorkflows.fourStep, { tag: `viz${n}`, n });
    });
    const waiter = await t.mutation((ctx) => lifecycle.start(ctx, internal.lifecycleWorkflows.waiter, { key: "viz" }));
    await drain(t);
    await t.mutation((ctx) => lifecycle.cancel(ctx, waiter));
    await drain(t);
    return await readTimeline(t);
  } finally {
    vi.useRealTimers();
  }
}

/** All workflows through `workflow.timelinePage`, page by page, oldest first. */
async function readTimeline(t: TestConvex): Promise<TimelineData> {
  const workflows: TimelineData["workflows"] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await t.query((ctx) => workflow.timelinePage(ctx, { paginationOpts: { cursor, numItems: 3 } }));
    workflows.push(...page.page);
    if (page.isDone) return { now: Date.now(), workflows };
    cursor = page.continueCursor;
  }
}

/** The time span the page must map onto its width, computed here from the data alone. */
function expectedRange(data: TimelineData) {
  const times = data.workflows.flatMap((w) => [
    w.createdAt,
    w.finishedAt ?? data.now,
    ...w.steps.flatMap((s) => [s.queuedAt, s.finishedAt ?? data.now, ...(s.startedAt === null ? [] : [s.startedAt])]),
  ]);
  return { t0: Math.min(...times), t1: Math.max(...times) };
}

async function waitRendered(page: Page, minRenders = 1): Promise<RenderedTimeline> {
  await page.waitForFunction((n) => document.body.dataset.rendered === "1" && (window.__timeline?.renders ?? 0) >= n, minRenders, {
    timeout: 15_000,
  });
  return (await page.evaluate(() => window.__timeline))!;
}

describe.skipIf(!haveChromium && !process.env.CI)("timeline page in Chromium", () => {
  let data: TimelineData;
  let server: http.Server;
  let base: string;
  let context: BrowserContext;
  let userDataDir: string;
  let jsonRequests = 0;

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`${CHROMIUM} not found: the browser test needs Debian's chromium (apt-get install -y chromium).`);
    }
    data = await runExamples();
    const pages: Record<string, string> = {
      "/static": renderTimelineHtml({ data, title: "Timeline test" }),
      "/live": renderTimelineHtml({ liveUrl: "/data.json", title: "Live timeline test" }),
    };
    server = http.createServer((req, res) => {
      const url = req.url ?? "/";
      if (url === "/data.json") {
        jsonRequests++;
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(data));
      } else if (pages[url] !== undefined) {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(pages[url]);
      } else {
        res.writeHead(404).end("not found");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(path.join(os.tmpdir(), "timeline-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1400, height: 900 },
      deviceScaleFactor: 1,
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test("one row per workflow, every step's bar where its times say", async () => {
    // The run has what the page distinguishes.
    expect(data.workflows.length).toBe(8);
    const outcomes = new Set(data.workflows.flatMap((w) => w.steps.map((s) => s.outcome)));
    expect(outcomes).toEqual(new Set(["success", "failed", "canceled"]));
    expect(data.workflows.some((w) => w.steps.some((s) => s.startedAt !== null))).toBe(true);

    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/static`);
    const drawn = await waitRendered(page);
    expect(errors).toEqual([]);

    expect(drawn.rows).toBe(data.workflows.length);
    expect(drawn.rowsLayout.map((r) => r.workflowId)).toEqual(data.workflows.map((w) => w.workflowId));
    const { t0, t1 } = expectedRange(data);
    expect(drawn.scale.t0).toBe(t0);
    expect(drawn.scale.t1).toBe(t1);
    const { left, right } = drawn.scale;
    expect(left).toBeGreaterThan(0);
    expect(right).toBeLessThanOrEqual(drawn.width);
    expect(right - left).toBeGreaterThan(500);
    const x = (time: number) => left + ((time - t0) / (t1 - t0)) * (right - left);

    const steps = data.workflows.flatMap((w) => w.steps.map((s) => ({ w, s })));
    expect(drawn.bars).toHaveLength(steps.length);
    for (const { w, s } of steps) {
      const what = `${w.name} ${w.workflowId} step ${s.stepNumber}`;
      const bar = drawn.bars.find((b) => b.workflowId === w.workflowId && b.stepNumber === s.stepNumber)!;
      expect(bar, what).toBeDefined();
      expect(Math.abs(bar.x0 - x(s.queuedAt)), `${what} x0`).toBeLessThanOrEqual(1);
      expect(Math.abs(bar.x1 - x(s.finishedAt ?? data.now)), `${what} x1`).toBeLessThanOrEqual(1);
      if (s.startedAt === null) expect(bar.xStart, what).toBeNull();
      else expect(Math.abs(bar.xStart! - x(s.startedAt)), `${what} xStart`).toBeLessThanOrEqual(1);
      // Inside its workflow's row.
      const row = drawn.rowsLayout[data.workflows.indexOf(w)];
      expect(bar.y, what).toBeGreaterThanOrEqual(row.y);
      expect(bar.y + bar.h, what).toBeLessThanOrEqual(row.y + row.h);
    }
    // Rows don't overlap and follow the data's order.
    for (let r = 1; r < drawn.rowsLayout.length; r++) {
      expect(drawn.rowsLayout[r].y).toBeGreaterThanOrEqual(drawn.rowsLayout[r - 1].y + drawn.rowsLayout[r - 1].h);
    }
    // Something is painted in the middle of every bar at least 3 px wide.
    const painted = await page.evaluate(
      (bars) => {
        const canvas = document.getElementById("timeline") as HTMLCanvasElement;
        const g = canvas.getContext("2d")!;
        const scale = canvas.width / canvas.getBoundingClientRect().width;
        return bars.map((b) => {
          const px = g.getImageData(Math.floor(((b.x0 + b.x1) / 2) * scale), Math.floor((b.y + b.h / 2) * scale), 1, 1).data;
          return Math.max(px[0], px[1], px[2]);
        });
      },
      drawn.bars.filter((b) => b.x1 - b.x0 >= 3),
    );
    for (const brightness of painted) expect(brightness).toBeGreaterThan(40);
    expect(drawn.concurrency.maxInFlight).toBeGreaterThanOrEqual(2);

    mkdirSync(OUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUT_DIR, "timeline.png"), fullPage: true });
    await page.close();
  });

  test("live mode: fetches liveUrl every second and re-renders", async () => {
    const page = await context.newPage();
    const before = jsonRequests;
    await page.goto(`${base}/live`);
    const first = await waitRendered(page);
    expect(first.rows).toBe(data.workflows.length);
    const later = await waitRendered(page, first.renders + 1);
    expect(later.bars).toEqual(first.bars);
    expect(jsonRequests - before).toBeGreaterThanOrEqual(2);
    await page.close();
  });
});
