// Reads bounded in bytes as well as documents (docs/limits.md, "Pages"): list, listSteps and
// the timeline page by a byte budget, so large arguments or results never make a page read
// more than a query may; page sizes are checked; and executor mode's replay groups stay
// within a transaction's reads however large the journals. Each case also checks that an
// unrelated workflow still completes and is listed (blast radius).
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { WorkflowId } from "convex-workflow";
import type { PaginationOptions, PaginationResult } from "convex/server";
import { MAX_PAGE_ITEMS, MAX_PAGE_READ_BYTES } from "../../src/shared/limits.js";
import { internal } from "./_generated/api.js";
import { bigExecutor, bounds } from "./boundsWorkflows.js";
import { drain, initConvexTest, type TestConvex } from "./setup.testing.js";

const KiB = 1 << 10;

/** Follow a paginated listing to its end; returns each page. */
async function pages<T>(
  fetch: (cursor: string | null) => Promise<PaginationResult<T>>,
): Promise<PaginationResult<T>[]> {
  const result: PaginationResult<T>[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 200; i++) {
    const page = await fetch(cursor);
    result.push(page);
    if (page.isDone) return result;
    cursor = page.continueCursor;
  }
  throw new Error("pagination did not finish");
}

/** Starts `small` and checks that it completes and is listed: nothing else is stuck. */
async function expectOthersUnaffected(t: TestConvex): Promise<void> {
  const id = await t.mutation((ctx) => bounds.start(ctx, internal.boundsWorkflows.small, { n: 42 }));
  await drain(t);
  expect(await t.query((ctx) => bounds.status(ctx, id))).toEqual({ type: "completed", result: 42 });
  const named = await t.query((ctx) => bounds.listByName(ctx, "boundsWorkflows:small", { order: "desc" }));
  expect(named.page[0]).toMatchObject({ workflowId: id, runResult: { kind: "success", returnValue: 42 } });
}

/** The size of a page's items, as JSON: what the page returned (and at least what it read of them). */
const bytesOf = (value: unknown) => JSON.stringify(value).length;

describe("pages bounded in bytes", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  test("list: 24 workflows with 750 KiB arguments (18 MiB in all) list in pages of at most 4 MiB", async () => {
    const t = initConvexTest();
    const ids: WorkflowId[] = [];
    for (let i = 0; i < 24; i++) {
      const blob = `${i}:`.padEnd(750 * KiB, "a");
      ids.push(await t.mutation((ctx) => bounds.start(ctx, internal.boundsWorkflows.bigArgs, { blob })));
    }
    await drain(t);
    // The default page (100 workflows) used to read all 18 MiB: "Read too much data".
    const all = await pages((cursor) =>
      t.query((ctx) => bounds.list(ctx, cursor === null ? undefined : { paginationOpts: { cursor, numItems: 100 } })),
    );
    expect(all.length).toBeGreaterThan(4);
    for (const page of all.slice(0, -1)) {
      expect(page.page.length).toBeGreaterThan(0);
      expect(bytesOf(page.page)).toBeLessThan(MAX_PAGE_READ_BYTES + 800 * KiB);
    }
    const listed = all.flatMap((p) => p.page);
    expect(listed.map((w) => w.workflowId)).toEqual(ids);
    for (const [i, w] of listed.entries()) {
      expect((w.args as { blob: string }).blob.startsWith(`${i}:`)).toBe(true);
      expect(w.runResult).toEqual({ kind: "success", returnValue: 750 * KiB });
    }
    // listByName pages the same way; a caller's smaller budget is kept.
    const byName = await pages((cursor) =>
      t.query((ctx) =>
        bounds.listByName(ctx, "boundsWorkflows:bigArgs", {
          paginationOpts: { cursor, numItems: 10, maximumBytesRead: 1 },
        }),
      ),
    );
    expect(byName.filter((p) => p.page.length > 0).map((p) => p.page.length)).toEqual(Array(24).fill(1));
    await expectOthersUnaffected(t);
  });

  test("timeline and listSteps: three workflows of 50 steps × 120 KiB results", async () => {
    vi.stubEnv("CONSOLE_TOKEN", "bounds-test-token");
    const t = initConvexTest();
    const ids: WorkflowId[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        await t.mutation((ctx) =>
          bounds.start(ctx, internal.boundsWorkflows.bigResults, { steps: 50, size: 120 * KiB }),
        ),
      );
    }
    await drain(t);
    for (const id of ids)
      expect(await t.query((ctx) => bounds.status(ctx, id))).toEqual({ type: "completed", result: 50 });

    // The timeline used to read all 18 MiB of steps in one page.
    const timeline = await pages((cursor) =>
      t.query((ctx) => bounds.timelinePage(ctx, { paginationOpts: { cursor, numItems: 100 } })),
    );
    const shown = timeline.flatMap((p) => p.page);
    expect(shown.map((w) => w.workflowId)).toEqual(ids);
    expect(timeline.length).toBeGreaterThanOrEqual(3);
    for (const w of shown) {
      // Summaries only; the steps shown are the first ones, in order. A page reads about
      // 4 MiB, so of 6 MiB of steps some are left out, and the page says so.
      expect(w.steps.map((s) => s.stepNumber)).toEqual(w.steps.map((_, i) => i));
      expect(w.steps.length).toBeGreaterThan(25);
      expect(w.steps.length).toBeLessThan(50);
      expect(w.stepsTruncated).toBe(true);
      expect(bytesOf(w)).toBeLessThan(50 * KiB);
    }
    // So does the runs console the example mounts: its list, and a run's page (the first
    // page of steps, about 4 MiB, and it says more exist).
    const headers = { Authorization: "Bearer bounds-test-token" };
    const res = await t.fetch("/workflow/console/api/runs", { headers });
    expect(res.status).toBe(200);
    const data = (await res.json()) as { runs: { id: string }[] };
    expect(data.runs.map((w) => w.id)).toEqual([...ids].reverse());
    const run = (await (await t.fetch(`/workflow/console/api/run?id=${ids[0]}`, { headers })).json()) as {
      steps: { stepNumber: number }[];
      stepsTruncated: boolean;
    };
    expect(run.stepsTruncated).toBe(true);
    expect(run.steps.map((s) => s.stepNumber)).toEqual(run.steps.map((_, i) => i));

    // listSteps returns whole steps (with results), in pages of about 4 MiB.
    const steps = await pages((cursor) =>
      t.query((ctx) => bounds.listSteps(ctx, ids[1], { paginationOpts: { cursor, numItems: 100 } })),
    );
    expect(steps.length).toBeGreaterThan(1);
    for (const page of steps) expect(bytesOf(page.page)).toBeLessThan(MAX_PAGE_READ_BYTES + 200 * KiB);
    const journal = steps.flatMap((p) => p.page);
    expect(journal.map((s) => s.stepNumber)).toEqual([...Array(50).keys()]);
    for (const s of journal) {
      expect(s.runResult?.kind).toBe("success");
      expect((s.runResult as { returnValue: string }).returnValue).toHaveLength(120 * KiB);
    }
    await expectOthersUnaffected(t);
  });
});

