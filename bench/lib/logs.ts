// What the implementations log during a measured run: counted, kept in the JSON, not printed.
//
// Two kinds are artifacts of the embedded backend, and start replacements the function counts
// include:
// - "Executor for shard N silent for 90000 ms; starting another." (ours): while functions run,
//   convex-test's `finishAllScheduledFunctions` moves the fake clock to the next pending timer on
//   every turn of the event loop, often our 90 s watchdog's, so a busy executor looks stalled;
// - `[monitor] "main" loop is not running — restarting` (the workpool's batch-worker):
//   convex-test marks a scheduled mutation `inProgress` before it runs, and another mutation can
//   see that state, which a deployment never shows.
// Printed, such lines bury the tables; a run whose checks fail shows its counts in the failure
// message.
export type LogCounts = Record<string, number>;

const LEVELS = ["error", "warn", "info", "log"] as const;

/** One key per kind of message: its level and first line, with numbers as N. */
function keyOf(level: string, args: unknown[]): string {
  const first = args
    .map((a) => (a instanceof Error ? a.toString() : String(a)))
    .join(" ")
    .split("\n")[0];
  return `${level}: ${first.replace(/\d+/g, "N").slice(0, 200)}`;
}

/** Count console calls until `stop()`, which restores the console and returns the counts. */
export function captureLogs(): { stop(): LogCounts } {
  const counts: LogCounts = {};
  const originals = LEVELS.map((level) => [level, console[level]] as const);
  for (const level of LEVELS) {
    console[level] = (...args: unknown[]) => {
      const key = keyOf(level, args);
      counts[key] = (counts[key] ?? 0) + 1;
    };
  }
  return {
    stop() {
      for (const [level, original] of originals) console[level] = original;
      return counts;
    },
  };
}
