// Executor mode's reads bounded in bytes as well as documents (docs/limits.md, "Executor mode
// and status reads"): a task carries its step's arguments (up to 800 KiB), so claiming,
// recording results, `diagnose`, `status()` and `notify` stop at a byte budget instead of
// reading more than a transaction may. Each case also checks that the workflows, and an
// unrelated one, still complete (blast radius). Plus the executor's handling of partial and
// failing flushes, its mutation groups and test hooks, and the executor options that used to be
// accepted.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { WorkflowManager, type WorkflowId } from "convex-workflow";
import type { GenericActionCtx, GenericDataModel } from "convex/server";
import { makeExecutor } from "../../src/client/executor/executor.js";
import type { ExecutorTestHooks } from "../../src/client/executor/testHooks.js";
import type { WorkflowComponent } from "../../src/client/types.js";
import {
  MAX_CLAIM_READ_BYTES,
  MAX_CLAIM_SKIP_BYTES,
  MAX_MUTATION_TASKS,
  MAX_STATUS_READ_BYTES,
  MAX_STEP_ARGS_SIZE,
} from "../../src/shared/limits.js";
import { components, internal } from "./_generated/api.js";
import { boundsExec } from "./executorBoundsWorkflows.js";
import { initConvexTest, type TestConvex } from "./setup.testing.js";

const KiB = 1 << 10;
const realSetTimeout = globalThis.setTimeout;
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

/** 4 workflows × 6 queued tasks of 700 KiB arguments: 16.8 MiB on shard 0, more than a query may read. */
const WORKFLOWS = 4;
const STEPS = 6;
const SIZE = 700 * KiB;

async function startBig(t: TestConvex, wait = false): Promise<WorkflowId[]> {
  await t.mutation((ctx) => boundsExec.startExecutors(ctx));
  const ids: WorkflowId[] = [];
  for (let i = 0; i < WORKFLOWS; i++) {
    ids.push(
      await t.mutation((ctx) =>
        boundsExec.start(ctx, internal.executorBoundsWorkflows.fanOut, { steps: STEPS, size: SIZE, wait }),
      ),
    );
  }
  return ids;
}

async function fence(t: TestConvex) {
  const [row] = await t.query((ctx) => boundsExec.diagnose(ctx, { countUpTo: 1 }));
  return { shard: 0, epoch: row.epoch, instance: row.instance };
}

/** Lets time pass smoothly (the executor is a long-running action) until `done` or 30 s of fake time. */
async function runUntil(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300 && !(await done()); i++) {
    await vi.advanceTimersByTimeAsync(100);
    await realTick();
  }
}

/** Each workflow completes, with `result` unless it is undefined (then any result). */
async function expectCompleted(t: TestConvex, ids: WorkflowId[], result: number | undefined) {
  const done = async () =>
    (await Promise.all(ids.map((id) => t.query((ctx) => boundsExec.status(ctx, id))))).every(
      (s) => s.type !== "inProgress",
    );
  await runUntil(done);
  for (const id of ids) {
    expect(await t.query((ctx) => boundsExec.status(ctx, id))).toEqual({
      type: "completed",
      result: result ?? expect.any(Number),
    });
  }
}

/** An unrelated workflow on the same shard still completes. */
async function othersUnaffected(t: TestConvex) {
  const id = await t.mutation((ctx) => boundsExec.start(ctx, internal.executorBoundsWorkflows.small, { n: 41 }));
  await expectCompleted(t, [id], 42);
}

