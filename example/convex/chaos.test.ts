// The chaos suite, small: a few seeds per mode on every `npm test`. Each seed generates
// workflow programs, planned faults, executor deaths and outside interference
// (example/chaos/generator.ts), runs them against a fresh backend (example/chaos/runner.ts)
// and checks the invariants (example/chaos/invariants.ts). The big run is
// `npm run chaos -- --seeds N` (vitest.chaos.config.ts).
//
// Regression tests for what chaos runs found are named after their seed.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { checkWebhooks, type FinalState, type WebhookCall } from "../chaos/invariants.js";
import { runSeed } from "../chaos/runner.js";
import { internal } from "./_generated/api.js";
import { chaos, chaosControl, chaosExec, resetChaosControl } from "./chaosWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";
import type { WorkflowId } from "convex-workflow";

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

describe("chaos regressions", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetChaosControl();
  });
  afterEach(() => {
    resetChaosControl();
    vi.useRealTimers();
  });

  // Found by seed 3 (executor): the shard's executor died at a claim after its work was
  // done. Its row stayed `running`, and the watchdog re-armed itself every 30 s forever
  // because it only restarted executors of shards that had work (taskQueue.ts watchdog).
  test("seed 3 (executor): an executor that dies while idle is not watched forever", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => chaosExec.startExecutors(ctx));
    const program = { ops: [{ t: "mutation", key: "m0", catch: false }] };
    const id = await t.mutation((ctx) =>
      chaosExec.start(ctx, internal.chaosWorkflows.executorFlow, { tag: "r3", program }),
    );
    // Let the work finish in small steps, so the executors stay alive (idle) afterwards.
    for (let i = 0; i < 200 && (await t.query((ctx) => chaosExec.status(ctx, id))).type === "inProgress"; i++) {
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(await t.query((ctx) => chaosExec.status(ctx, id))).toEqual({
      type: "completed",
      result: [{ ok: "m:r3/m0" }],
    });
    // Every executor dies at its next claim.
    const next = chaosControl.claimCalls;
    chaosControl.killClaimAt = new Set([next + 1, next + 2, next + 3, next + 4]);
    // Must settle: nothing is left to do, so nothing may keep scheduling itself.
    await t.finishAllScheduledFunctions(vi.runAllTimers, 2_000);
    expect(chaosControl.claimKills).toBeGreaterThan(0);
    const shards = await t.query((ctx) => chaosExec.diagnose(ctx));
    expect(shards.map((s) => [s.running, s.queued])).toEqual([
      [false, 0],
      [false, 0],
    ]);
  });

  // Found by seed 163 (standard) and seed 35 (executor). A restart from the middle of a
  // parallel batch: on replay, a journaled member of the batch fails, so the handler's
  // Promise.all rejects and the handler finishes while the replay is still journaling the
  // batch's other members (workflowMutation.ts: `Promise.race([handlerDone, replayerRun])`
  // returned without waiting for the replayer's in-flight `startSteps`). The workflow is
  // then completed concurrently with that `startSteps`: its steps (here a nested workflow)
  // get journaled after the end and run on, or the transaction is used after it closed
  // ("Transaction already committed or rolled back", which wedged the test backend).
  for (const [mode, seed] of [
    ["standard", 163],
    ["executor", 35],
  ] as const) {
    test(`seed ${seed} (${mode}): restart mid-batch, the replay fails before the rest of the batch is journaled`, async () => {
      const manager = mode === "standard" ? chaos : chaosExec;
      const flow = mode === "standard" ? internal.chaosWorkflows.standardFlow : internal.chaosWorkflows.executorFlow;
      for (const startAsync of [false, true]) {
        const t = initConvexTest();
        const program = {
          ops: [
            {
              t: "parallel",
              ops: [
                { t: "event", key: "e0", catch: false },
                { t: "wait", key: "w1", timeout: 1_000, catch: false },
                { t: "child", key: "c2", catch: true, program: { ops: [{ t: "mutation", key: "m3", catch: false }] } },
              ],
            },
          ],
        };
        await t.mutation(internal.chaosWorkflows.setFlag, { key: `r${seed}/w1` });
        const id = await t.mutation((ctx) => manager.start(ctx, flow, { tag: `r${seed}`, program }));
        await t.mutation((ctx) => manager.sendEvent(ctx, { workflowId: id, name: "e0", error: "boom" }));
        await t.mutation((ctx) => manager.sendEvent(ctx, { workflowId: id, name: "e0", error: "boom again" }));
        await settle(t, mode);
        expect(await t.query((ctx) => manager.status(ctx, id))).toMatchObject({ type: "failed" });

        await t.mutation((ctx) => manager.restart(ctx, id, { from: 1, startAsync }));
        await settle(t, mode); // must not throw
        const status = await t.query((ctx) => manager.status(ctx, id));
        expect(status.type).toBe("failed");
        expect(status.type === "failed" && status.error).toMatch(/^Error: boom\n/); // e0 is kept: it fails again
        const steps = (await t.query((ctx) => manager.listSteps(ctx, id))).page;
        for (const s of steps) expect(s.runResult, `step ${s.stepNumber} has no result`).toBeDefined();
        // The batch's nested workflow was never waited for: it is absent or canceled, and
        // did not run on after its parent ended.
        const child = steps.find((s) => s.name === "child:c2");
        if (child) {
          expect(child.runResult?.kind).toBe("canceled");
          if (child.kind === "workflow") {
            expect(await t.query((ctx) => manager.status(ctx, child.nestedWorkflowId))).toEqual({ type: "canceled" });
          }
        }
        const effects = (await t.query(internal.chaosWorkflows.snapshot, {})).effects as Array<{ key: string }>;
        expect(effects.filter((e) => e.key === `r${seed}/c2/m3`)).toHaveLength(1); // the first run's only
      }
    });
  }

  // Found by seed 194 (standard) and seed 163 (executor): the same race when the batch
  // member journaled late is an inline mutation. The replay runs it (its effect commits with
  // the replay) but the workflow is completed before the step is journaled: an effect the
  // journal does not know about, so the next restart runs it again.
  for (const [mode, seed] of [
    ["standard", 194],
    ["executor", 163],
  ] as const) {
    test(`seed ${seed} (${mode}): an inline mutation's effect is journaled whenever it commits`, async () => {
      const manager = mode === "standard" ? chaos : chaosExec;
      const flow = mode === "standard" ? internal.chaosWorkflows.standardFlow : internal.chaosWorkflows.executorFlow;
      for (const startAsync of [false, true]) {
        const t = initConvexTest();
        const tag = `r${seed}${startAsync ? "a" : ""}`;
        const program = {
          ops: [
            {
              t: "parallel",
              ops: [
                { t: "event", key: "e0", catch: false },
                { t: "mutation", key: "m1", inline: true, catch: false },
                { t: "query", key: "q2", catch: false },
              ],
            },
          ],
        };
        const id = await t.mutation((ctx) => manager.start(ctx, flow, { tag, program }, { startAsync: true }));
        await t.mutation((ctx) => manager.sendEvent(ctx, { workflowId: id, name: "e0", error: "boom" }));
        await settle(t, mode);
        expect(await t.query((ctx) => manager.status(ctx, id))).toMatchObject({ type: "failed" });
        const rows = async () =>
          ((await t.query(internal.chaosWorkflows.snapshot, {})).effects as Array<{ key: string }>).filter(
            (e) => e.key === `${tag}/m1`,
          );
        expect(await rows()).toHaveLength(1);

        await t.mutation((ctx) => manager.restart(ctx, id, { from: 1, startAsync })); // deletes m1 and q2
        await settle(t, mode);
        expect((await t.query((ctx) => manager.status(ctx, id))).type).toBe("failed");
        const steps = (await t.query((ctx) => manager.listSteps(ctx, id))).page;
        const rerun = steps.filter((s) => s.name === "chaosWorkflows:chaosMutation" && s.runResult?.kind === "success");
        // One row from the first run, plus one for each journaled successful re-run.
        expect(
          await rows(),
          `startAsync ${startAsync}, journal ${JSON.stringify(steps.map((s) => [s.name, s.runResult?.kind]))}`,
        ).toHaveLength(1 + rerun.length);
      }
    });
  }

  // The same race, without restart: a handler that returns without awaiting its step.
  test("seed 163 (standard): a handler that returns while its step is being journaled", async () => {
    const t = initConvexTest();
    const id: WorkflowId = await t.mutation((ctx) =>
      chaos.start(ctx, internal.chaosWorkflows.fireAndForget, { key: "ff" }),
    );
    await drain(t); // must not throw
    expect(await t.query((ctx) => chaos.status(ctx, id))).toEqual({ type: "completed", result: "returned" });
    const steps = (await t.query((ctx) => chaos.listSteps(ctx, id))).page;
    for (const s of steps) expect(s.runResult?.kind).toBe("canceled");
    const effects = (await t.query(internal.chaosWorkflows.snapshot, {})).effects as Array<{ key: string }>;
    expect(effects.filter((e) => e.key === "ff")).toEqual([]);
  });
});

