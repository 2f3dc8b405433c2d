import { defineConfig } from "vitest/config";
import { convexTestOptions, packageAliases } from "./vitest.shared.js";

// `npm run chaos -- --seeds N` (example/chaos/cli.mjs): the big chaos run, not part of
// `npm test` (which runs a few seeds in example/convex/chaos.test.ts). Same aliases and
// runtime as vitest.config.ts; the seeds come in as environment variables (CHAOS_SEEDS,
// CHAOS_START, CHAOS_SEED, CHAOS_MODE) set by the CLI.
export default defineConfig({
  resolve: { alias: packageAliases },
  test: {
    ...convexTestOptions,
    include: ["example/chaos/**/*.chaos.ts"],
    fileParallelism: false,
    // One test per seed and mode; a seed that hangs fails alone.
    testTimeout: 5 * 60_000,
    hookTimeout: 60_000,
    // Seeds silence the engine's logs themselves (CHAOS_VERBOSE=1 keeps them); the summary prints.
    reporters: ["dot"],
  },
});
