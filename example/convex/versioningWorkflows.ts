// Changing a workflow while runs are in flight (docs/versioning.md), for versioning.test.ts.
//
// - `order`: an order workflow that changed between version 1 and version 2, in all three ways:
//   a step ADDED (`fraudCheck`), a step REMOVED (`legacyAudit`, skipped with consumeNext) and a
//   step CHANGED (`charge`'s arguments). Version 2 branches on `step.journal.getVersion()`, so
//   runs that version 1 started keep replaying. A "deploy" is simulated: `order` is one exported
//   mutation that behaves as whichever definition `deployed.order` names (the test flips it),
//   as the same function name would after a real deploy.
// - `orderBroken`: the same deploy done wrong (v2 changed `charge` without branching): runs in
//   flight fail with `Journal entry mismatch`.
// - `parent` (version 3) runs `child` (version 5): each keeps its own version.
// - `skipper`: consumeNext misuse (past the recorded history, a wrong name).
// - `poller`: a polling loop that runs `total` iterations, continuing as new every `every`.
// - `waitingLoop`: continues as new once, then waits for an event (cancel and restart).
// - `execLoop`: continueAsNew and step.journal in executor mode (the batched replay path).
import { v } from "convex/values";
import { vResultValidator } from "@convex-dev/workpool";
import { vWorkflowId, WorkflowManager } from "convex-workflow";
import type { RegisteredMutation } from "convex/server";
import { components, internal } from "./_generated/api.js";
import { internalMutation, internalQuery } from "./_generated/server.js";

export const versioned = new WorkflowManager(components.workflow, {
  workpoolOptions: { logLevel: "ERROR" },
});

/** The step every example workflow here records: one `effects` row per run of it. */
export const record = internalMutation({
  args: { key: v.string(), label: v.string(), amount: v.optional(v.number()) },
  returns: v.string(),
  handler: async (ctx, { key, label, amount }) => {
    await ctx.db.insert("effects", { key, value: amount === undefined ? label : `${label}:${amount}` });
    return label;
  },
});

