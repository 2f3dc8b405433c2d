// Records the golden journals: `RECORD_GOLDEN=1 npx vitest run example/golden/record.test.ts`.
// Skipped otherwise (it rewrites example/golden/*.json). Re-record only on purpose: a
// fixture that changes means running workflows of that kind would no longer replay.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "vitest";
import { recordScenario, SCENARIOS } from "./scenarios.js";

describe.skipIf(!process.env.RECORD_GOLDEN)("record golden journals", () => {
  for (const scenario of Object.keys(SCENARIOS)) {
    test(scenario, async () => {
      const golden = await recordScenario(scenario);
      const file = fileURLToPath(new URL(`./${scenario}.json`, import.meta.url));
      writeFileSync(file, JSON.stringify(golden, null, 2) + "\n");
    });
  }
});