describe("executor mode's reads bounded in bytes", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("claimTasks: 16.8 MiB of ready tasks are claimed in byte-bounded batches, at least one each", async () => {
    const t = initConvexTest();
    const ids = await startBig(t);
    const f = await fence(t);
    const claimed: string[] = [];
    for (let i = 0; i < 30 && claimed.length < WORKFLOWS * STEPS; i++) {
      // Used to read all 24 tasks at once: "Read too much data", on every claim, for every workflow.
      const { stale, tasks } = await t.query((ctx) =>
        ctx.runQuery(components.workflow.executor.taskQueue.claimTasks, { ...f, limit: 50, exclude: claimed }),
      );
      expect(stale).toBe(false);
      expect(JSON.stringify(tasks).length).toBeLessThan(MAX_CLAIM_READ_BYTES + MAX_STEP_ARGS_SIZE);
      if (tasks.length === 0) {
        // Only once the tasks it skips (its executor's own) pass the skip budget.
        expect(claimed.length * SIZE).toBeGreaterThanOrEqual(MAX_CLAIM_SKIP_BYTES - SIZE);
        break;
      }
      claimed.push(...tasks.map((task) => task.stepId));
    }
    expect(claimed.length).toBeGreaterThan(MAX_CLAIM_READ_BYTES / SIZE); // more than one claim's worth
    expect(new Set(claimed).size).toBe(claimed.length);
    // The executor claims and records them all (recording is bounded too), and goes on.
    await expectCompleted(t, ids, STEPS * SIZE);
    await othersUnaffected(t);
  });

  test("recordResults: stops at its byte budget and says how many it consumed; bad attempts are refused first", async () => {
    const t = initConvexTest();
    const ids = await startBig(t);
    const f = await fence(t);
    // Claimed as an executor would, until the tasks it holds pass the claim's skip budget.
    const stepIds: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { tasks } = await t.query((ctx) =>
        ctx.runQuery(components.workflow.executor.taskQueue.claimTasks, { ...f, limit: 50, exclude: stepIds }),
      );
      if (tasks.length === 0) break;
      stepIds.push(...tasks.map((task) => task.stepId));
    }
    expect(stepIds.length).toBeGreaterThan(12);
    const results = stepIds.map((stepId) => ({
      stepId: stepId as never,
      result: { kind: "success" as const, returnValue: 1 },
      attempts: 1,
    }));
    const record = (batch: typeof results) =>
      t.mutation((ctx) =>
        ctx.runMutation(components.workflow.executor.taskQueue.recordResults, { ...f, results: batch }),
      );
    for (const bad of [Number.NaN, -1, 0, 1.5]) {
      await expect(record([results[0], { ...results[1], attempts: bad }])).rejects.toThrow(
        `recordResults \`results[1].attempts\` must be a whole number from 1 to 1000, got ${bad}`,
      );
    }
    // All of them in one batch used to read over 24 MiB (each task and its step carry 700 KiB): it
    // threw every time, and the executor retried it forever. Now each call takes what fits.
    let rest = results;
    let recorded = 0;
    const consumed: number[] = [];
    for (let i = 0; i < 30 && rest.length > 0; i++) {
      const out = await record(rest);
      expect(out.consumed).toBeGreaterThan(0);
      expect(out.consumed).toBeLessThanOrEqual(rest.length);
      consumed.push(out.consumed);
      recorded += out.recorded;
      rest = rest.slice(out.consumed);
    }
    expect(consumed.length).toBeGreaterThan(1);
    expect(recorded).toBe(stepIds.length); // none was written by the refused calls
    // The executor runs the rest; every workflow completes.
    await expectCompleted(t, ids, undefined);
    await othersUnaffected(t);
  });

  test("diagnose: 16.8 MiB of queued tasks are counted up to the byte budget, as a lower bound", async () => {
    const t = initConvexTest();
    const ids = await startBig(t);
    const [shard] = await t.query((ctx) => boundsExec.diagnose(ctx)); // used to throw: "Read too much data"
    expect(shard.queued).toBeGreaterThan(0);
    expect(shard.queued).toBeLessThan(WORKFLOWS * STEPS);
    expect(shard.queuedIsLowerBound).toBe(true);
    expect(shard.oldestReadyAt).toEqual(expect.any(Number));
    await expectCompleted(t, ids, STEPS * SIZE);
    expect(await t.query((ctx) => boundsExec.diagnose(ctx))).toMatchObject([{ queued: 0, queuedIsLowerBound: false }]);
    await othersUnaffected(t);
  });

  test("status() lists running steps up to a byte budget: four statuses in one query fit", async () => {
    const t = initConvexTest();
    const ids = await startBig(t);
    // Each workflow has 4.2 MiB of steps in flight; four of them used to read 16.8 MiB.
    const running = await t.query(internal.executorBoundsWorkflows.runningOf, { ids });
    const perStep = SIZE;
    for (const n of running) {
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(Math.ceil(MAX_STATUS_READ_BYTES / perStep));
    }
    await expectCompleted(t, ids, STEPS * SIZE);
    await othersUnaffected(t);
  });

  test("notify reads in-flight steps up to a byte budget: four nudges in one mutation fit", async () => {
    const t = initConvexTest();
    const ids = await startBig(t, true);
    await t.mutation(internal.executorBoundsWorkflows.notifyAll, { ids }); // used to read 16.8 MiB
    await expectCompleted(t, ids, STEPS * SIZE);
    await othersUnaffected(t);
  });
});

