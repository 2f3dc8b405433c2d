import { defineConfig } from "vitest/config";
import { convexTestOptions, packageAliases } from "./vitest.shared.js";
import { exposeConvexTestInternals } from "./bench/lib/fastDb.js";

// `npm run bench`: the side-by-side benchmark (bench/), not part of `npm test`.
// Same aliases as vitest.config.ts, so the bench measures the sources as they are.
// Results go to out/bench/ (ignored by git); `npm run bench -- --update` (or BENCH_UPDATE=1)
// writes the committed copy in bench/results/ instead.
const update = process.argv.includes("--update") || process.argv.includes("-u") || process.env.BENCH_UPDATE === "1";

// `npm run bench -- --scale` (or BENCH_SCALE=1): the scale bench (bench/scale.bench.test.ts)
// alone, on a backend with an index-aware read path (bench/lib/fastDb.ts; BENCH_FAST_DB=0: off).
// (scripts/bench.mjs turns the flag into the variable: vitest refuses options it does not know.)
const scale = process.env.BENCH_SCALE === "1";

export default defineConfig({
  resolve: { alias: packageAliases },
  plugins: scale ? [exposeConvexTestInternals()] : [],
  test: {
    ...convexTestOptions,
    include: scale ? ["bench/scale.bench.test.ts"] : ["bench/**/*.bench.test.ts"],
    exclude: scale ? [] : ["bench/scale.bench.test.ts", "**/node_modules/**"],
    // One file, one worker: runs are measured one after another, never side by side.
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    // Show the tables as they are printed.
    silent: false,
    reporters: ["default"],
    env: { BENCH_UPDATE: update ? "1" : "0", BENCH_SCALE: scale ? "1" : "0" },
  },
});
