// @vitest-environment node
// The runs console in a real browser: headless Chromium (Debian's `chromium`, driven by
// playwright-core) uses the console the example app mounts (registerConsole in http.ts),
// served from convex-test through a local HTTP server that hands each request to `t.fetch`.
// Scheduled functions run on real timers, so workflows progress while the page polls.
//
// Without /usr/bin/chromium the test fails under CI (which installs it: see .ci/run) and is
// skipped elsewhere; install it with `apt-get install -y chromium`.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFunctionHandle } from "convex/server";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { components, internal } from "../convex/_generated/api.js";
import { workflow } from "../convex/example.js";
import { initConvexTest, type TestConvex } from "../convex/setup.testing.js";
import { serveRoutes } from "../demo/serveRoutes.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const TOKEN = "browser-console-token-0123456789abcdef";
const CONSOLE = "/workflow/console";
/** Screenshots go to out/; with UPDATE_DOCS_IMG=1 to docs/img/ (the ones docs/console.md shows). */
const IMG_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  process.env.UPDATE_DOCS_IMG ? "../../docs/img" : "../../out",
);
const XSS_NAME = "<script>window.__xss='name'</script>";
const XSS_ARG = "bad <img src=x onerror=\"window.__xss='args'\"><script>window.__xss='args'</script>";

declare global {
  interface Window {
    __xss?: string;
  }
}