// ---------------------------------------------------------------------------------------
// The executor's flushes, against a stand-in component: it may consume part of a batch, and a
// flush whose transaction fails is split.

type Recorded = { stepId: string }[];

function fakeComponent() {
  const tag = (name: string) => name as never;
  return {
    executor: {
      taskQueue: {
        claimTasks: tag("claimTasks"),
        recordResults: tag("recordResults"),
        runMutationTasks: tag("runMutationTasks"),
      },
      shards: { exitExecutor: tag("exitExecutor"), heartbeat: tag("heartbeat"), handoff: tag("handoff") },
    },
  } as unknown as WorkflowComponent;
}

/** Runs an executor against `record` (the stand-in recordResults) for `count` action tasks. */
async function runExecutor(
  count: number,
  record: (results: Recorded) => { consumed?: number },
): Promise<{ flushes: number[]; recorded: string[]; finished: boolean }> {
  const tasks = Array.from({ length: count }, (_, i) => ({
    stepId: `step${i}`,
    workflowId: `workflow${i}`,
    functionType: "action",
    handle: "h",
    actionName: "echo",
    name: "echo",
    args: {},
    readyAt: 0,
  }));
  let claimed = false;
  const flushes: number[] = [];
  const recorded: string[] = [];
  const ctx = {
    runQuery: async (name: string) => {
      if (name !== "claimTasks") throw new Error(name);
      const out = claimed ? [] : tasks;
      claimed = true;
      return { stale: false, tasks: out, nextReadyAt: null };
    },
    runMutation: async (name: string, args: { results?: Recorded }) => {
      if (name === "recordResults") {
        flushes.push(args.results!.length);
        const { consumed } = record(args.results!);
        const n = consumed ?? args.results!.length;
        recorded.push(...args.results!.slice(0, n).map((r) => r.stepId));
        return { recorded: n, skipped: 0, current: true, replays: 0, consumed };
      }
      if (name === "exitExecutor") return { exit: true };
      if (name === "heartbeat") return true;
      throw new Error(name);
    },
  } as unknown as GenericActionCtx<GenericDataModel>;
  const actions = new Map([["echo", { name: "echo", handler: async () => 1 }]]);
  const options = { claimIntervalMs: 10, flushIntervalMs: 10, idleExitMs: 50, idleClaimIntervalMs: 20 };
  const action = makeExecutor(fakeComponent(), actions, options) as unknown as {
    _handler: (ctx: unknown, args: unknown) => Promise<null>;
  };
  const run = action._handler(ctx, { shard: 0, epoch: 1, instance: 0 }).then(() => true);
  const timeout = new Promise<boolean>((resolve) => realSetTimeout(() => resolve(false), 3_000));
  const finished = await Promise.race([run, timeout]);
  return { flushes, recorded, finished };
}

describe("executor flushes", () => {
  test("only the results the component consumed leave the buffer; the rest go in the next flush", async () => {
    // The component takes at most 3 per call (its byte budget); it used to lose the rest.
    const { flushes, recorded, finished } = await runExecutor(8, (results) => ({
      consumed: Math.min(3, results.length),
    }));
    expect(finished).toBe(true);
    expect(flushes).toEqual([8, 5, 2]);
    expect(recorded.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `step${i}`).sort());
  });

  test("a flush whose transaction fails is retried in halves, down to one", async () => {
    // Any batch of more than one fails (too big for a transaction): the same 8 used to be
    // retried forever, and the executor never finished.
    const { flushes, recorded, finished } = await runExecutor(8, (results) => {
      if (results.length > 1) throw new Error("Too many bytes written in a single function execution");
      return { consumed: 1 };
    });
    expect(finished).toBe(true);
    expect(flushes.slice(0, 4)).toEqual([8, 4, 2, 1]);
    expect(recorded.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `step${i}`).sort());
  });
});

