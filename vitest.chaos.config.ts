// `npm run chaos` (example/chaos/cli.mjs): the big chaos run, kept out of `npm test`.
// Same aliases and runtime as vitest.config.ts; seeds come in through environment
// variables (CHAOS_SEEDS, CHAOS_SEED, CHAOS_START, CHAOS_MODE), set by the CLI.
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ["example/chaos/**/*.chaos.ts"],
      testTimeout: 600_000,
      hookTimeout: 600_000,
    },
  }),
);
