import { defineConfig } from "vitest/config";
import { convexTestOptions, packageAliases } from "./vitest.shared.js";

// `npm run bench`: the side-by-side benchmark (bench/), not part of `npm test`.
// Same aliases as vitest.config.ts, so the bench measures the sources as they are.
// Results go to out/bench/ (ignored by git); `npm run bench -- --update` (or BENCH_UPDATE=1)
// writes the committed copy in bench/results/ instead.
const update = process.argv.includes("--update") || process.argv.includes("-u") || process.env.BENCH_UPDATE === "1";

export default defineConfig({
  resolve: { alias: packageAliases },
  test: {
    ...convexTestOptions,
    include: ["bench/**/*.bench.test.ts"],
    // One file, one worker: runs are measured one after another, never side by side.
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    // Show the tables as they are printed.
    silent: false,
    reporters: ["default"],
    env: { BENCH_UPDATE: update ? "1" : "0" },
  },
});
