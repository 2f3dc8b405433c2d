// startMany (SPEC 4.5): many workflows of one definition started in one call, validated item
// by item first (nothing is created if one is bad), split into several component calls when
// their arguments are large, first replays scheduled in chunks (standard mode) or handed to
// the coordinator in replay groups (executor mode).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { startMany, type WorkflowId } from "convex-workflow";
import { components, internal } from "./_generated/api.js";
import { executorMode, standard } from "./startManyWorkflows.js";
import { initConvexTest, type TestConvex } from "./setup.testing.js";

const STANDARD = "startManyWorkflows:standardTwoStep";
const EXECUTOR = "startManyWorkflows:executorTwoStep";

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/**
 * Let fake time pass smoothly (executors run in it) until none of `ids` is in progress, then
 * drain what is left (idle executors exit), failing instead of hanging.
 */
async function settle(t: TestConvex, ids: WorkflowId[], realMs = 60_000): Promise<void> {
  for (let i = 0; i < 600; i++) {
    await vi.advanceTimersByTimeAsync(100);
    await new Promise<void>((resolve) => realSetTimeout(resolve, 1));
    if (i % 5 === 4 && (await statuses(t, ids)).every((s) => s.type !== "inProgress")) break;
  }
  let timer: ReturnType<typeof realSetTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new Error(`still running after ${realMs} ms`)), realMs);
  });
  try {
    await Promise.race([t.finishAllScheduledFunctions(vi.runAllTimers, 10_000), timeout]);
  } finally {
    realClearTimeout(timer);
  }
}

const items = (prefix: string, count: number) => Array.from({ length: count }, (_, n) => ({ tag: `${prefix}${n}`, n }));

async function effects(t: TestConvex, prefix: string) {
  const rows = await t.run((ctx) => ctx.db.query("effects").collect());
  return rows.filter((r) => r.key.startsWith(prefix));
}

async function rejected(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("expected a rejection");
}

/** Scheduled functions of the component, by name. */
async function scheduledInComponent(t: TestConvex): Promise<Record<string, number>> {
  const run = (t as unknown as { runInComponent: (p: string, f: (ctx: any) => Promise<unknown>) => Promise<unknown> })
    .runInComponent;
  const rows = (await run("workflow", (ctx) => ctx.db.system.query("_scheduled_functions").collect())) as {
    name: string;
  }[];
  const out: Record<string, number> = {};
  for (const { name } of rows) out[name] = (out[name] ?? 0) + 1;
  return out;
}

async function statuses(t: TestConvex, ids: WorkflowId[]) {
  return await t.query(async (ctx) => Promise.all(ids.map(async (id) => await standard.status(ctx, id))));
}

