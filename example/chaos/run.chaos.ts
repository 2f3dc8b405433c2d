// The big chaos run, driven by example/chaos/cli.mjs (`npm run chaos -- --seeds N`).
// Environment: CHAOS_SEEDS (how many, default 10), CHAOS_START (first seed, default 1),
// CHAOS_SEED (just this one), CHAOS_MODE (standard | executor | both, default both),
// CHAOS_PLAN=1 (print the generated plans instead of running them), CHAOS_TRACE=1 (print
// what the runner does as it goes), CHAOS_VERBOSE=1 (keep the engine's logs).
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { generatePlan, type Mode } from "./generator.js";
import { runSeed, type SeedResult, summarize } from "./runner.js";

const single = process.env.CHAOS_SEED;
const start = Number(process.env.CHAOS_START ?? 1);
const count = Number(process.env.CHAOS_SEEDS ?? 10);
const seeds = single !== undefined ? [Number(single)] : Array.from({ length: count }, (_, i) => start + i);
const mode = process.env.CHAOS_MODE ?? "both";
const modes: Mode[] = mode === "both" ? ["standard", "executor"] : [mode as Mode];

const results: SeedResult[] = [];

describe("chaos", () => {
  afterAll(() => {
    const summary = summarize(results);
    console.log(`\n${summary}\n`);
    mkdirSync("out/chaos", { recursive: true });
    writeFileSync("out/chaos/summary.txt", summary + "\n");
    writeFileSync("out/chaos/results.json", JSON.stringify(results, null, 1) + "\n");
  });

  for (const seed of seeds) {
    for (const m of modes) {
      test(`seed ${seed} ${m}`, async () => {
        if (process.env.CHAOS_PLAN) {
          console.log(JSON.stringify(generatePlan(seed, m), null, 1));
          return;
        }
        const result = await runSeed(seed, m);
        results.push(result);
        expect(result.violations, `reproduce: npm run chaos -- --seed ${seed} --mode ${m}`).toEqual([]);
      });
    }
  }
});
