import { defineConfig } from "vitest/config";
import { convexTestOptions, packageAliases } from "./vitest.shared";

// `npm run bench`: the side-by-side benchmark (bench/), not part of `npm test`.
// Same aliases as vitest.config.ts, so the bench measures the sources as they are.
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
  },
});