/** Runs an executor over `tasks` with test hooks; `runMutationTasks` records the step ids of each call. */
async function runWithHooks(tasks: object[], hooks: ExecutorTestHooks) {
  let claimed = false;
  const mutationGroups: string[][] = [];
  const ctx = {
    runQuery: async () => {
      const out = claimed ? [] : tasks;
      claimed = true;
      return { stale: false, tasks: out, nextReadyAt: null };
    },
    runMutation: async (name: string, args: { stepIds?: string[]; results?: Recorded }) => {
      if (name === "runMutationTasks") {
        mutationGroups.push(args.stepIds!);
        return { recorded: args.stepIds!.length, skipped: 0, replays: 0 };
      }
      if (name === "recordResults")
        return {
          recorded: args.results!.length,
          skipped: 0,
          current: true,
          replays: 0,
          consumed: args.results!.length,
        };
      if (name === "exitExecutor") return { exit: true };
      if (name === "heartbeat") return true;
      throw new Error(name);
    },
  } as unknown as GenericActionCtx<GenericDataModel>;
  const actions = new Map([["echo", { name: "echo", handler: async () => 1 }]]);
  const options = { claimIntervalMs: 10, flushIntervalMs: 10, idleExitMs: 50, idleClaimIntervalMs: 20 };
  const action = makeExecutor(fakeComponent(), actions, options, hooks) as unknown as {
    _handler: (ctx: unknown, args: unknown) => Promise<null>;
  };
  const run = action._handler(ctx, { shard: 0, epoch: 1, instance: 0 });
  const timeout = new Promise<never>((_, reject) =>
    realSetTimeout(() => reject(new Error("executor did not finish")), 3_000),
  );
  return { finished: Promise.race([run, timeout]), mutationGroups };
}

const mutationTask = (i: number) => ({
  stepId: `m${i}`,
  workflowId: `w${i}`,
  functionType: "mutation",
  handle: "h",
  name: "save",
  args: {},
  readyAt: 0,
});
const actionTask = (i: number) => ({
  stepId: `a${i}`,
  workflowId: `w${i}`,
  functionType: "action",
  handle: "h",
  actionName: "echo",
  name: "echo",
  args: {},
  readyAt: 0,
});

describe("executor test hooks", () => {
  test("mutation steps run in groups of MAX_MUTATION_TASKS, by step id; beforeMutationGroup sees each group", async () => {
    const counts: number[] = [];
    const tasks = Array.from({ length: MAX_MUTATION_TASKS + 5 }, (_, i) => mutationTask(i));
    const { finished, mutationGroups } = await runWithHooks(tasks, {
      beforeMutationGroup: (count) => void counts.push(count),
    });
    await finished;
    expect(counts).toEqual([MAX_MUTATION_TASKS, 5]);
    expect(mutationGroups.map((g) => g.length)).toEqual([MAX_MUTATION_TASKS, 5]);
    expect(mutationGroups.flat()).toEqual(tasks.map((t) => t.stepId));
  });

  test("a throw in beforeFlush kills the executor there; one in beforeClaim before it claims", async () => {
    const flush = await runWithHooks([actionTask(0), actionTask(1)], {
      beforeFlush: (count) => {
        throw new Error(`killed before flushing ${count}`);
      },
    });
    await expect(flush.finished).rejects.toThrow("killed before flushing 2");
    const claim = await runWithHooks([mutationTask(0)], {
      beforeClaim: () => {
        throw new Error("killed before claiming");
      },
    });
    await expect(claim.finished).rejects.toThrow("killed before claiming");
    expect(claim.mutationGroups).toEqual([]);
  });
});

describe("executor options", () => {
  test("claimIntervalMs 0 (a tight claim loop) and rateLimitMaxBackoffMs below rateLimitBackoffMs are refused", () => {
    const make = (options: Record<string, number>) => () => boundsExec.executor(options);
    expect(make({ claimIntervalMs: 0 })).toThrow(
      "workflow.executor() `claimIntervalMs` must be a finite number of milliseconds from 10 to 540000 (9 min), got 0",
    );
    expect(make({ claimIntervalMs: 10 })).not.toThrow();
    expect(make({ rateLimitBackoffMs: 5_000, rateLimitMaxBackoffMs: 2_000 })).toThrow(
      "workflow.executor() `rateLimitMaxBackoffMs` (2000 ms) must not be less than `rateLimitBackoffMs` (5000 ms)",
    );
    expect(make({ rateLimitBackoffMs: 5_000, rateLimitMaxBackoffMs: 5_000 })).not.toThrow();
    expect(
      () =>
        new WorkflowManager(components.workflow, {
          executor: { rateLimitBackoffMs: 5_000, rateLimitMaxBackoffMs: 2_000 },
        }),
    ).toThrow(
      "WorkflowManager `executor.rateLimitMaxBackoffMs` (2000 ms) must not be less than `executor.rateLimitBackoffMs` (5000 ms)",
    );
  });
});
