// @vitest-environment node
// The timeline page in a real browser: headless Chromium (Debian's `chromium` package,
// driven by playwright-core) opens the page for a finished convex-test run and we check that
// it drew one row per workflow and each step's bar where the data's times put it, that a
// retried step shows its attempt count ("×3", and in its tooltip), and that the legend explains
// every colour and mark. Also saves a screenshot to out/timeline.png, and checks the live mode
// (fetching `liveUrl` every second).
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
import { workflow as executorWorkflow, retryingWorkflow } from "../convex/executorWorkflows.js";
import { lifecycle } from "../convex/lifecycleWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "../convex/setup.testing.js";
import { renderTimelineHtml, type RenderedTimeline, type TimelineData } from "./timelineHtml.js";

const CHROMIUM = "/usr/bin/chromium";
/** The real setTimeout, kept before fake timers replace it: lets the executor's action make progress. */
const realSetTimeout = globalThis.setTimeout;
const haveChromium = existsSync(CHROMIUM);
const OUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../out");

declare global {
  interface Window {
    __timeline?: RenderedTimeline;
  }
}

/**
 * A short run on convex-test: standard and executor mode, retries (an executor-mode step that
 * runs 3 times records its attempts), a failure, a cancel.
 */
async function runExamples(): Promise<TimelineData> {
  vi.useFakeTimers();
  try {
    const t = initConvexTest();
    // Executor mode: an action that fails twice and succeeds on its third attempt. Run first,
    // on a clock that moves smoothly: `drain` jumps from timer to timer, the watchdog then
    // takes the executor for dead and its successor counts attempts from 1 again.
    await t.mutation((ctx) => retryingWorkflow.startExecutors(ctx));
    const flaky = await t.mutation((ctx) =>
      retryingWorkflow.start(ctx, internal.executorWorkflows.flakyFlow, {
        tag: "viz",
        failures: 2,
        explicitRetry: true,
      }),
    );
    for (let ms = 0; ms < 30_000; ms += 50) {
      await vi.advanceTimersByTimeAsync(50);
      await new Promise<void>((resolve) => realSetTimeout(resolve, 1));
      if ((await t.query((ctx) => retryingWorkflow.status(ctx, flaky))).type !== "inProgress") break;
    }
    await t.mutation((ctx) => executorWorkflow.startExecutors(ctx));
    await t.mutation(async (ctx) => {
      for (const name of ["Ada", "Grace"]) await workflow.start(ctx, internal.example.greeting, { name });
      // Retried twice, then succeeds; and one that runs out of retries and fails.
      await workflow.start(ctx, internal.transcription.transcribe, { audioUrl: "https://example.com/talk.mp3" });
      await workflow.start(ctx, internal.transcription.transcribe, {
        audioUrl: "https://example.com/x.mp3",
        flakyFailures: 10,
      });
      // Executor mode: steps with a recorded start (queue time vs execution time).
      for (let n = 0; n < 3; n++)
        await executorWorkflow.start(ctx, internal.executorWorkflows.fourStep, { tag: `viz${n}`, n });
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
  await page.waitForFunction(
    (n) => document.body.dataset.rendered === "1" && (window.__timeline?.renders ?? 0) >= n,
    minRenders,
    {
      timeout: 15_000,
    },
  );
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
      // Only the workflow with the retried step, so that its bars span the page.
      "/retried": renderTimelineHtml({
        data: { now: data.now, workflows: data.workflows.filter((w) => w.steps.some((s) => (s.attempts ?? 0) > 1)) },
        title: "Retried step",
      }),
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
    expect(data.workflows.length).toBe(9);
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
          const px = g.getImageData(
            Math.floor(((b.x0 + b.x1) / 2) * scale),
            Math.floor((b.y + b.h / 2) * scale),
            1,
            1,
          ).data;
          return Math.max(px[0], px[1], px[2]);
        });
      },
      drawn.bars.filter((b) => b.x1 - b.x0 >= 3),
    );
    for (const brightness of painted) expect(brightness).toBeGreaterThan(40);
    expect(drawn.concurrency.maxInFlight).toBeGreaterThanOrEqual(2);

    // Attempts: the retried step says it ran 3 times, on the bar ("×3" painted after it) and
    // in its tooltip; steps that ran once have no mark.
    const retried = data.workflows.flatMap((w) => w.steps.filter((s) => (s.attempts ?? 0) > 1).map((s) => ({ w, s })));
    expect(retried.map(({ s }) => [s.name, s.attempts])).toEqual([["executorWorkflows:flaky", 3]]);
    const retriedBar = drawn.bars.find(
      (b) => b.workflowId === retried[0].w.workflowId && b.stepNumber === retried[0].s.stepNumber,
    )!;
    expect(retriedBar.attempts).toBe(3);
    const markPixels = await page.evaluate((b) => {
      const canvas = document.getElementById("timeline") as HTMLCanvasElement;
      const g = canvas.getContext("2d")!;
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      const px = g.getImageData(
        Math.ceil((Math.max(b.x1, b.x0 + 2) + 3) * scale),
        Math.floor(b.y * scale),
        Math.ceil(16 * scale),
        Math.ceil(b.h * scale),
      ).data;
      let bright = 0;
      for (let i = 0; i < px.length; i += 4) if (Math.min(px[i], px[i + 1], px[i + 2]) > 180) bright++;
      return bright;
    }, retriedBar);
    expect(markPixels, "the ×N mark is painted right of the bar").toBeGreaterThan(5);

    // Legend: every step name with its colour, and every mark and shade the canvas uses.
    const names = [...new Set(data.workflows.flatMap((w) => w.steps.map((s) => s.name)))].sort();
    const keys = drawn.legend.map((l) => l.key);
    expect(keys).toEqual([
      ...names.map((n) => `step:${n}`),
      "queued",
      "executing",
      "failed",
      "canceled",
      "running",
      "retried",
      "status:running",
      "status:success",
      "status:failed",
      "status:canceled",
      "lifetime",
      "stripe",
      "inflight",
      "inexec",
      "now",
    ]);
    // Each entry is on the page, with a visible swatch or mark before its text.
    const shown = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>("#legend [data-legend]")).map((el) => {
        const sw = el.firstElementChild as HTMLElement | null;
        const box = sw?.getBoundingClientRect();
        return {
          key: el.dataset.legend!,
          text: el.textContent ?? "",
          visible: el.offsetParent !== null,
          swatch: !!box && box.width > 0 && box.height > 0,
        };
      }),
    );
    expect(shown.map((s) => s.key)).toEqual(keys);
    for (const entry of shown) {
      expect(entry.visible, entry.key).toBe(true);
      expect(entry.swatch, entry.key).toBe(true);
    }
    expect(shown.find((s) => s.key === "retried")!.text).toContain("×N");
    // A step's swatch has the colour its bars are painted with.
    const flakyColor = await page.evaluate(
      () =>
        getComputedStyle(
          document.querySelector<HTMLElement>('#legend [data-legend="step:executorWorkflows:flaky"] .sw')!,
        ).backgroundColor,
    );
    expect(flakyColor).toMatch(/^rgb\(/);

    mkdirSync(OUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUT_DIR, "timeline.png"), fullPage: true });
    await page.close();
  });

  test("a retried step's attempts in its tooltip", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/retried`);
    const drawn = await waitRendered(page);
    expect(drawn.rows).toBe(1);
    const bar = drawn.bars.find((b) => b.attempts === 3)!;
    expect(bar.name).toBe("executorWorkflows:flaky");
    // Bar geometry is relative to the canvas; the mouse is relative to the page.
    const origin = await page.evaluate(() => {
      const r = document.getElementById("timeline")!.getBoundingClientRect();
      return { x: r.left, y: r.top };
    });
    await page.mouse.move(origin.x + (bar.x0 + Math.max(bar.x1, bar.x0 + 2)) / 2, origin.y + bar.y + bar.h / 2);
    await expect.poll(() => page.locator("#tip").textContent()).toContain("attempts  3  (2 retries)");
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
