// step.journal's logic in the replayer (docs/versioning.md): which entry getVersion reads while
// calls are still in the channel, what getStepCount counts, consumeNext and its errors, and the
// version journaled on new steps. Through real workflows: example/convex/versioning.test.ts.
import { BaseChannel } from "async-channel";
import { type GenericDataModel, type GenericMutationCtx, makeFunctionReference } from "convex/server";
import { describe, expect, test } from "vitest";
import type { JournalEntry, StepRequest, WireStep } from "../../shared/protocol.js";
import { checkVersion } from "../../shared/versioning.js";
import type { RunResult } from "../types.js";
import { Replayer, type StepCall } from "./replayer.js";
import type { JournalSize, StepJournal } from "./stepJournal.js";

const ok = (returnValue: number): RunResult => ({ kind: "success", returnValue });

function entry(stepNumber: number, name: string, version?: number): JournalEntry {
  return {
    _id: `step-${stepNumber}`,
    workflowId: "w",
    stepNumber,
    step: {
      kind: "function",
      functionType: "query",
      name,
      handle: "h",
      inProgress: false,
      args: {},
      argsSize: 0,
      queuedAt: stepNumber,
      runResult: ok(stepNumber),
      ...(version !== undefined && { version }),
    },
  };
}

class Journal implements StepJournal {
  readonly batches: StepRequest[][] = [];
  async journal(batch: StepRequest[], size: JournalSize): Promise<WireStep[]> {
    this.batches.push(batch);
    size.add(0);
    return batch.map((r) => ({ ...r.step, inProgress: true }));
  }
}

function setup(entries: JournalEntry[], version = 2) {
  const channel = new BaseChannel<StepCall>(10);
  const journal = new Journal();
  const replayer = new Replayer({
    workflowId: "w",
    ctx: {} as GenericMutationCtx<GenericDataModel>,
    entries,
    journal,
    channel,
    replayTime: 100,
    maxBatch: 10,
    version,
  });
  /** A query step, or (`nap`) a sleep: past the journal, only a sleep journals without a backend. */
  const send = (name: string, nap = false) => {
    replayer.noteSent();
    return new Promise<RunResult>((resolve) => {
      void channel.push({
        name,
        target: nap
          ? { kind: "sleep", args: {} }
          : { kind: "function", functionType: "query", function: makeFunctionReference<"query">("m:f"), args: {} },
        retry: undefined,
        inline: false,
        unstableArgs: false,
        transactionLimits: undefined,
        schedulerOptions: {},
        resolve,
      });
    });
  };
  return { replayer, send, journal };
}

describe("step.journal in the replayer", () => {
  test("getVersion reads the entry the next call will meet, also before the replayer took the last call", async () => {
    const { replayer, send } = setup([entry(0, "a", 1), entry(1, "b"), entry(2, "c", 2)]);
    expect(replayer.getVersion()).toBe(1);
    const run = replayer.run();
    void send("a"); // still in the channel: the next call meets entry 1
    expect(replayer.getVersion()).toBe(0);
    expect(replayer.getStepCount()).toBe(1);
    await send("b");
    expect(replayer.getVersion()).toBe(2);
    await send("c");
    expect(replayer.getVersion()).toBe(2); // past the journal: the definition's
    void send("d", true);
    await expect(run).resolves.toEqual({ type: "blocked" });
  });

  test("consumeNext skips the next entry, counts it, and refuses past the end or with another name", async () => {
    const { replayer, send, journal } = setup([entry(0, "a", 1), entry(1, "old", 1), entry(2, "c", 1)], 3);
    const run = replayer.run();
    await send("a");
    expect(() => replayer.consumeNext("other")).toThrow(
      /^step\.journal\.consumeNext\("other"\): step 1 of workflow w was recorded as \{"name":"old","kind":"function"\} \(version 1\), not "other"\.$/,
    );
    expect(replayer.consumeNext("old")).toEqual({ name: "old", args: {}, runResult: ok(1) });
    expect(replayer.getStepCount()).toBe(2);
    await expect(send("c")).resolves.toEqual(ok(2));
    expect(replayer.getStepCount()).toBe(3);
    expect(() => replayer.consumeNext()).toThrow(
      /^step\.journal\.consumeNext\(\): no recorded step left to skip: step 3 of workflow w is past its recorded history/,
    );
    void send("new", true);
    await expect(run).resolves.toEqual({ type: "blocked" });
    // New steps carry the definition's version.
    expect(journal.batches[0][0].step).toMatchObject({ name: "new", version: 3 });
  });

  test("a mismatch names the step, both { name, kind } and both versions", async () => {
    const { replayer, send } = setup([entry(0, "a", 1)], 4);
    const run = replayer.run();
    void send("b");
    await expect(run).rejects.toThrow(
      'Step 0: recorded {"name":"a","kind":"function"} at version 1; requested {"name":"b","kind":"function"} at current version 4.',
    );
  });

  test("version 0 is not journaled (absent means 0), and checkVersion takes whole numbers from 0", () => {
    expect(checkVersion("x", undefined)).toBe(0);
    expect(checkVersion("x", 7)).toBe(7);
    for (const bad of [-1, 0.5, "1", Infinity, null]) {
      expect(() => checkVersion("x", bad)).toThrow(/^x `version` must be a whole number from 0 to \d+, got /);
    }
  });
});
