// The runs filter the console understands, read from a query string (GET) or a JSON body
// (POST, bulk actions), checked before anything is read. The same shape as `list`'s filter.
import { ConsoleRequestError } from "./errors.js";

export const RUN_STATUSES = ["queued", "running", "paused", "completed", "failed", "canceled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type RunFilter = { name?: string; status?: RunStatus; tag?: { key: string; value: string } };

const MAX_FILTER_STRING = 256;

function text(what: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || value.length > MAX_FILTER_STRING) {
    throw new ConsoleRequestError(400, `${what} must be a string of at most ${MAX_FILTER_STRING} characters`);
  }
  return value;
}

/** `{ name?, status?, tag?: { key, value } }` from loose input, or a 400 naming the bad field. */
export function parseFilter(input: {
  name?: unknown;
  status?: unknown;
  tagKey?: unknown;
  tagValue?: unknown;
}): RunFilter {
  const filter: RunFilter = {};
  const name = text("name", input.name);
  if (name !== undefined) filter.name = name;
  const status = text("status", input.status);
  if (status !== undefined) {
    if (!(RUN_STATUSES as readonly string[]).includes(status)) {
      throw new ConsoleRequestError(400, `status must be one of ${RUN_STATUSES.join(", ")}; got "${status}"`);
    }
    filter.status = status as RunStatus;
  }
  const key = text("tag key", input.tagKey);
  const value = text("tag value", input.tagValue);
  if (key !== undefined) filter.tag = { key, value: value ?? "" };
  else if (value !== undefined) throw new ConsoleRequestError(400, "a tag value needs a tag key");
  return filter;
}

export function filterFromSearchParams(params: URLSearchParams): RunFilter {
  return parseFilter({
    name: params.get("name"),
    status: params.get("status"),
    tagKey: params.get("tagKey"),
    tagValue: params.get("tagValue"),
  });
}

export function filterFromBody(body: Record<string, unknown>): RunFilter {
  const raw = body.filter;
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConsoleRequestError(400, "filter must be an object { name?, status?, tag?: { key, value } }");
  }
  const f = raw as Record<string, unknown>;
  const tag = f.tag as Record<string, unknown> | undefined;
  if (tag !== undefined && (typeof tag !== "object" || tag === null)) {
    throw new ConsoleRequestError(400, "filter.tag must be an object { key, value }");
  }
  return parseFilter({ name: f.name, status: f.status, tagKey: tag?.key, tagValue: tag?.value });
}