describe("page sizes", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const bad = [NaN, Infinity, -Infinity, 0, -1, 1.5, MAX_PAGE_ITEMS + 1, 1e9];

  test("numItems outside 1…1000 is a clear error naming it, for every paginated read", async () => {
    const t = initConvexTest();
    const id = await t.mutation((ctx) => bounds.start(ctx, internal.boundsWorkflows.small, { n: 1 }));
    await drain(t);
    const reads: [string, (opts: PaginationOptions) => Promise<unknown>][] = [
      ["list", (paginationOpts) => t.query((ctx) => bounds.list(ctx, { paginationOpts }))],
      [
        "listByName",
        (paginationOpts) => t.query((ctx) => bounds.listByName(ctx, "boundsWorkflows:small", { paginationOpts })),
      ],
      ["listSteps", (paginationOpts) => t.query((ctx) => bounds.listSteps(ctx, id, { paginationOpts }))],
      ["timelinePage", (paginationOpts) => t.query((ctx) => bounds.timelinePage(ctx, { paginationOpts }))],
    ];
    for (const [what, read] of reads) {
      for (const numItems of bad) {
        await expect(read({ cursor: null, numItems }), `${what} numItems ${numItems}`).rejects.toThrow(
          `paginationOpts.numItems must be a whole number from 1 to ${MAX_PAGE_ITEMS}; got ${numItems}.`,
        );
      }
      for (const maximumBytesRead of [NaN, 0, -1, Infinity]) {
        await expect(read({ cursor: null, numItems: 5, maximumBytesRead }), `${what} maximumBytesRead`).rejects.toThrow(
          `paginationOpts.maximumBytesRead must be a positive number of bytes; got ${maximumBytesRead}.`,
        );
      }
      // The bounds themselves are fine.
      expect(await read({ cursor: null, numItems: 1 })).toMatchObject({ page: [expect.anything()] });
      expect(await read({ cursor: null, numItems: MAX_PAGE_ITEMS })).toMatchObject({ isDone: true });
    }
    for (const maxStepsPerWorkflow of [NaN, 0, -1, 2.5, 501]) {
      await expect(
        t.query((ctx) =>
          bounds.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 5 }, maxStepsPerWorkflow }),
        ),
      ).rejects.toThrow(`maxStepsPerWorkflow must be a whole number from 1 to 500; got ${maxStepsPerWorkflow}.`);
    }
    await expectOthersUnaffected(t);
  });
});

describe("executor mode's replay groups", () => {
  // Captured before fake timers are installed: real time, to let the executor run.
  const realSetTimeout = globalThis.setTimeout;
  const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("25 workflows whose journals are about 1 MiB each, replayed together, all complete", async () => {
    const t = initConvexTest();
    await t.mutation((ctx) => bigExecutor.startExecutors(ctx));
    const ids: WorkflowId[] = [];
    await t.mutation(async (ctx) => {
      for (let i = 0; i < 25; i++) {
        const args = { tag: `j${i}`, parts: 2, size: 500 * KiB, of: 25 };
        ids.push(await bigExecutor.start(ctx, internal.boundsWorkflows.bigJournal, args));
      }
    });
    // Time passes smoothly (a lone executor starves under drain's timer jumps). The 25 reach
    // their rendezvous step, finish it in one flush and come to one coordinator transaction,
    // which used to read all 25 MiB of journals: "Read too much data", and all 25 stuck.
    const finished = async () =>
      (await Promise.all(ids.map((id) => t.query((ctx) => bigExecutor.status(ctx, id))))).every(
        (s) => s.type !== "inProgress",
      );
    for (let i = 0; i < 300 && !(await finished()); i++) {
      await vi.advanceTimersByTimeAsync(100);
      await realTick();
    }
    for (const id of ids) {
      expect(await t.query((ctx) => bigExecutor.status(ctx, id))).toEqual({ type: "completed", result: 1000 * KiB });
    }
    const effects = await t.run((ctx) => ctx.db.query("effects").collect());
    expect(effects.map((e) => e.key).sort()).toEqual(ids.map((_, i) => `bounds:j${i}`).sort());
    await expectOthersUnaffected(t);
  });
});
