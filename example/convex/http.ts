// HTTP routes: a live timeline of the app's workflows, and workflow webhooks.
//
//   POST /workflow/webhooks/<token>   a delivery to a `step.createWebhook` URL (registerWebhooks)
//   GET /timeline        the canvas page (example/viz/timelineHtml.ts): it fetches /timeline.json every second
//   GET /timeline.json   the newest workflows (up to 500) with their steps, as TimelineData
//
// The timeline shows every workflow's name, id and step names, so both routes are protected
// by a shared secret: set it with `npx convex env set TIMELINE_TOKEN <long random string>`
// and send it as `Authorization: Bearer <token>` or `?token=<token>`. Without the variable
// the routes answer 503; with a missing or wrong token, 401. See docs/security.md.
//
// Optional query parameters: `name` (only workflows of that name), `limit` (1–500).
import { httpRouter } from "convex/server";
import { registerWebhooks } from "convex-workflow";
import { components } from "./_generated/api.js";
import { renderTimelineHtml, type TimelineData } from "../viz/timelineHtml.js";
import { httpAction, type ActionCtx } from "./_generated/server.js";
import { workflow } from "./example.js";

const MAX_WORKFLOWS = 500;
const PAGE_SIZE = 100;

const http = httpRouter();

// POST /workflow/webhooks/<token>: deliveries to `step.createWebhook` URLs (docs/webhooks.md).
registerWebhooks(http, components.workflow);

http.route({
  path: "/timeline",
  method: "GET",
  handler: httpAction(async (_ctx, request) => {
    const auth = await authorize(request);
    if (!auth.ok) return auth.response;
    const url = new URL(request.url);
    const live = new URLSearchParams({ token: auth.token });
    for (const key of ["name", "limit"]) {
      const value = url.searchParams.get(key);
      if (value !== null) live.set(key, value);
    }
    const html = renderTimelineHtml({
      liveUrl: `/timeline.json?${live.toString()}`,
      title: "Workflow timeline (live)",
    });
    return new Response(html, {
      status: 200,
      headers: {
        ...PRIVATE_HEADERS,
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; " +
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      },
    });
  }),
});

http.route({
  path: "/timeline.json",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const auth = await authorize(request);
    if (!auth.ok) return auth.response;
    const url = new URL(request.url);
    const limitParam = Number(url.searchParams.get("limit") ?? MAX_WORKFLOWS);
    const limit = Number.isFinite(limitParam)
      ? Math.max(1, Math.min(MAX_WORKFLOWS, Math.floor(limitParam)))
      : MAX_WORKFLOWS;
    const data = await readTimeline(ctx, { limit, name: url.searchParams.get("name") ?? undefined });
    return new Response(JSON.stringify(data), {
      status: 200,
      headers: { ...PRIVATE_HEADERS, "Content-Type": "application/json; charset=utf-8" },
    });
  }),
});

export default http;

/** The newest `limit` workflows, newest first, read a page (≤100 workflows) at a time. */
async function readTimeline(ctx: ActionCtx, { limit, name }: { limit: number; name?: string }): Promise<TimelineData> {
  const workflows: TimelineData["workflows"] = [];
  let cursor: string | null = null;
  let truncated = false;
  for (;;) {
    const page = await workflow.timelinePage(ctx, {
      paginationOpts: { cursor, numItems: Math.min(PAGE_SIZE, limit - workflows.length) },
      order: "desc",
      name,
    });
    workflows.push(...page.page.slice(0, limit - workflows.length));
    if (page.isDone) break;
    if (workflows.length >= limit) {
      truncated = true;
      break;
    }
    cursor = page.continueCursor;
  }
  return { now: Date.now(), workflows, truncated };
}

// ---------------------------------------------------------------------------------------
// The token check

const PRIVATE_HEADERS = {
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

type Authorization = { ok: true; token: string } | { ok: false; response: Response };

async function authorize(request: Request): Promise<Authorization> {
  // Read on every request, so that setting or rotating the variable takes effect at once.
  const expected = process.env.TIMELINE_TOKEN;
  if (!expected) {
    return { ok: false, response: plain(503, "timeline disabled: set TIMELINE_TOKEN") };
  }
  const header = request.headers.get("Authorization");
  const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  const given = bearer ?? new URL(request.url).searchParams.get("token");
  if (!given || !(await constantTimeEqual(given, expected))) {
    return { ok: false, response: plain(401, "unauthorized: send TIMELINE_TOKEN as a Bearer token or ?token=", true) };
  }
  return { ok: true, token: given };
}

/**
 * Compares SHA-256 digests byte by byte without stopping at the first difference, so the
 * time taken says nothing about how much of the token was right (or about its length).
 */
async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(da);
  const y = new Uint8Array(db);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

function plain(status: number, text: string, challenge = false): Response {
  return new Response(text, {
    status,
    headers: {
      ...PRIVATE_HEADERS,
      "Content-Type": "text/plain; charset=utf-8",
      ...(challenge ? { "WWW-Authenticate": 'Bearer realm="timeline"' } : {}),
    },
  });
}
