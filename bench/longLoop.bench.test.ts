// The long-loop bench (docs/versioning.md): a loop of N sequential action steps in standard
// mode, in one run versus continuing as new every BENCH_LOOP_EVERY iterations (default 100).
// Reported: documents read per step (the journal a replay loads grows with the run), and
// transactions and scheduled functions per step. Sizes: BENCH_LOOP_LENGTHS (default 100,500).
// Results: printed, and written to out/bench/longLoop.md (ignored by git).
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { makeFunctionReference } from "convex/server";
import { realNow, startCounting, stopCounting } from "./lib/instrument";
import { newBackend } from "./lib/run";

const list = (value: string | undefined, fallback: number[]) =>
  value === undefined
    ? fallback
    : value
        .split(",")
        .map((s) => Number(s.trim()))
        .filter((n) => Number.isInteger(n) && n > 0);

const LENGTHS = list(process.env.BENCH_LOOP_LENGTHS, [100, 500]);
const EVERY = Number(process.env.BENCH_LOOP_EVERY ?? 100);
const OUT = resolve(process.env.BENCH_LOOP_OUT ?? "out/bench/longLoop.md");

const start = makeFunctionReference<"mutation">("longLoop:start");
const status = makeFunctionReference<"query">("longLoop:status");

type Row = {
  iterations: number;
  every: number;
  wallMs: number;
  documentsRead: number;
  transactions: number;
  scheduled: number;
  /** Documents read by the component's `journal.load` (the replays' journal reads). */
  journalReads: number;
};
const rows: Row[] = [];

async function runLoop(iterations: number, every: number): Promise<Row> {
  vi.useFakeTimers();
  try {
    const { t } = newBackend();
    const counters = startCounting();
    const began = realNow();
    const id = (await t.mutation(start, { iterations, every })) as string;
    await t.finishAllScheduledFunctions(() => void vi.advanceTimersToNextTimer(), 1_000_000);
    const wallMs = realNow() - began;
    stopCounting();
    const s = (await t.query(status, { id })) as { type: string; result?: number };
    expect(s).toEqual({ type: "completed", result: iterations * (iterations - 1) });
    let documentsRead = 0;
    let transactions = 0;
    let scheduled = 0;
    let journalReads = 0;
    for (const f of counters.byFn.values()) {
      documentsRead += f.documentsRead;
      if (f.type !== "action") transactions += f.top + f.fromAction;
      scheduled += f.scheduled;
      if (f.fn.includes("journal") && f.fn.includes("load")) journalReads += f.documentsRead;
    }
    return { iterations, every, wallMs, documentsRead, transactions, scheduled, journalReads };
  } finally {
    stopCounting();
    vi.useRealTimers();
  }
}

describe("long loop", () => {
  for (const iterations of LENGTHS) {
    for (const every of [0, EVERY]) {
      test(`${iterations} iterations, ${every ? `continueAsNew every ${every}` : "one run"}`, async () => {
        rows.push(await runLoop(iterations, every));
      });
    }
  }
});

afterAll(() => {
  if (rows.length === 0) return;
  const per = (n: number, r: Row) => (n / r.iterations).toFixed(1);
  const lines = [
    "### Long loop: documents read per step (standard mode)",
    "",
    "| iterations | runs | documents read / step | of which journal loads / step | transactions / step | scheduled / step | wall ms |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.iterations} | ${r.every ? `continueAsNew every ${r.every}` : "one run"} | ${per(r.documentsRead, r)} | ${per(r.journalReads, r)} | ${per(r.transactions, r)} | ${per(r.scheduled, r)} | ${Math.round(r.wallMs)} |`,
    ),
  ];
  const text = lines.join("\n");
  console.log(`\n${text}\n`);
  mkdirSync(resolve(OUT, ".."), { recursive: true });
  writeFileSync(OUT, `${text}\n`);
});
