import { type Infer, v } from "convex/values";

export const DEFAULT_LOG_LEVEL: LogLevel = "WARN";

/** Ordered from most to least verbose: a level logs itself and everything after it. */
export const logLevel = v.union(
  v.literal("DEBUG"),
  v.literal("TRACE"),
  v.literal("INFO"),
  v.literal("REPORT"),
  v.literal("WARN"),
  v.literal("ERROR"),
);
export type LogLevel = Infer<typeof logLevel>;

/** Structured events emitted as one JSON line each, at INFO (and `report` at REPORT). */
export type LogEvent = "started" | "stepCompleted" | "eventConsumed" | "completed" | "retry" | "report";

export type Logger = {
  logLevel: LogLevel;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  event(event: LogEvent, payload: Record<string, unknown>): void;
};

const ORDER: readonly LogLevel[] = logLevel.members.map((m) => m.value);
const rank = (level: LogLevel) => ORDER.indexOf(level);

export function createLogger(level: LogLevel = DEFAULT_LOG_LEVEL): Logger {
  const threshold = rank(level);
  if (threshold < 0) throw new Error(`Invalid log level: ${String(level)}`);
  // Captured at creation so workflow code that patches `console` cannot silence us.
  const out = globalThis.console;
  const at = (l: LogLevel) => threshold <= rank(l);
  return {
    logLevel: level,
    debug: (...args) => at("DEBUG") && out.debug(...args),
    info: (...args) => at("INFO") && out.info(...args),
    warn: (...args) => at("WARN") && out.warn(...args),
    error: (...args) => at("ERROR") && out.error(...args),
    event: (event, payload) => {
      if (at("INFO") || (event === "report" && at("REPORT"))) {
        out.info(JSON.stringify({ component: "workflow", event, ...payload }));
      }
    },
  };
}
