// The chaos suite, small: a few seeds per mode on every `npm test`. Each seed generates
// workflow programs, faults and outside interference (example/chaos/generator.ts), runs
// them against a fresh backend and checks the invariants (example/chaos/invariants.ts).
// The big run is `npm run chaos -- --seeds N` (vitest.chaos.config.ts).
import { describe, expect, test } from "vitest";
import { runSeed } from "../chaos/runner.js";

const SEEDS = [1, 2, 3, 4, 5, 6];

describe("chaos", () => {
  for (const mode of ["standard", "executor"] as const) {
    for (const seed of SEEDS) {
      test(`${mode} seed ${seed}`, async () => {
        const result = await runSeed(seed, mode);
        expect(result.violations, `reproduce: npm run chaos -- --seed ${seed} --mode ${mode}`).toEqual([]);
        expect(result.workflows).toBeGreaterThan(0);
      });
    }
  }
});
