// `npm run bench -- --scale`: executor mode at scale. Four-step workflows (a query, two
// in-process actions in parallel, a mutation) started with `startMany` (1,000 per call), every
// scheduled function drained, counted per step from the outside (lib/instrument.ts), plus the
// largest transaction and the documents concurrently running functions write (lib/scale.ts).
//
// SCALE_SIZES: workflows per run (default 1000,5000,10000). BENCH_FAST_DB=0 runs on
// convex-test's own read path instead of lib/fastDb.ts (the counts must not change; it is only
// slower: quadratic in documents). Results: printed, and out/bench/scale.json and .md.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, describe, expect, test, vi } from "vitest";
import { installFastReads } from "./lib/fastDb";
import { currentFunction, startCounting, stopCounting, realNow } from "./lib/instrument";
import { IMPLEMENTATIONS } from "./lib/implementations";
import { ADVANCE, newBackend } from "./lib/run";
import { hotDocs, type HotDoc, installWriteMeter, startMeter, stopMeter, TX_MS, type TxMeter } from "./lib/scale";
import { captureLogs } from "./lib/logs";

const SIZES = (process.env.SCALE_SIZES ?? "1000,5000,10000")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const FAST = process.env.BENCH_FAST_DB !== "0";
const OUT = resolve(process.env.BENCH_OUT ?? `out/bench/scale${FAST ? "" : "-slowdb"}.json`);
const CHUNK = 1000;

const startManyRef = makeFunctionReference<"mutation">("workload:executorStartMany");
const statuses = makeFunctionReference<"query">("workload:statuses");

type ScaleRun = {
  workflows: number;
  steps: number;
  fastDb: boolean;
  /** Simulated ms each top-level transaction takes (lib/scale.ts, BENCH_TX_MS). */
  txMs: number;
  wallMs: number;
  simulatedMs: number;
  completed: number;
  perStep: {
    executions: number;
    transactions: number;
    scheduled: number;
    documentsRead: number;
    documentsWritten: number;
  };
  totals: ScaleRun["perStep"];
  largest: TxMeter;
  byFunction: { fn: string; calls: number; scheduled: number; documentsRead: number; documentsWritten: number }[];
  hot: HotDoc[];
};
const runs: ScaleRun[] = [];

async function runScale(workflows: number): Promise<ScaleRun> {
  vi.useFakeTimers();
  const logs = captureLogs();
  try {
    if (FAST) expect(installFastReads(), "convex-test internals exposed (vitest.bench.config.ts plugin)").toBe(true);
    expect(installWriteMeter()).toBe(true);
    const { t } = newBackend();
    const executor = IMPLEMENTATIONS.find((i) => i.id === "executor")!;
    await executor.setup!(t);
    const counters = startCounting();
    const meter = startMeter(currentFunction);
    const started = realNow();
    const simStart = Date.now();
    const ids: string[] = [];
    for (let first = 0; first < workflows; first += CHUNK) {
      ids.push(...((await t.mutation(startManyRef, { first, count: Math.min(CHUNK, workflows - first) })) as string[]));
    }
    await t.finishAllScheduledFunctions(ADVANCE, 10_000_000);
    const wallMs = realNow() - started;
    const simulatedMs = Date.now() - simStart;
    stopCounting();
    stopMeter();
    let completed = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const s = (await t.query(statuses, { impl: "executor", ids: ids.slice(i, i + 1000) })) as {
        type: string;
        result?: number;
      }[];
      completed += s.filter((x, n) => x.type === "completed" && x.result === 4 * (i + n) + 6).length;
    }
    const byFunction = [...counters.byFn.values()]
      .filter((s) => s.component !== "upstream")
      .sort((a, b) => b.calls - a.calls)
      .map((s) => ({
        fn: `${s.component}:${s.fn}`,
        calls: s.calls,
        scheduled: s.scheduled,
        documentsRead: s.documentsRead,
        documentsWritten: s.documentsWritten,
      }));
    const totals = { executions: 0, transactions: 0, scheduled: 0, documentsRead: 0, documentsWritten: 0 };
    for (const s of counters.byFn.values()) {
      totals.executions += s.calls;
      if (s.type !== "action") totals.transactions += s.top + s.fromAction;
      totals.scheduled += s.scheduled;
      totals.documentsRead += s.documentsRead;
      totals.documentsWritten += s.documentsWritten;
    }
    const steps = 4 * workflows;
    const perStep = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / steps])) as ScaleRun["totals"];
    return {
      workflows,
      steps,
      fastDb: FAST,
      txMs: TX_MS,
      wallMs,
      simulatedMs,
      completed,
      perStep,
      totals,
      largest: meter.tx,
      byFunction,
      hot: hotDocs(meter.docs).slice(0, 15),
    };
  } finally {
    logs.stop();
    stopCounting();
    stopMeter();
    vi.useRealTimers();
  }
}