/** Run everything due; executor mode moves time in small steps so the executors keep up. */
async function settle(t: TestConvex, mode: "standard" | "executor"): Promise<void> {
  if (mode === "standard") return await drain(t);
  for (let i = 0; i < 400; i++) {
    await vi.advanceTimersByTimeAsync(100);
  }
  await t.finishAllScheduledFunctions(vi.runAllTimers, 2_000);
}

describe("chaos invariants: webhooks", () => {
  const url = "/workflow/webhooks/tok";
  const call = (over: Partial<WebhookCall>): WebhookCall => ({
    workflowId: "wf",
    tag: "r",
    key: "h1",
    url,
    body: "v1",
    status: 200,
    json: { ok: true },
    endedBefore: false,
    awaitDoneBefore: null,
    batchId: 0,
    run: 0,
    ...over,
  });
  const refused = (status: number, over: Partial<WebhookCall> = {}) =>
    call({ status, json: { error: "no" }, body: "v2", batchId: 1, ...over });
  /** A finished workflow whose webhook's await returned `value`. */
  const state = (calls: WebhookCall[], value: unknown = "v1") =>
    ({
      webhookCalls: calls,
      workflows: [
        {
          id: "wf",
          steps: [
            {
              name: "createWebhook",
              kind: "function",
              args: { name: "hook:h1" },
              runResult: { kind: "success", returnValue: { token: "tok", eventId: "ev" } },
            },
            {
              name: "hook:h1",
              kind: "event",
              args: { eventId: "ev" },
              runResult: { kind: "success", returnValue: value },
            },
          ],
        },
      ],
    }) as unknown as FinalState;

  test("a correct history passes: one 200, then 409s; a pair made at once", () => {
    expect(checkWebhooks(state([call({}), refused(409)]))).toEqual([]);
    expect(checkWebhooks(state([refused(409, { batchId: 0 }), call({})]))).toEqual([]);
    // A restart that kept the createWebhook step: the new run takes a delivery of its own.
    expect(checkWebhooks(state([call({ body: "v0" }), call({ batchId: 1, run: 1 })]))).toEqual([]);
  });

  test("each way a webhook can misbehave is reported", () => {
    const report = (calls: WebhookCall[], value?: unknown) => checkWebhooks(state(calls, value)).join("\n");
    expect(report([call({}), call({ body: "v2", batchId: 1 })])).toMatch(/webhookOnce: .* answered 200 to 2 calls/);
    expect(report([refused(409)])).toMatch(/answered 409 though nothing was delivered/);
    expect(report([call({ endedBefore: true })])).toMatch(/webhookAfterEnd/);
    expect(report([call({ awaitDoneBefore: "failed" })])).toMatch(/webhookAfterAwait[\s\S]*want 410/);
    expect(report([refused(404, { awaitDoneBefore: "failed" })])).toMatch(/answered 404/);
    expect(report([call({})], "another value")).toMatch(/webhookSeen: .* delivered "v1" \(200\) but its await ended/);
    expect(report([call({ json: {} })])).toMatch(/answered 200 with \{\}/);
  });
});
