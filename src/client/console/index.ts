// registerConsole: a runs console mounted on the app's httpRouter. One handler serves every
// method under `pathPrefix`:
//
//   GET  <prefix>                 the page (static HTML, CSS and script; no data in it)
//   GET  <prefix>/api/runs        a page of runs: ?name&status&tagKey&tagValue&order&cursor&limit
//   GET  <prefix>/api/counts      counts per status: ?name
//   GET  <prefix>/api/run         one run in detail: ?id
//   GET  <prefix>/api/bulk-progress  a cancel-many / restart-many job: ?jobId
//   POST <prefix>/api/<action>    cancel, pause, resume, restart, send-event, cleanup,
//                                 cancel-many, restart-many
//
// `authorize(ctx, request)` decides every request first: a refused API request gets 401 and
// nothing is read or written; a refused page request gets 401 with the sign-in form (the same
// static page, which asks the operator for the token and sends it as `Authorization: Bearer`).
import { type GenericActionCtx, type GenericDataModel, httpActionGeneric, type HttpRouter } from "convex/server";
import { checkWebhookPathPrefix, describeValue } from "../../shared/validateOptions.js";
import type { WorkflowComponent } from "../types.js";
import { ACTIONS } from "./actions.js";
import type { ConsoleAuthorize } from "./auth.js";
import { ConsoleRequestError, describeError } from "./errors.js";
import { filterFromSearchParams } from "./filters.js";
import { renderConsolePage } from "./page.js";
import { errorResponse, htmlResponse, jsonResponse, makeNonce, type ResponseHeaders } from "./responses.js";
import { bulkProgress, countRuns, listRuns, runDetail } from "./runs.js";

export { bearerTokenAuth, type ConsoleAuthorize } from "./auth.js";

export const DEFAULT_CONSOLE_PATH_PREFIX = "/workflow/console";
/** A POST body larger than this is refused (restart args and event values are at most 800 KiB stored). */
const MAX_BODY_BYTES = 1 << 20;

export type RegisterConsoleOptions = {
  /** Decides every request; required. `bearerTokenAuth("CONSOLE_TOKEN")` is the ready-made one. */
  authorize: ConsoleAuthorize;
  /** Where the console is mounted. Default "/workflow/console". */
  pathPrefix?: string;
  /**
   * Allow a page on another origin to call the JSON API: its origin, exactly
   * ("https://ops.example.com"). Without it no CORS header is ever sent.
   */
  cors?: { origin: string };
};

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/**
 * Mount the runs console on the app's HTTP router (convex/http.ts):
 * `registerConsole(http, components.workflow, { authorize: bearerTokenAuth("CONSOLE_TOKEN") })`,
 * then open `<your .convex.site URL>/workflow/console`. See docs/console.md and docs/security.md.
 */
export function registerConsole(http: HttpRouter, component: WorkflowComponent, options: RegisterConsoleOptions): void {
  if (typeof options !== "object" || options === null || typeof options.authorize !== "function") {
    throw new Error(
      "registerConsole needs `authorize(ctx, request) => Promise<boolean>`: the console shows and changes every workflow, " +
        `so it is never served without a check (e.g. { authorize: bearerTokenAuth("CONSOLE_TOKEN") }); got ${describeValue(options)}`,
    );
  }
  const prefix =
    options.pathPrefix === undefined
      ? DEFAULT_CONSOLE_PATH_PREFIX
      : checkWebhookPathPrefix("registerConsole `pathPrefix`", options.pathPrefix);
  const cors = options.cors;
  if (cors !== undefined && (typeof cors?.origin !== "string" || !/^https?:\/\/[^/\s]+$/.test(cors.origin))) {
    throw new Error(
      `registerConsole \`cors.origin\` must be an origin like "https://ops.example.com", got ${describeValue(cors)}`,
    );
  }
  const corsHeaders: ResponseHeaders = cors ? { "Access-Control-Allow-Origin": cors.origin, Vary: "Origin" } : {};
  const handler = httpActionGeneric(async (ctx, request) => {
    const response = await serve(ctx, request, { component, prefix, authorize: options.authorize, cors: !!cors });
    for (const [k, v] of Object.entries(corsHeaders)) response.headers.set(k, v);
    return response;
  });
  for (const method of METHODS) {
    http.route({ path: prefix, method, handler });
    http.route({ pathPrefix: `${prefix}/`, method, handler });
  }
}