describe("scale", () => {
  for (const n of SIZES) {
    test(`executor, fourStep x${n} started with startMany`, async () => {
      const run = await runScale(n);
      runs.push(run);
      console.log(report([run]));
      expect(run.completed).toBe(n);
    });
  }
});

const f = (x: number, d = 3) => (Number.isInteger(x) ? String(x) : x.toFixed(d));
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

function report(list: ScaleRun[]): string {
  const lines: string[] = [];
  lines.push(
    "| workflows | fast db | wall s | simulated s | executions/step | transactions/step | scheduled/step | docs read/step | docs written/step | largest tx: docs read | docs written | bytes read | bytes written | index queries | scheduled |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of list) {
    const p = r.perStep;
    const l = r.largest;
    lines.push(
      `| ${r.workflows} | ${r.fastDb ? "yes" : "no"} | ${(r.wallMs / 1000).toFixed(0)} | ${(r.simulatedMs / 1000).toFixed(1)} | ${f(p.executions)} | ${f(p.transactions)} | ${f(p.scheduled)} | ${f(p.documentsRead)} | ${f(p.documentsWritten)} | ${l.documentsRead.value} (${l.documentsRead.fn}) | ${l.documentsWritten.value} (${l.documentsWritten.fn}) | ${kib(l.bytesRead.value)} (${l.bytesRead.fn}) | ${kib(l.bytesWritten.value)} (${l.bytesWritten.fn}) | ${l.databaseQueries?.value ?? "-"} (${l.databaseQueries?.fn ?? ""}) | ${l.functionsScheduled?.value ?? "-"} (${l.functionsScheduled?.fn ?? ""}) |`,
    );
  }
  for (const r of list) {
    lines.push("", `Functions, ${r.workflows} workflows (calls / scheduled / docs read / docs written):`, "");
    lines.push("| function | calls | per step | scheduled | docs read | docs written |", "|---|---|---|---|---|---|");
    for (const s of r.byFunction.slice(0, 25)) {
      lines.push(
        `| ${s.fn} | ${s.calls} | ${f(s.calls / r.steps)} | ${s.scheduled} | ${s.documentsRead} | ${s.documentsWritten} |`,
      );
    }
    const worst = r.hot[0];
    lines.push(
      "",
      `Hot documents, ${r.workflows} workflows (written by 2+ transactions; per 100 ms of simulated time, ${r.txMs} ms per transaction):`,
      "",
      worst
        ? `Most written document: ${f(worst.perWindow, 2)} transactions per 100 ms on average (${worst.table}; at most ${worst.maxInWindow} in one 100 ms) — target ≤ 1: ${worst.perWindow <= 1 ? "met" : "NOT met"}.`
        : "No document was written by two transactions.",
      "",
    );
    lines.push(
      "| document | table | writes | span (100 ms) | writes per 100 ms | max in one 100 ms | written by |",
      "|---|---|---|---|---|---|---|",
    );
    for (const h of r.hot) {
      lines.push(
        `| ${h.id} | ${h.table} | ${h.writes} | ${h.span} | ${f(h.perWindow, 2)} | ${h.maxInWindow} | ${h.writers.slice(0, 3).join(", ")} |`,
      );
    }
  }
  return lines.join("\n");
}

afterAll(() => {
  if (runs.length === 0) return;
  const text = report(runs);
  mkdirSync(resolve(OUT, ".."), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ generatedAt: new Date().toISOString(), runs }, null, 2)}\n`);
  writeFileSync(OUT.replace(/\.json$/, ".md"), `${text}\n`);
  console.log(`Results written to ${OUT}`);
});