describe("startMany", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe.each([
    { mode: "standard", manager: standard, ref: internal.startManyWorkflows.standardTwoStep, name: STANDARD },
    { mode: "executor", manager: executorMode, ref: internal.startManyWorkflows.executorTwoStep, name: EXECUTOR },
  ] as const)("$mode mode", ({ mode, manager, ref, name }) => {
    async function setup() {
      const t = initConvexTest();
      if (mode === "executor") await t.mutation((ctx) => executorMode.startExecutors(ctx));
      return t;
    }

    test("starts every workflow, returns ids in order, counts right, an unrelated workflow unaffected", async () => {
      const t = await setup();
      const other = await t.mutation((ctx) => manager.start(ctx, ref, { tag: `${mode}-other`, n: 100 }));
      const ids = await t.mutation((ctx) => manager.startMany(ctx, ref, items(`${mode}-`, 30)));
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
      // Created in this transaction, not yet replayed (startAsync semantics).
      expect(await t.query((ctx) => manager.counts(ctx, name))).toMatchObject({
        total: { running: 31, success: 0, failed: 0, canceled: 0 },
      });
      const pending = await scheduledInComponent(t);
      if (mode === "executor") {
        // 30 first replays in two coordinator transactions (25 per replay group), none alone.
        expect(pending["executor/coordinator:replayWorkflows"]).toBe(2);
        expect(pending["replay:run"] ?? 0).toBe(0);
      } else {
        expect(pending["replay:run"]).toBe(30);
      }
      await settle(t, [...ids, other]);
      const status = await statuses(t, [...ids, other]);
      expect(status).toEqual([
        ...ids.map((_, n) => ({ type: "completed", result: 2 * n })),
        { type: "completed", result: 200 },
      ]);
      // Each workflow's mutation ran once, for the workflow at its index.
      const rows = await effects(t, `many:${mode}-`);
      expect(rows).toHaveLength(31);
      for (const [n, id] of ids.entries()) {
        expect(rows.filter((r) => r.key === `many:${mode}-${n}`)).toEqual([
          expect.objectContaining({ workflowId: id, value: 2 * n }),
        ]);
      }
      expect(await t.query((ctx) => manager.counts(ctx, name))).toMatchObject({
        total: { running: 0, success: 31, failed: 0, canceled: 0 },
      });
      expect(await t.query((ctx) => manager.counts(ctx))).toMatchObject({
        total: { running: 0, success: 31, failed: 0, canceled: 0 },
      });
    });

    test("one invalid item: a clear error naming its index, nothing created", async () => {
      const t = await setup();
      const list = items(`${mode}-bad`, 5) as { tag: string; n: unknown }[];
      list[3] = { tag: "x", n: "three" };
      const error = await rejected(t.mutation((ctx) => manager.startMany(ctx, ref, list as never)));
      expect(error).toContain(`startMany: argsList[3] is not valid for workflow "${name}"`);
      expect(error).toContain("Validator error for n: Expected `number`, got `string`");
      expect((await t.query((ctx) => manager.list(ctx))).page).toEqual([]);
      expect(await t.query((ctx) => manager.counts(ctx))).toMatchObject({
        total: { running: 0, success: 0, failed: 0, canceled: 0 },
      });
      expect(await scheduledInComponent(t)).toEqual(mode === "executor" ? expect.any(Object) : {});
      // The manager still starts workflows afterwards.
      const [id] = await t.mutation((ctx) => manager.startMany(ctx, ref, [{ tag: `${mode}-after`, n: 4 }]));
      await settle(t, [id]);
      expect(await t.query((ctx) => manager.status(ctx, id))).toEqual({ type: "completed", result: 8 });
    });

    test("large arguments are split over several component calls, in one transaction", async () => {
      const t = await setup();
      // 3 x 600 KB: more than MAX_START_MANY_CALL_BYTES (1 MiB) together, under 800 KiB each.
      const padding = "p".repeat(600_000);
      const list = items(`${mode}-big`, 3).map((a) => ({ ...a, padding }));
      const ids = await t.mutation((ctx) => manager.startMany(ctx, ref, list));
      expect(ids).toHaveLength(3);
      await settle(t, ids);
      expect(await statuses(t, ids)).toEqual([0, 2, 4].map((result) => ({ type: "completed", result })));
      const listed = (await t.query((ctx) => manager.list(ctx))).page;
      expect(listed.map((w) => (w.args as { tag: string }).tag)).toEqual([
        `${mode}-big0`,
        `${mode}-big1`,
        `${mode}-big2`,
      ]);
    });
  });

  test("standalone startMany with onComplete and context; the empty list starts nothing", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(async (ctx) =>
      startMany(ctx, components.workflow, internal.startManyWorkflows.standardTwoStep, items("cb", 3), {
        onComplete: internal.startManyWorkflows.onDone,
        context: "batch-1",
      }),
    );
    expect(await t.mutation((ctx) => standard.startMany(ctx, internal.startManyWorkflows.standardTwoStep, []))).toEqual(
      [],
    );
    await settle(t, ids);
    const done = await effects(t, "done:batch-1");
    expect(done.map((r) => r.workflowId).sort()).toEqual([...ids].sort());
    expect(done.map((r) => r.value).sort()).toEqual(
      [0, 2, 4].map((returnValue) => ({ kind: "success", returnValue })).sort(),
    );
  });

  test("more than 1,000 workflows, 8 MiB of arguments or 8,000 documents with tags: a clear error, nothing created", async () => {
    const t = initConvexTest();
    const ref = internal.startManyWorkflows.standardTwoStep;
    expect(await rejected(t.mutation((ctx) => standard.startMany(ctx, ref, items("many", 1001))))).toBe(
      "startMany: argsList has 1001 items; at most 1000 workflows per call (split the list)",
    );
    const padding = "p".repeat(700_000);
    const big = items("huge", 13).map((a) => ({ ...a, padding }));
    expect(await rejected(t.mutation((ctx) => standard.startMany(ctx, ref, big)))).toMatch(
      /^startMany: the 13 workflows' arguments \(with their context\) total \d+ bytes; at most 8388608 bytes per call \(split the list\)$/,
    );
    // The component checks again (a caller that skips the client's checks).
    const direct = await rejected(
      t.mutation((ctx) =>
        ctx.runMutation(components.workflow.start.createMany, {
          workflow: { workflowName: STANDARD, workflowHandle: "function://x" },
          argsList: items("direct", 1001),
        }),
      ),
    );
    expect(direct).toContain("at most 1000 workflows per call");
    // Each tag is a row per workflow: 1,000 workflows with 8 tags would write 9,000 documents.
    const tags = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, "v"]));
    const tagged =
      "startMany: 1000 workflows with 8 tags each write 9000 documents (a workflow and a row per tag); at most 8000 per call (split the list, or use fewer tags)";
    expect(await rejected(t.mutation((ctx) => standard.startMany(ctx, ref, items("tagged", 1000), { tags })))).toBe(
      tagged,
    );
    expect(
      await rejected(
        t.mutation((ctx) =>
          ctx.runMutation(components.workflow.start.createMany, {
            workflow: {
              workflowName: STANDARD,
              workflowHandle: "function://x",
              tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
            },
            argsList: items("direct", 1000),
          }),
        ),
      ),
    ).toBe(tagged);
    expect((await t.query((ctx) => standard.list(ctx))).page).toEqual([]);
  });

  test("standard mode, more than 100 at once: first replays scheduled in chunks", async () => {
    const t = initConvexTest();
    const ids = await t.mutation((ctx) =>
      standard.startMany(ctx, internal.startManyWorkflows.standardTwoStep, items("chunk", 120)),
    );
    expect(ids).toHaveLength(120);
    // (and the folder that adds their `started` count to the stored counters, countFolding.ts)
    expect(await scheduledInComponent(t)).toEqual({ "start:scheduleFirstReplays": 2, "countFolding:fold": 1 });
    // Run just those two: each schedules the first replays of its chunk (100, then 20).
    vi.runOnlyPendingTimers();
    await t.finishInProgressScheduledFunctions();
    const pending = await scheduledInComponent(t);
    expect(pending).toMatchObject({ "start:scheduleFirstReplays": 2, "replay:run": 120 });
  });
});
