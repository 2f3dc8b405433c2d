// Tables for the terminal (and docs/performance.md), and the JSON written next to them.
import { BASELINE, type Implementation } from "./implementations";
import { caseName, type Case, type RunResult, type Totals } from "./run";

type Row = { label: string; value: (r: RunResult) => number; digits: number };

const ROWS: Row[] = [
  { label: "wall time (ms)", value: (r) => r.wallMs, digits: 0 },
  { label: "steps per second (wall)", value: (r) => r.steps / (r.wallMs / 1000), digits: 1 },
  { label: "function executions / step", value: (r) => r.perStep.executions, digits: 2 },
  { label: "  transactions (own txn) / step", value: (r) => r.perStep.transactions, digits: 2 },
  { label: "  nested query/mutation / step", value: (r) => r.perStep.nested, digits: 2 },
  { label: "  actions / step", value: (r) => r.perStep.actions, digits: 2 },
  { label: "scheduled functions / step", value: (r) => r.perStep.scheduled, digits: 2 },
  { label: "documents read / step", value: (r) => r.perStep.documentsRead, digits: 1 },
  { label: "documents written / step", value: (r) => r.perStep.documentsWritten, digits: 2 },
];

function fmt(n: number, digits: number): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

export function sameCase(a: Case, b: Case): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function title(c: Case): string {
  return c.kind === "fourStep"
    ? `4-step workload (query, 2 parallel actions, mutation), ${c.workflows} workflows started together = ${4 * c.workflows} steps`
    : `long workflow: 1 workflow of ${c.steps} sequential action steps`;
}

/** One markdown table per case: metrics as rows, implementations (and ratios to the baseline) as columns. */
export function caseTable(c: Case, impls: Implementation[], runs: RunResult[]): string {
  const base = runs.find((r) => r.impl === BASELINE && sameCase(r.case, c));
  const headers = ["metric"];
  for (const impl of impls) {
    headers.push(impl.label);
    if (impl.id !== BASELINE) headers.push(`${impl.id} / ${BASELINE}`);
  }
  const rows = ROWS.map((row) => {
    const cells = [row.label];
    for (const impl of impls) {
      const run = runs.find((r) => r.impl === impl.id && sameCase(r.case, c));
      cells.push(run ? fmt(row.value(run), row.digits) : (impl.note ?? "n/a"));
      if (impl.id !== BASELINE) {
        const ratio = run && base && row.value(base) > 0 ? row.value(run) / row.value(base) : undefined;
        cells.push(ratio === undefined ? "n/a" : `${fmt(ratio, 2)}x`);
      }
    }
    return cells;
  });
  return `### ${title(c)}\n\n${table(headers, rows)}`;
}

/** The functions that cost the most in one run, per step. */
export function functionTable(run: RunResult, top = 12): string {
  const per = (n: number) => fmt(n / run.steps, 2);
  const rows = run.byFunction
    .slice(0, top)
    .map((f) => [
      `${f.component} ${f.fn}`,
      f.type,
      per(f.calls),
      per(f.top + f.fromAction),
      per(f.nested),
      per(f.scheduled),
      per(f.documentsRead),
      per(f.documentsWritten),
    ]);
  return `#### ${run.impl}, ${caseName(run.case)}: top functions (per step)\n\n${table(
    ["function", "type", "calls", "own txn", "nested", "schedules", "reads", "writes"],
    rows,
  )}`;
}

/** Executions per step by layer: the app's own functions, the workflow component, its workpool. */
export function layerTable(run: RunResult): string {
  const keys: (keyof Totals)[] = [
    "executions",
    "transactions",
    "nested",
    "actions",
    "scheduled",
    "documentsRead",
    "documentsWritten",
  ];
  const rows = Object.entries(run.byLayer).map(([layer, t]) => [layer, ...keys.map((k) => fmt(t[k] / run.steps, 2))]);
  return `#### ${run.impl}, ${caseName(run.case)}: by layer (per step)\n\n${table(["layer", ...keys], rows)}`;
}

/** A function's name with the implementation's component path and id taken out, to line runs up. */
function normalized(run: RunResult, impls: Implementation[], component: string, fn: string): string {
  const impl = impls.find((i) => i.id === run.impl);
  const path =
    impl && (component === impl.component || component.startsWith(`${impl.component}/`))
      ? `{wf}${component.slice(impl.component.length)}`
      : component;
  const id = run.impl;
  const name = fn.replace(new RegExp(`${id}([A-Z])`), "{impl}$1");
  return `${path} ${name}`;
}

/**
 * Functions where `run` costs more per step than `base` (calls or schedules), after lining the
 * two runs' functions up by name (component path and implementation id normalized).
 */
