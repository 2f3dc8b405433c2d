import { test } from "vitest";
import { runSeed, summarize } from "./runner.js";
test("some", async () => {
  const from = Number(process.env.S ?? 1);
  const n = Number(process.env.N ?? 1);
  const modes = (process.env.M ?? "standard,executor").split(",") as ("standard" | "executor")[];
  const results = [];
  for (let s = from; s < from + n; s++) for (const mode of modes) {
    const r = await runSeed(s, mode);
    results.push(r);
    console.log(s, mode, r.ms, "ms", r.workflows, "wf", r.steps, "steps", r.violations.length, "violations");
  }
  console.log(summarize(results));
  for (const r of results) for (const v of r.violations) console.log(r.seed, r.mode, v.slice(0, 1500));
}, 1_200_000);
