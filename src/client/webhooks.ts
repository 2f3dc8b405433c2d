// The HTTP side of webhooks: `registerWebhooks(http, components.workflow)` mounts
// `POST <prefix>/<token>`, which hands the request's body to the component's `deliver`
// (src/component/webhooks.ts) and answers with its status and a short JSON body.
import { type GenericActionCtx, type GenericDataModel, httpActionGeneric, type HttpRouter } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { DEFAULT_WEBHOOK_PATH_PREFIX, MAX_RETURN_VALUE_SIZE } from "../shared/limits.js";
import { checkWebhookPathPrefix, describeValue } from "../shared/validateOptions.js";
import type { WorkflowComponent } from "./types.js";

export type RegisterWebhooksOptions = {
  /**
   * Where the route is mounted; webhook URLs must use the same one (the manager's
   * `webhooks.pathPrefix`). Default "/workflow/webhooks".
   */
  pathPrefix?: string;
};

const HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

/** Every answer: `{ "ok": true }` or `{ "error": "..." }`. Never the token. */
function answer(status: number, error?: string, extraHeaders?: Record<string, string>): Response {
  return new Response(JSON.stringify(error === undefined ? { ok: true } : { error }), {
    status,
    headers: { ...HEADERS, ...extraHeaders },
  });
}

const tooLarge = () => answer(413, `the body is larger than ${MAX_RETURN_VALUE_SIZE} bytes`);

/** The body, or null once it passes `max` bytes (read no further than that). */
async function readBody(request: Request, max: number): Promise<Uint8Array | null> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function isJson(contentType: string | null): boolean {
  const type = contentType?.split(";")[0].trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

async function deliverRequest(
  ctx: GenericActionCtx<GenericDataModel>,
  component: WorkflowComponent,
  routePrefix: string,
  request: Request,
): Promise<Response> {
  const token = new URL(request.url).pathname.slice(routePrefix.length);
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(token)) return answer(404, "unknown webhook");
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) > MAX_RETURN_VALUE_SIZE) return tooLarge();
  const bytes = await readBody(request, MAX_RETURN_VALUE_SIZE);
  if (!bytes) return tooLarge();
  let value: unknown;
  if (isJson(request.headers.get("Content-Type"))) {
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      return answer(400, "the body is not valid JSON");
    }
    try {
      convexToJson(value as Value);
    } catch (error) {
      // E.g. a field name starting with "$": not a value Convex can store.
      return answer(400, `the body is not a Convex value: ${error instanceof Error ? error.message : "invalid"}`);
    }
  } else {
    value = new TextDecoder("utf-8").decode(bytes);
  }
  const result = await ctx.runMutation(component.webhooks.deliver, { token, value });
  return answer(result.status, result.error);
}

/**
 * Mount the webhook route on the app's HTTP router (convex/http.ts):
 * `POST <pathPrefix>/<token>` delivers the body (JSON with a JSON content type, else text)
 * to the workflow that made the webhook (`step.createWebhook`), exactly once. Answers 200
 * `{ "ok": true }`, or `{ "error": "..." }` with 400 (invalid JSON, or a value the
 * webhook's validator rejects: it stays open), 404 (unknown token), 409 (already
 * delivered), 410 (closed: the workflow finished or was deleted, a restart deleted the
 * `createWebhook` step, the wait timed out, or the webhook expired), 413 (body over 800 KiB); other methods get 405.
 */
export function registerWebhooks(
  http: HttpRouter,
  component: WorkflowComponent,
  options?: RegisterWebhooksOptions,
): void {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new Error(`registerWebhooks options must be an object { pathPrefix? }, got ${describeValue(options)}`);
  }
  const prefix =
    options?.pathPrefix === undefined
      ? DEFAULT_WEBHOOK_PATH_PREFIX
      : checkWebhookPathPrefix("registerWebhooks `pathPrefix`", options.pathPrefix);
  const routePrefix = `${prefix}/`;
  http.route({
    pathPrefix: routePrefix,
    method: "POST",
    handler: httpActionGeneric(async (ctx, request) => await deliverRequest(ctx, component, routePrefix, request)),
  });
  const notAllowed = httpActionGeneric(async () => answer(405, "use POST", { Allow: "POST" }));
  for (const method of ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"] as const) {
    http.route({ pathPrefix: routePrefix, method, handler: notAllowed });
  }
}