export function moreThanBaseline(run: RunResult, base: RunResult, impls: Implementation[]): string {
  type Cost = { calls: number; scheduled: number; reads: number; writes: number };
  const collect = (r: RunResult) => {
    const m = new Map<string, Cost>();
    for (const f of r.byFunction) {
      const key = normalized(r, impls, f.component, f.fn);
      const c = m.get(key) ?? { calls: 0, scheduled: 0, reads: 0, writes: 0 };
      c.calls += f.calls / r.steps;
      c.scheduled += f.scheduled / r.steps;
      c.reads += f.documentsRead / r.steps;
      c.writes += f.documentsWritten / r.steps;
      m.set(key, c);
    }
    return m;
  };
  const a = collect(base);
  const b = collect(run);
  const zero = { calls: 0, scheduled: 0, reads: 0, writes: 0 };
  const rows: string[][] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? zero;
    const y = b.get(key) ?? zero;
    if (y.calls > x.calls + 0.005 || y.scheduled > x.scheduled + 0.005) {
      rows.push([key, fmt(x.calls, 2), fmt(y.calls, 2), fmt(x.scheduled, 2), fmt(y.scheduled, 2)]);
    }
  }
  const heading = `#### ${run.impl} vs ${base.impl}, ${caseName(run.case)}: functions where ${run.impl} does more per step`;
  if (rows.length === 0) return `${heading}\n\nnone`;
  return `${heading}\n\n${table(["function", `calls ${base.impl}`, `calls ${run.impl}`, `schedules ${base.impl}`, `schedules ${run.impl}`], rows)}`;
}

/** One row per case and implementation (e.g. the long workflow at each length): how per-step cost grows. */
export function growthTable(cases: Case[], impls: Implementation[], runs: RunResult[]): string {
  const metrics: [string, (r: RunResult) => number, number][] = [
    ["wall ms", (r) => r.wallMs, 0],
    ["exec/step", (r) => r.perStep.executions, 2],
    ["txn/step", (r) => r.perStep.transactions, 2],
    ["sched/step", (r) => r.perStep.scheduled, 2],
    ["reads/step", (r) => r.perStep.documentsRead, 1],
    ["writes/step", (r) => r.perStep.documentsWritten, 2],
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    for (const impl of impls) {
      const run = runs.find((r) => r.impl === impl.id && sameCase(r.case, c));
      if (!run && !runs.some((r) => sameCase(r.case, c))) continue;
      rows.push([
        caseName(c),
        impl.label,
        ...metrics.map(([, value, digits], i) =>
          run ? fmt(value(run), digits) : i === 0 ? (impl.note ?? "n/a") : "-",
        ),
      ]);
    }
  }
  return table(["case", "implementation", ...metrics.map(([name]) => name)], rows);
}

/**
 * Executor mode's targets, taken against standard mode on the same 4-step case at 200
 * workflows: at most 1/5 of its function executions and 1/20 of its scheduled functions per
 * step, and at least 3x its throughput (steps per second of wall time). Other sizes are shown
 * for comparison (executors' fixed costs weigh more on fewer steps).
 */
const TARGET_WORKFLOWS = 200;

export function executorTargets(runs: RunResult[]): string | undefined {
  const lines: string[] = [];
  for (const run of runs.filter((r) => r.impl === "executor" && r.case.kind === "fourStep")) {
    const standard = runs.find((r) => r.impl === "standard" && sameCase(r.case, run.case));
    if (!standard) continue;
    const checks = [
      {
        what: "function executions / step",
        ratio: run.perStep.executions / standard.perStep.executions,
        ok: (x: number) => x <= 0.2,
        target: "<= 0.20x",
      },
      {
        what: "scheduled functions / step",
        ratio: run.perStep.scheduled / standard.perStep.scheduled,
        ok: (x: number) => x <= 0.05,
        target: "<= 0.05x",
      },
      { what: "throughput (steps/s)", ratio: standard.wallMs / run.wallMs, ok: (x: number) => x >= 3, target: ">= 3x" },
    ];
    const judged = run.case.kind === "fourStep" && run.case.workflows === TARGET_WORKFLOWS;
    for (const c of checks) {
      const verdict = judged ? (c.ok(c.ratio) ? "met" : "NOT met") : `(judged at ${TARGET_WORKFLOWS})`;
      lines.push(`| ${caseName(run.case)} | ${c.what} | ${fmt(c.ratio, 3)}x | ${c.target} | ${verdict} |`);
    }
  }
  if (lines.length === 0) return undefined;
  return [
    "### Executor mode against standard mode (targets)",
    "",
    "| case | metric | executor / standard | target | |",
    "|---|---|---:|---|---|",
    ...lines,
  ].join("\n");
}
