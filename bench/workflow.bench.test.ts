// `npm run bench`: the same workloads on every implementation in IMPLEMENTATIONS, one after
// another on the embedded backend (convex-test), counted from the outside (see lib/instrument.ts).
//
// Sizes: BENCH_SIZES (workflows started together, default 10,50,200) and BENCH_LENGTHS
// (steps of the long sequential workflow, default 25,50,100,200), comma-separated.
// Results: printed, and written to out/bench/latest.json and .md (ignored by git). With
// `npm run bench -- --update` (or BENCH_UPDATE=1) they replace the committed copy in
// bench/results/ instead; BENCH_OUT names another file.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BASELINE, IMPLEMENTATIONS } from "./lib/implementations";
import {
  caseTable,
  executorTargets,
  functionTable,
  growthTable,
  layerTable,
  moreThanBaseline,
  sameCase,
} from "./lib/report";
import { type Case, caseName, runCase, type RunResult } from "./lib/run";

// Unset: the defaults; empty (or "none"): skip that kind of case.
const list = (value: string | undefined, fallback: number[]) =>
  value === undefined
    ? fallback
    : value
        .split(",")
        .map((s) => Number(s.trim()))
        .filter((n) => Number.isInteger(n) && n > 0);

const SIZES = list(process.env.BENCH_SIZES, [10, 50, 200]);
const LENGTHS = list(process.env.BENCH_LENGTHS, [25, 50, 100, 200]);
const OUT = resolve(
  process.env.BENCH_OUT ?? (process.env.BENCH_UPDATE === "1" ? "bench/results/latest.json" : "out/bench/latest.json"),
);

const CASES: Case[] = [
  ...SIZES.map((workflows): Case => ({ kind: "fourStep", workflows })),
  ...LENGTHS.map((steps): Case => ({ kind: "sequential", steps })),
];

const runs: RunResult[] = [];

describe("bench", () => {
  for (const c of CASES) {
    for (const impl of IMPLEMENTATIONS.filter((i) => i.available)) {
      test(`${caseName(c)} — ${impl.label}`, async () => {
        const run = await runCase(impl, c);
        runs.push(run);
        // A bench whose workflows did not all finish correctly measures nothing.
        const logged = `logged during the run: ${JSON.stringify(run.logged, null, 2)}`;
        expect(run.check.completed, logged).toBe(run.check.expected);
        if (run.check.sideEffects !== undefined) expect(run.check.sideEffects, logged).toBe(run.check.expected);
        // The two counting methods for scheduled functions must agree.
        const fromTables = Object.values(run.scheduledByTarget).reduce((a, b) => a + b, 0);
        expect(fromTables).toBe(run.totals.scheduled);
      });
    }
  }
});

afterAll(() => {
  if (runs.length === 0) return;
  const sections: string[] = [];
  for (const c of CASES) {
    if (runs.some((r) => sameCase(r.case, c))) sections.push(caseTable(c, IMPLEMENTATIONS, runs));
  }
  for (const kind of ["fourStep", "sequential"] as const) {
    const ofKind = CASES.filter((c) => c.kind === kind);
    if (ofKind.length > 1) {
      const what = kind === "fourStep" ? "4-step workload by number of workflows" : "long workflow by length";
      sections.push(`### Growth: ${what}\n\n${growthTable(ofKind, IMPLEMENTATIONS, runs)}`);
    }
  }
  // Per-function detail for the largest run of each kind.
  for (const kind of ["fourStep", "sequential"] as const) {
    const ofKind = runs.filter((r) => r.case.kind === kind);
    const largest = ofKind.reduce<RunResult | undefined>((a, r) => (!a || r.steps > a.steps ? r : a), undefined);
    if (!largest) continue;
    const same = ofKind.filter((r) => sameCase(r.case, largest.case));
    for (const run of same) sections.push(layerTable(run), functionTable(run));
    const base = same.find((r) => r.impl === BASELINE);
    for (const run of same) if (base && run !== base) sections.push(moreThanBaseline(run, base, IMPLEMENTATIONS));
  }
  // The standing target: no implementation does more transactions, executions or scheduled
  // functions per step than the baseline, in any case.
  const verdicts: string[] = [];
  for (const run of runs.filter((r) => r.impl !== BASELINE)) {
    const base = runs.find((r) => r.impl === BASELINE && sameCase(r.case, run.case));
    if (!base) continue;
    const worse = (["executions", "transactions", "scheduled"] as const).filter(
      (k) => run.perStep[k] > base.perStep[k] + 1e-9,
    );
    verdicts.push(
      `- ${run.impl}, ${caseName(run.case)}: ${worse.length ? `MORE ${worse.join(", ")} per step than ${BASELINE}` : `at or below ${BASELINE}`}`,
    );
  }
  if (verdicts.length) sections.push(`### Target: at or below ${BASELINE} per step\n\n${verdicts.join("\n")}`);
  const targets = executorTargets(runs);
  if (targets) sections.push(targets);
  const text = sections.join("\n\n");
  console.log(`\n${text}\n`);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        machine: { cpus: cpus().length, node: process.version },
        method: "see docs/performance.md",
        implementations: IMPLEMENTATIONS.map(({ id, label, component, available, note }) => ({
          id,
          label,
          component,
          available,
          note,
        })),
        cases: CASES,
        runs,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(OUT.replace(/\.json$/, ".md"), `${text}\n`);
  console.log(`Results written to ${OUT}`);
});