export const onComplete = internalMutation({
  args: { workflowId: vWorkflowId, result: vResultValidator, context: v.any() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("completions", args);
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// A simulated deploy: which definition each deployable workflow runs right now.

export const deployed = {
  order: 1 as 1 | 2,
  broken: 1 as 1 | 2,
  skipper: "record" as "record" | "pastEnd" | "wrongName",
};

/**
 * One exported workflow mutation that runs as `versions[current()]`: the same function name
 * (what running workflows point at) with other code behind it, as after a real deploy.
 */
function deployable<M extends RegisteredMutation<"internal", any, any>>(
  versions: Record<number, M>,
  current: () => number,
): M {
  const first = versions[Number(Object.keys(versions)[0])];
  return new Proxy(first, {
    get: (_target, prop) => Reflect.get(versions[current()], prop),
    apply: (_target, self, args) => Reflect.apply(versions[current()] as never, self, args),
  });
}

const vOrderArgs = { key: v.string(), amount: v.number() };

/** Version 1: reserve, wait, charge, audit, wait, ship. */
export const orderV1 = versioned.define({
  args: vOrderArgs,
  version: 1,
  handler: async (step, { key, amount }): Promise<string[]> => {
    const done = [await step.runMutation(internal.versioningWorkflows.record, { key, label: "reserve" })];
    await step.awaitEvent({ name: "paid" });
    done.push(await step.runMutation(internal.versioningWorkflows.record, { key, label: "charge", amount }));
    done.push(await step.runMutation(internal.versioningWorkflows.record, { key, label: "legacyAudit" }));
    await step.awaitEvent({ name: "packed" });
    done.push(await step.runMutation(internal.versioningWorkflows.record, { key, label: "ship" }));
    return done;
  },
});

/**
 * Version 2: a fraud check added after `reserve`, `charge` now charges with tax (other
 * arguments, another label), `legacyAudit` removed. Runs of version 1 replay the old steps.
 */
export const orderV2 = versioned.define({
  args: vOrderArgs,
  version: 2,
  handler: async (step, { key, amount }): Promise<string[]> => {
    const done = [await step.runMutation(internal.versioningWorkflows.record, { key, label: "reserve" })];
    // ADDED: only runs whose next recorded step is of version 2 or later (or new history).
    if (step.journal.getVersion() >= 2) {
      done.push(await step.runMutation(internal.versioningWorkflows.record, { key, label: "fraudCheck" }));
    }
    await step.awaitEvent({ name: "paid" });
    // CHANGED: old runs replay the step they recorded; new history takes the new one.
    if (step.journal.getVersion() < 2) {
      done.push(await step.runMutation(internal.versioningWorkflows.record, { key, label: "charge", amount }));
    } else {
      const withTax = Math.round(amount * 1.2);
      done.push(
        await step.runMutation(internal.versioningWorkflows.record, { key, label: "chargeTaxed", amount: withTax }),
      );
    }
    // REMOVED: a run that recorded the audit skips its entry.
    if (step.journal.getVersion() < 2) step.journal.consumeNext("versioningWorkflows:record");
    await step.awaitEvent({ name: "packed" });
    done.push(await step.runMutation(internal.versioningWorkflows.record, { key, label: "ship" }));
    return done;
  },
});

export const order = deployable({ 1: orderV1, 2: orderV2 }, () => deployed.order);

/** Version 2 of the order done wrong: `charge` changed without a branch on the version. */
export const orderBrokenV2 = versioned.define({
  args: vOrderArgs,
  version: 2,
  handler: async (step, { key, amount }): Promise<string[]> => {
    const done = [await step.runMutation(internal.versioningWorkflows.record, { key, label: "reserve" })];
    await step.awaitEvent({ name: "paid" });
    done.push(await step.runMutation(internal.versioningWorkflows.record, { key, label: "chargeTaxed", amount }));
    return done;
  },
});

export const orderBroken = deployable({ 1: orderV1, 2: orderBrokenV2 }, () => deployed.broken);

// ---------------------------------------------------------------------------------------
// Nested workflows keep their own version.

export const child = versioned.define({
  args: { key: v.string() },
  version: 5,
  handler: async (step, { key }): Promise<number> => {
    await step.runMutation(internal.versioningWorkflows.record, { key, label: "child" });
    return step.journal.getVersion();
  },
});

export const parent = versioned.define({
  args: { key: v.string() },
  version: 3,
  handler: async (step, { key }): Promise<{ parent: number; child: number }> => {
    const childVersion = (await step.runWorkflow(internal.versioningWorkflows.child, { key })) as number;
    return { parent: step.journal.getVersion(), child: childVersion };
  },
});

// ---------------------------------------------------------------------------------------
// consumeNext misuse, and what getStepCount counts.

export const skipper = versioned.define({
  args: { key: v.string() },
  handler: async (step, { key }): Promise<number[]> => {
    const counts = [step.journal.getStepCount()];
    if (deployed.skipper === "pastEnd") step.journal.consumeNext();
    if (deployed.skipper === "wrongName") {
      step.journal.consumeNext("versioningWorkflows:somethingElse");
    } else {
      await step.runMutation(internal.versioningWorkflows.record, { key, label: "first" });
    }
    counts.push(step.journal.getStepCount());
    await step.awaitEvent({ name: "go" });
    counts.push(step.journal.getStepCount());
    return counts;
  },
});

// ---------------------------------------------------------------------------------------
// continueAsNew.

/** A cheap poll: is the loop done? */
export const poll = internalQuery({
  args: { iteration: v.number(), total: v.number() },
  returns: v.boolean(),
  handler: async (_ctx, { iteration, total }) => iteration + 1 >= total,
});

/**
 * A polling loop of `total` iterations: each iteration one inline query step; every `every`
 * iterations the run continues as new, so no journal holds more than `every` entries.
 */
export const poller = versioned.define({
  args: { iteration: v.number(), total: v.number(), every: v.number() },
  returns: v.object({ iterations: v.number(), lastRunSteps: v.number() }),
  handler: async (step, { iteration, total, every }) => {
    for (let i = iteration; ; i++) {
      const done = await step.runQuery(internal.versioningWorkflows.poll, { iteration: i, total }, { inline: true });
      if (done) return { iterations: i + 1, lastRunSteps: step.journal.getStepCount() };
      if (step.journal.getStepCount() >= every) await step.continueAsNew({ iteration: i + 1, total, every });
    }
  },
});

/** Run 1 continues as new at once (with `run: 2`); run 2 waits for an event. */
export const waitingLoop = versioned.define({
  args: { key: v.string(), run: v.number() },
  handler: async (step, { key, run }): Promise<number> => {
    await step.runMutation(internal.versioningWorkflows.record, { key, label: `run${run}` });
    if (run === 1) await step.continueAsNew({ key, run: 2 });
    await step.awaitEvent({ name: "go" });
    return run;
  },
});

/** A parent whose child continues as new: the parent's step gets the child's last run's result. */
export const pollerParent = versioned.define({
  args: { total: v.number(), every: v.number() },
  handler: async (step, { total, every }): Promise<{ iterations: number; lastRunSteps: number }> =>
    await step.runWorkflow(internal.versioningWorkflows.poller, { iteration: 0, total, every }),
});

/** A parent whose child continues as new and then waits (for a cancel of the parent). */
export const waitingParent = versioned.define({
  args: { key: v.string() },
  handler: async (step, { key }): Promise<number> =>
    (await step.runWorkflow(internal.versioningWorkflows.waitingLoop, { key, run: 1 })) as number,
});

/** continueAsNew with args its validator refuses: the call throws, in the handler. */
export const badContinue = versioned.define({
  args: { n: v.number() },
  handler: async (step): Promise<string> => {
    try {
      await step.continueAsNew({ n: "two" } as never);
    } catch (error) {
      return (error as Error).message;
    }
    return "continued";
  },
});

// ---------------------------------------------------------------------------------------
// Executor mode: the batched replay path (replayGroup) journals versions, reads
// step.journal and continues as new.

export const execVersioned = new WorkflowManager(components.workflow, {
  executorShards: 1,
  workpoolOptions: { logLevel: "ERROR" },
});

export const execLoop = execVersioned.define({
  args: { iteration: v.number(), total: v.number(), every: v.number() },
  version: 7,
  returns: v.object({ iterations: v.number(), version: v.number(), stepCount: v.number() }),
  handler: async (step, { iteration, total, every }) => {
    for (let i = iteration; ; i++) {
      const done = await step.runQuery(internal.versioningWorkflows.poll, { iteration: i, total });
      if (done) {
        return { iterations: i + 1, version: step.journal.getVersion(), stepCount: step.journal.getStepCount() };
      }
      if (step.journal.getStepCount() >= every) await step.continueAsNew({ iteration: i + 1, total, every });
    }
  },
});

/** Run 1 runs a task and continues as new; run 2 waits for an event (cancel in executor mode). */
export const execWaitingLoop = execVersioned.define({
  args: { run: v.number() },
  handler: async (step, { run }): Promise<number> => {
    await step.runQuery(internal.versioningWorkflows.poll, { iteration: run, total: 10 });
    if (run === 1) await step.continueAsNew({ run: 2 });
    await step.awaitEvent({ name: "go" });
    return run;
  },
});

export const executor = execVersioned.executor();
execVersioned.setExecutorRef(internal.versioningWorkflows.executor);