type Setup = { component: WorkflowComponent; prefix: string; authorize: ConsoleAuthorize; cors: boolean };

async function serve(ctx: GenericActionCtx<GenericDataModel>, request: Request, setup: Setup): Promise<Response> {
  const url = new URL(request.url);
  const rest = url.pathname.slice(setup.prefix.length);
  const isPage = rest === "" || rest === "/";
  if (request.method === "OPTIONS" && setup.cors) {
    // A CORS preflight carries no credentials: it is answered with what is allowed, and no data.
    return new Response(null, {
      status: 204,
      headers: {
        "Cache-Control": "no-store",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
      },
    });
  }
  let allowed = false;
  try {
    allowed = (await setup.authorize(ctx, request)) === true;
  } catch (error) {
    console.warn(`workflow console: authorize threw, answering 401: ${describeError(error)}`);
  }
  if (isPage) {
    if (request.method !== "GET")
      return errorResponse(allowed ? 405 : 401, allowed ? "use GET" : "unauthorized", { Allow: "GET" });
    const nonce = makeNonce();
    return htmlResponse(allowed ? 200 : 401, renderConsolePage({ prefix: setup.prefix, nonce }), nonce);
  }
  if (!allowed) return errorResponse(401, "unauthorized: send Authorization: Bearer <token>");
  try {
    return jsonResponse(200, await route(ctx, request, url, rest, setup));
  } catch (error) {
    if (error instanceof ConsoleRequestError) {
      return errorResponse(error.status, error.message, error.status === 405 ? { Allow: allowOf(rest) } : {});
    }
    throw error;
  }
}

function allowOf(rest: string): string {
  return rest.startsWith("/api/") && ACTIONS[rest.slice(5)] ? "POST" : "GET";
}

async function route(ctx: GenericActionCtx<GenericDataModel>, request: Request, url: URL, rest: string, setup: Setup) {
  const { component } = setup;
  const reads: Record<string, () => Promise<unknown>> = {
    "/api/runs": () => listRuns(ctx, component, filterFromSearchParams(url.searchParams), url.searchParams),
    "/api/counts": () => countRuns(ctx, component, url.searchParams.get("name") || undefined),
    "/api/run": () => runDetail(ctx, component, url.searchParams.get("id") ?? ""),
    "/api/bulk-progress": () => bulkProgress(ctx, component, url.searchParams.get("jobId") ?? ""),
  };
  const read = reads[rest];
  if (read) {
    if (request.method !== "GET") throw new ConsoleRequestError(405, `${rest} answers GET only`);
    return await read();
  }
  const action = rest.startsWith("/api/") ? ACTIONS[rest.slice(5)] : undefined;
  if (!action) throw new ConsoleRequestError(404, `no such console route: ${rest}`);
  if (request.method !== "POST") throw new ConsoleRequestError(405, `${rest} changes data: POST only`);
  return await action(ctx, component, await readJsonBody(request));
}

/** A POST's body: JSON (with a JSON content type, which a cross-site form cannot send) of at most 1 MiB, an object. */
async function readJsonBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get("Content-Type")?.split(";")[0].trim().toLowerCase();
  if (type !== "application/json")
    throw new ConsoleRequestError(400, "send the body as Content-Type: application/json");
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ConsoleRequestError(400, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES)
    throw new ConsoleRequestError(400, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ConsoleRequestError(400, "the body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ConsoleRequestError(400, "the body must be a JSON object");
  }
  return body as Record<string, unknown>;
}
