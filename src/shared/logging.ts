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

/** The start of a stack trace's first frame line ("    at handler (…)"). */
const STACK_FRAME = /^\s+at /m;

/**
 * A thrown error (or the stored text of one) as a log line shows it: its message, e.g.
 * "Error: boom", without the stack. The failed result the workflow stores keeps the stack.
 */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.toString() : String(error);
  const frame = text.search(STACK_FRAME);
  return (frame < 0 ? text : text.slice(0, frame)).trimEnd();
}

/**
 * Log an error something threw as one line, `<what>: <message>`; the stack follows only at
 * `DEBUG`. An error a workflow's code throws on purpose is the app's business (its result
 * says so, stack included); a stack in every log line would bury everything else.
 */
export function logThrown(logger: Logger, level: "warn" | "error", what: string, error: unknown): void {
  logger[level](`${what}: ${errorMessage(error)}`);
  if (logger.logLevel === "DEBUG") {
    logger.debug(error instanceof Error && error.stack ? error.stack : String(error));
  }
}