async function settle(t: TestConvex, ids: string[], done: (type: string) => boolean, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const types = await Promise.all(ids.map((id) => t.query((ctx) => workflow.status(ctx, id as never))));
    if (types.every((s) => done(s.type))) return;
    if (Date.now() > until) throw new Error(`workflows did not settle: ${JSON.stringify(types)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!haveChromium && !process.env.CI)("runs console in Chromium", () => {
  let t: TestConvex;
  let closeServer: (() => Promise<void>) | undefined;
  let base: string;
  let context: BrowserContext;
  let userDataDir: string;
  let failing: string;
  let waiting: string;
  let hostile: string;

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`${CHROMIUM} not found: the browser test needs Debian's chromium (apt-get install -y chromium).`);
    }
    vi.stubEnv("CONSOLE_TOKEN", TOKEN);
    t = initConvexTest();
    await t.mutation((ctx) => workflow.start(ctx, internal.example.greeting, { name: "Ada" }));
    failing = await t.mutation((ctx) =>
      workflow.start(ctx, internal.consoleWorkflows.greetChecked, { name: "bad-Ada" }, { tags: { team: "billing" } }),
    );
    waiting = await t.mutation((ctx) =>
      workflow.start(
        ctx,
        internal.consoleWorkflows.awaitApproval,
        { request: "invoice 7" },
        { tags: { team: "billing", customer: "acme" } },
      ),
    );
    // A run whose name, args and error carry markup (a name a workflow function cannot have,
    // so it is created through the component directly).
    hostile = await t.mutation(async (ctx) =>
      ctx.runMutation(components.workflow.workflow.create, {
        workflowName: XSS_NAME,
        workflowHandle: await createFunctionHandle(internal.consoleWorkflows.greetChecked),
        workflowArgs: { name: XSS_ARG },
        startAsync: true,
      }),
    );
    await settle(t, [failing, hostile], (type) => type === "failed");
    ({ base, close: closeServer } = await serveRoutes(t));
    userDataDir = mkdtempSync(path.join(os.tmpdir(), "console-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-sync",
      ],
      viewport: { width: 1200, height: 720 },
      deviceScaleFactor: 1,
    });
  });

  afterAll(async () => {
    await context?.close();
    await closeServer?.();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  async function pauseAndResume(page: Page) {
    await page.click("#act-pause");
    await page.waitForSelector('#run-title [data-status="paused"]');
    expect(await page.locator("#act-resume").isEnabled()).toBe(true);
    await page.click("#act-resume");
    await page.waitForSelector('#run-title [data-status="running"]');
  }

  async function signedIn(hash = "#/"): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}${CONSOLE}#token=${TOKEN}&${hash.slice(1)}`);
    return page;
  }

  test("sign in, filter the list, open a failed run, restart it from a step with new args, see it complete", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const res = await page.goto(`${base}${CONSOLE}`);
    expect(res?.status()).toBe(401); // the page without a token: the sign-in form, no data
    await page.fill("#token", "wrong");
    await page.click("#signin button[type=submit]");
    await expect.poll(() => page.locator("#signin-error").textContent()).toContain("refused");
    await page.fill("#token", TOKEN);
    await page.click("#signin button[type=submit]");
    await page.waitForSelector(`#runs tr[data-run="${failing}"]`);
    expect(await page.locator("#runs tr[data-run]").count()).toBe(4);
    await expect.poll(() => page.locator("#counts").textContent()).toMatch(/^\d+ running · 0 paused · 0 queued · /);
    mkdirSync(IMG_DIR, { recursive: true });
    await page.screenshot({ path: path.join(IMG_DIR, "console-runs.png") });

    const shown = () =>
      page.locator("#runs tr[data-run]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")));
    await page.fill("#f-tag-key", "team");
    await page.fill("#f-tag-value", "billing");
    await page.click("#apply");
    await expect.poll(shown).toEqual([waiting, failing]);
    expect(await page.locator(`#runs tr[data-run="${waiting}"] .tag`).allTextContents()).toEqual([
      "customer=acme",
      "team=billing",
    ]);
    await page.selectOption("#f-status", "failed");
    await page.click("#apply");
    await expect.poll(shown).toEqual([failing]);
    await page.click(`#runs tr[data-run="${failing}"] a.open`);
    await page.waitForSelector('#run-title [data-status="failed"]');
    expect(await page.locator("#run-outcome").textContent()).toContain("cannot greet bad-Ada");
    expect(await page.locator("#steps tr[data-step]").count()).toBe(2);

    // A validation error is shown and nothing is sent.
    await page.selectOption("#restart-from", "1");
    await page.fill("#restart-args", "{ not json");
    await page.click("#restart-submit");
    await expect.poll(() => page.locator("#restart-error").textContent()).toContain("not valid JSON");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(IMG_DIR, "console-run.png") });
    expect(errors).toEqual([]);
    await page.fill("#restart-args", '{ "name": "Grace" }');
    await page.click("#restart-submit");
    await page.waitForSelector('#run-title [data-status="completed"]', { timeout: 20_000 });
    expect(await page.locator("#run-outcome").textContent()).toContain("Hello, Grace");
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(IMG_DIR, "console-run.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  test("pause, resume, then send the event it waits for", async () => {
    const page = await signedIn(`#/run/${waiting}`);
    await page.waitForSelector('#run-title [data-status="running"]');
    await pauseAndResume(page);
    await page.fill("#event-name", "approval");
    await page.fill("#event-value", '{ "ok": true }');
    await page.click("#send-event button[type=submit]");
    await page.waitForSelector('#run-title [data-status="completed"]', { timeout: 20_000 });
    expect(await page.locator("#events").textContent()).toContain("approval");
    await page.close();
  });

  test("a run whose name, args and error carry markup renders it as inert text", async () => {
    for (const hash of ["#/", `#/run/${hostile}`]) {
      const page = await signedIn(hash);
      await page.waitForFunction(() => Number(document.body.dataset.renders ?? 0) >= 1);
      expect(await page.evaluate(() => window.__xss)).toBeUndefined();
      expect(await page.locator("#view img, #view script").count()).toBe(0);
      const text = (await page.locator("#view").textContent()) ?? "";
      expect(text).toContain(XSS_NAME);
      if (hash !== "#/") {
        expect(text).toContain(XSS_ARG);
        expect(await page.locator("#run-outcome").textContent()).toContain(`cannot greet ${XSS_ARG}`);
      }
      await page.close();
    }
  });

  test("a request without the token gets 401 and changes nothing", async () => {
    const running = await t.mutation((ctx) =>
      workflow.start(ctx, internal.consoleWorkflows.awaitApproval, { request: "keep" }),
    );
    const page = await context.newPage();
    await page.goto(`${base}${CONSOLE}`);
    const answers = await page.evaluate(
      async ({ prefix, id }) => {
        const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
          fetch(prefix + path, {
            method: "POST",
            headers: { "Content-Type": "application/json", ...headers },
            body: JSON.stringify(body),
          }).then((r) => r.status);
        return [
          await post("/api/cancel", { id }),
          await post("/api/cancel", { id }, { Authorization: "Bearer wrong" }),
          await post("/api/cancel-many", {}),
          await fetch(`${prefix}/api/runs`).then((r) => r.status),
        ];
      },
      { prefix: CONSOLE, id: running },
    );
    expect(answers).toEqual([401, 401, 401, 401]);
    expect((await t.query((ctx) => workflow.status(ctx, running))).type).toBe("inProgress");
    await page.close();
  });
});
