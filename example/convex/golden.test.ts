// Golden journals (example/golden/*.json): each example workflow's journal, recorded with
// `RECORD_GOLDEN=1 npx vitest run example/golden/record.test.ts`. Today's code must produce
// the same journal (names, kinds, args, results; ids and times left out) for the same input.
// A request that differs is exactly what breaks a workflow that is running during a deploy:
// on its next replay the engine fails it with "Journal entry mismatch".
import { describe, expect, test } from "vitest";
import { compareGolden, type Golden, recordScenario, SCENARIOS } from "../golden/scenarios.js";
import { type RecordedJournal, type RecordedStep, replayJournal } from "convex-workflow/test";

const fixtures = import.meta.glob<Golden>("../golden/*.json", { eager: true, import: "default" });
const golden = Object.fromEntries(Object.values(fixtures).map((g) => [g.scenario, g]));

describe("golden journals", () => {
  test("every scenario has a fixture, and every fixture a scenario", () => {
    expect(Object.keys(golden).sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  for (const scenario of Object.keys(SCENARIOS)) {
    test(`${scenario}: today's code replays the recorded journal`, async () => {
      const recorded = golden[scenario];
      expect(recorded, `no fixture example/golden/${scenario}.json: record it`).toBeDefined();
      expect(recorded.journal.length).toBeGreaterThan(0);
      const current = await recordScenario(scenario);
      expect(compareGolden(recorded, current)).toEqual([]);
    });
  }

  test("a fixture changed on purpose is caught, as the engine would report it", async () => {
    const current = await recordScenario("transcribeRetried");
    const base = golden.transcribeRetried;
    const edit = (f: (g: Golden) => void): Golden => {
      const copy = structuredClone(base);
      f(copy);
      return copy;
    };
    expect(compareGolden(base, current)).toEqual([]);

    // A step's arguments changed (say the handler now passes another model name).
    const args = compareGolden(
      edit((g) => ((g.journal[1].args as { model: string }).model = "turbo")),
      current,
    );
    expect(args).toHaveLength(1);
    expect(args[0]).toMatch(
      /^Journal entry mismatch: step 1 was recorded as .*"turbo".* but today's code asks for .*"fast"/,
    );

    // A step renamed, and a step the recording never had.
    expect(
      compareGolden(
        edit((g) => (g.journal[3].name = "transcription:storeTranscript")),
        current,
      )[0],
    ).toMatch(/^Journal entry mismatch: step 3 .*storeTranscript.*saveTranscript/);
    expect(
      compareGolden(
        edit((g) => g.journal.pop()),
        current,
      )[0],
    ).toMatch(/^Journal entry mismatch: step 3 was recorded as nothing but today's code asks for .*saveTranscript/);

    // Same requests, different result: a step function changed behaviour.
    const result = compareGolden(
      edit((g) => ((g.journal[0].runResult as { returnValue: { durationSec: number } }).returnValue.durationSec = 1)),
      current,
    );
    expect(result).toEqual([
      expect.stringMatching(/^Result mismatch: step 0 \("transcription:fetchAudio"\) recorded .*"durationSec":1/),
    ]);
  });

  test("a change inside a nested workflow's journal is caught too", async () => {
    const current = await recordScenario("batch");
    const changed = structuredClone(golden.batch);
    const nested = changed.journal[0].nested!;
    (nested[0].args as { item: string }).item = "pear";
    expect(compareGolden(changed, current)).toEqual([
      expect.stringMatching(/^Journal entry mismatch: step 0 → nested step 0 was recorded as .*"pear"/),
    ]);
  });
});

// The same fixtures through the replay-test API users get (convex-workflow/test, docs/versioning.md):
// each recorded journal replays in-process against today's handler, without a database.
describe("golden journals through replayJournal", () => {
  const modules = import.meta.glob<Record<string, unknown>>(["./*.ts", "!./*.test.ts", "!./*.testing.ts"]);
  // The workflow's own args where a scenario starts it through an app mutation that adds some.
  const argsOf = (g: Golden) =>
    g.workflow === "approvals:approvalWorkflow" ? { ...(g.args as object), requester: "test|alice" } : g.args;
  const recordedOf = (g: Golden): RecordedJournal => ({
    // Ids in fixtures are normalized: the workflow's own is always <id0:workflows>.
    workflowId: "<id0:workflows>",
    args: argsOf(g),
    steps: g.journal.map((e) => ({ ...e, startedAt: 0 }) as unknown as RecordedStep),
  });
  const definitionOf = async (g: Golden) => {
    const [module, name] = g.workflow.split(":");
    return (await modules[`./${module}.ts`]())[name];
  };

  for (const scenario of Object.keys(SCENARIOS)) {
    test(`${scenario}: replayJournal accepts the recorded journal`, async () => {
      const g = golden[scenario];
      await expect(replayJournal(await definitionOf(g), recordedOf(g))).resolves.toBeUndefined();
    });
  }

  test("replayJournal rejects a recorded journal today's handler does not ask for", async () => {
    const g = structuredClone(golden.transcribeRetried);
    (g.journal[1].args as { model: string }).model = "turbo";
    await expect(replayJournal(await definitionOf(g), recordedOf(g))).rejects.toThrow(
      /^Journal entry mismatch: step 1 was recorded as[\s\S]*"turbo"[\s\S]*but the handler now asks for[\s\S]*"fast"/,
    );
  });
});
