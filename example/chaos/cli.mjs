#!/usr/bin/env node
// npm run chaos -- --seeds N [--start S] [--mode standard|executor|both] [--verbose]
// npm run chaos -- --seed S [--mode ...] [--plan | --trace]
//
// Runs chaos seeds (example/chaos/) through vitest with vitest.chaos.config.ts (the same
// aliases and edge runtime as `npm test`; `import.meta.glob` needs vite). Each seed runs in
// both modes unless --mode says otherwise. Prints a summary (workflows, steps, faults
// injected, invariant violations) and the command that reproduces each failing seed; exits
// non-zero if any invariant was violated. The summary is also written to out/chaos/.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const env = { ...process.env };
const usage = () => {
  console.log(
    "usage: npm run chaos -- --seeds N [--start S] [--mode standard|executor|both] [--verbose]\n" +
      "       npm run chaos -- --seed S [--mode standard|executor|both] [--verbose] [--trace] [--plan]\n" +
      "  --plan: print the generated plan; --trace: print what the runner does; --verbose: keep engine logs",
  );
  process.exit(2);
};
for (let i = 0; i < args.length; i++) {
  const value = () => args[++i] ?? usage();
  switch (args[i]) {
    case "--seeds":
      env.CHAOS_SEEDS = value();
      break;
    case "--seed":
      env.CHAOS_SEED = value();
      break;
    case "--start":
      env.CHAOS_START = value();
      break;
    case "--mode":
      env.CHAOS_MODE = value();
      break;
    case "--verbose":
      env.CHAOS_VERBOSE = "1";
      break;
    case "--trace":
      env.CHAOS_TRACE = "1";
      break;
    case "--plan":
      env.CHAOS_PLAN = "1";
      break;
    default:
      usage();
  }
}
for (const name of ["CHAOS_SEEDS", "CHAOS_SEED", "CHAOS_START"]) {
  if (env[name] !== undefined && !/^\d+$/.test(env[name])) usage();
}
if (env.CHAOS_MODE !== undefined && !["standard", "executor", "both"].includes(env.CHAOS_MODE)) usage();

const root = fileURLToPath(new URL("../..", import.meta.url));
const vitest = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));
const result = spawnSync(process.execPath, [vitest, "run", "--config", "vitest.chaos.config.ts"], {
  cwd: root,
  env,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
