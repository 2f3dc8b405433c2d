// Defining, start, status, nested workflows and onComplete (docs/getting-started.md,
// docs/managing-workflows.md, docs/steps.md), through the public API of "convex-workflow".
import { createFunctionHandle } from "convex/server";
import { getStatus, listSteps, start, type WorkflowId } from "convex-workflow";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { components, internal } from "./_generated/api.js";
import { drain, initConvexTest, logged, type TestConvex } from "./setup.testing.js";
import { workflow } from "./testWorkflows.js";

type RunInComponent = (path: string, fn: (ctx: any) => Promise<unknown>) => Promise<unknown>;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const statusOf = (t: TestConvex, id: WorkflowId) => t.query(async (ctx) => workflow.status(ctx, id));
const stepsOf = async (t: TestConvex, id: WorkflowId) =>
  (await t.query(async (ctx) => workflow.listSteps(ctx, id))).page;
const effectsOf = (t: TestConvex, key: string) =>
  t.run(async (ctx) => (await ctx.db.query("effects").collect()).filter((e) => e.key === key));
const completions = (t: TestConvex) => t.run((ctx) => ctx.db.query("completions").collect());

describe("starting a workflow", () => {
  test("workflow.start runs the first replay inline, in the caller's transaction", async () => {
    const t = initConvexTest();
    const { id, steps, status } = await t.mutation(async (ctx) => {
      const id = await workflow.start(ctx, internal.testWorkflows.basic, { key: "inline", name: "Ada" });
      return { id, steps: (await workflow.listSteps(ctx, id)).page, status: await workflow.status(ctx, id) };
    });
    // Already journaled before the mutation returned: the handler ran up to its first step.
    expect(steps.map((s) => [s.stepNumber, s.name, s.kind])).toEqual([[0, "testWorkflows:echo", "function"]]);
    expect(steps[0].runResult).toBeUndefined();
    expect(steps[0].args).toEqual({ value: "hi Ada" });
    expect(status.type).toBe("inProgress");
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: "done:Ada" });
    const effects = await effectsOf(t, "inline");
    expect(effects.map((e) => [e.value, e.workflowId])).toEqual([["hi Ada", id]]);
  });

  test("workflow.start with startAsync journals nothing until the scheduled first replay", async () => {
    const t = initConvexTest();
    const { id, steps, status } = await t.mutation(async (ctx) => {
      const id = await workflow.start(
        ctx,
        internal.testWorkflows.basic,
        { key: "async", name: "Bo" },
        { startAsync: true },
      );
      return { id, steps: (await workflow.listSteps(ctx, id)).page, status: await workflow.status(ctx, id) };
    });
    expect(steps).toEqual([]);
    expect(status).toEqual({ type: "inProgress", running: [] });
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: "done:Bo" });
    expect(await effectsOf(t, "async")).toHaveLength(1);
  });

  test("standalone start, inline and with startAsync", async () => {
    const t = initConvexTest();
    const ids = await t.mutation(async (ctx) => {
      const inline = await start(ctx, internal.testWorkflows.basic, { key: "s1", name: "Cy" });
      const later = await start(ctx, internal.testWorkflows.basic, { key: "s2", name: "Di" }, { startAsync: true });
      const inlineSteps = (await listSteps(ctx, components.workflow, inline)).page.length;
      const laterSteps = (await listSteps(ctx, components.workflow, later)).page.length;
      return { inline, later, inlineSteps, laterSteps };
    });
    expect(ids.inlineSteps).toBe(1);
    expect(ids.laterSteps).toBe(0);
    await drain(t);
    const [a, b] = await t.query(async (ctx) => [
      await getStatus(ctx, components.workflow, ids.inline),
      await getStatus(ctx, components.workflow, ids.later),
    ]);
    expect(a).toEqual({ type: "completed", result: "done:Cy" });
    expect(b).toEqual({ type: "completed", result: "done:Di" });
    expect(await effectsOf(t, "s1")).toHaveLength(1);
    expect(await effectsOf(t, "s2")).toHaveLength(1);
  });

  test("calling the workflow mutation directly with { args } starts it and returns its id", async () => {
    const t = initConvexTest();
    const inline = (await t.mutation(internal.testWorkflows.basic, { args: { key: "d1", name: "Ed" } })) as WorkflowId;
    const later = (await t.mutation(internal.testWorkflows.basic, {
      args: { key: "d2", name: "Flo" },
      startAsync: true,
    })) as WorkflowId;
    expect(typeof inline).toBe("string");
    expect(typeof later).toBe("string");
    expect(await stepsOf(t, inline)).toHaveLength(1);
    expect(await stepsOf(t, later)).toHaveLength(0);
    await drain(t);
    expect(await statusOf(t, inline)).toEqual({ type: "completed", result: "done:Ed" });
    expect(await statusOf(t, later)).toEqual({ type: "completed", result: "done:Flo" });
  });

  test("a workflow without steps completes inside the starting mutation", async () => {
    const t = initConvexTest();
    const status = await t.mutation(async (ctx) => {
      const id = await workflow.start(ctx, internal.testWorkflows.pure, { n: 21 });
      return await workflow.status(ctx, id);
    });
    expect(status).toEqual({ type: "completed", result: 42 });
  });

  test("a replay ({ workflowId, generationNumber }) returns complete; stale and repeated replays are no-ops", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.testWorkflows.pure,
        { n: 3 },
        { startAsync: true, onComplete: internal.testWorkflows.onCompleteRecorder, context: "replay" },
      ),
    );
    // A replay of another generation does nothing.
    expect(await t.mutation(internal.testWorkflows.pure, { workflowId: id, generationNumber: 7 } as never)).toBe(id);
    expect((await statusOf(t, id)).type).toBe("inProgress");
    const result = await t.mutation(internal.testWorkflows.pure, { workflowId: id, generationNumber: 0 } as never);
    expect(result).toEqual({ kind: "complete", runResult: { kind: "success", returnValue: 6 } });
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: 6 });
    // The scheduled first replay and another manual one find it finished.
    await drain(t);
    expect(await t.mutation(internal.testWorkflows.pure, { workflowId: id, generationNumber: 0 } as never)).toBe(id);
    const done = await completions(t);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ workflowId: id, context: "replay", result: { kind: "success", returnValue: 6 } });
  });

  test("the fluent define(...).handler(fn) and standalone defineWorkflow forms", async () => {
    const t = initConvexTest();
    const [fluent, standalone] = await t.mutation(async (ctx) => [
      await workflow.start(ctx, internal.testWorkflows.fluent, { n: 3 }),
      await workflow.start(ctx, internal.testWorkflows.standalone, { n: 3 }),
    ]);
    await drain(t);
    expect(await statusOf(t, fluent)).toEqual({ type: "completed", result: 7 });
    expect(await statusOf(t, standalone)).toEqual({ type: "completed", result: 8 });
  });
});

describe("status", () => {
  test("inProgress lists the running steps, then completed", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.waiter, { key: "w", ms: 60_000 }),
    );
    const status = await statusOf(t, id);
    expect(status.type).toBe("inProgress");
    if (status.type !== "inProgress") throw new Error("unreachable");
    expect(status.running).toHaveLength(1);
    expect(status.running[0]).toMatchObject({ name: "sleep", kind: "sleep", inProgress: true });
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: "woke" });
  });

  test("a handler that throws fails the workflow with its error", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.failing, { key: "f" }));
    await drain(t);
    const status = await statusOf(t, id);
    expect(status.type).toBe("failed");
    if (status.type !== "failed") throw new Error("unreachable");
    expect(status.error).toContain("boom f");
    expect(await effectsOf(t, "f")).toHaveLength(1);
    // Logged as one line naming the workflow; the stack is in the stored error only.
    expect(status.error).toMatch(/^\s+at /m);
    expect(logged("error")).toEqual([`Workflow ${id} failed: Error: boom f`]);
  });
});

describe("argument and return validation", () => {
  test("bad args fail fast in the caller on an inline start, creating nothing", async () => {
    const t = initConvexTest();
    const bad = { key: 1, name: "x" } as unknown as { key: string; name: string };
    await expect(t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.basic, bad))).rejects.toThrow();
    await expect(t.mutation(async (ctx) => start(ctx, internal.testWorkflows.basic, bad))).rejects.toThrow();
    await expect(t.mutation(internal.testWorkflows.basic, { args: bad })).rejects.toThrow();
    const all = await t.query(async (ctx) => workflow.list(ctx));
    expect(all.page).toEqual([]);
  });

  test("bad args fail fast in the caller with startAsync too", async () => {
    const t = initConvexTest();
    const bad = { key: 1, name: "x" } as unknown as { key: string; name: string };
    await expect(
      t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.basic, bad, { startAsync: true })),
    ).rejects.toThrow();
    await expect(
      t.mutation(async (ctx) => start(ctx, internal.testWorkflows.basic, bad, { startAsync: true })),
    ).rejects.toThrow();
    await expect(t.mutation(internal.testWorkflows.basic, { args: bad, startAsync: true })).rejects.toThrow();
    expect((await t.query(async (ctx) => workflow.list(ctx))).page).toEqual([]);
  });

  test("args are validated when the workflow runs, with the database: bad ones fail the workflow", async () => {
    const t = initConvexTest();
    const [effectId, attemptId] = await t.run(async (ctx) => [
      await ctx.db.insert("effects", { key: "target" }),
      await ctx.db.insert("attempts", { key: "other", count: 0 }),
    ]);
    // A child workflow's args are only checked when it runs.
    const [good, wrongTable, notAnId] = await t.mutation(async (ctx) => [
      await workflow.start(ctx, internal.testWorkflows.childArgsProbe, { effectId }),
      await workflow.start(ctx, internal.testWorkflows.childArgsProbe, { effectId: attemptId }),
      await workflow.start(ctx, internal.testWorkflows.childArgsProbe, { effectId: "not-an-id" }),
    ]);
    await drain(t);
    expect(await statusOf(t, good)).toEqual({ type: "completed", result: { ok: effectId } });
    for (const id of [wrongTable, notAnId]) {
      const status = await statusOf(t, id);
      expect(status.type).toBe("completed");
      if (status.type !== "completed") throw new Error("unreachable");
      const result = status.result as { ok?: string; error?: string };
      expect(result.ok).toBeUndefined();
      expect(result.error).toMatch(/effectId/);
      // The child itself failed.
      const [childStep] = await stepsOf(t, id);
      expect(childStep.kind).toBe("workflow");
      if (childStep.kind !== "workflow") throw new Error("unreachable");
      expect((await statusOf(t, childStep.nestedWorkflowId)).type).toBe("failed");
    }
  });

  test("a return value that fails `returns` fails the workflow with `Invalid return value:`", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.badReturn, {}));
    await drain(t);
    const status = await statusOf(t, id);
    expect(status.type).toBe("failed");
    if (status.type !== "failed") throw new Error("unreachable");
    expect(status.error.startsWith("Invalid return value:")).toBe(true);
  });

  test("onComplete without context is rejected", async () => {
    const t = initConvexTest();
    const options = { onComplete: internal.testWorkflows.onCompleteRecorder } as unknown as { startAsync: boolean };
    await expect(
      t.mutation(async (ctx) => workflow.start(ctx, internal.testWorkflows.pure, { n: 1 }, options)),
    ).rejects.toThrow(/context/);
    await expect(t.mutation(async (ctx) => start(ctx, internal.testWorkflows.pure, { n: 1 }, options))).rejects.toThrow(
      /context/,
    );
  });
});

describe("onComplete", () => {
  test("success: called exactly once with the result and the context", async () => {
    const t = initConvexTest();
    const context = { n: 1, tags: ["a", "b"] };
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.testWorkflows.basic,
        { key: "oc", name: "Gus" },
        { onComplete: internal.testWorkflows.onCompleteRecorder, context },
      ),
    );
    expect(await completions(t)).toEqual([]);
    await drain(t);
    const done = await completions(t);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ workflowId: id, context, result: { kind: "success", returnValue: "done:Gus" } });
  });

  test("a direct call with an onComplete handle and context round-trips", async () => {
    const t = initConvexTest();
    const id = (await t.mutation(async (ctx) => {
      const handle = await createFunctionHandle(internal.testWorkflows.onCompleteRecorder);
      return await ctx.runMutation(internal.testWorkflows.pure, {
        args: { n: 5 },
        onComplete: handle,
        context: "direct",
      });
    })) as WorkflowId;
    await drain(t);
    const done = await completions(t);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ workflowId: id, context: "direct", result: { kind: "success", returnValue: 10 } });
  });

  test("failure: called exactly once with the failed result", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.testWorkflows.failing,
        { key: "ocf" },
        { onComplete: internal.testWorkflows.onCompleteRecorder, context: "ctx-f" },
      ),
    );
    await drain(t);
    const done = await completions(t);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ workflowId: id, context: "ctx-f", result: { kind: "failed" } });
    expect(done[0].result.error).toContain("boom ocf");
  });

  test("cancel: called exactly once with canceled; the rest of the workflow never runs", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.testWorkflows.waiter,
        { key: "occ", ms: 60_000 },
        { onComplete: internal.testWorkflows.onCompleteRecorder, context: "ctx-c" },
      ),
    );
    await t.mutation(async (ctx) => workflow.cancel(ctx, id));
    expect(await statusOf(t, id)).toEqual({ type: "canceled" });
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "canceled" });
    const done = await completions(t);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ workflowId: id, context: "ctx-c", result: { kind: "canceled" } });
    expect(await effectsOf(t, "occ")).toEqual([]);
  });

  test("a throwing onComplete leaves the workflow's result unchanged and is called once", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.testWorkflows.basic,
        { key: "oct", name: "Hal" },
        { onComplete: internal.testWorkflows.throwingOnComplete, context: 1 },
      ),
    );
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: "done:Hal" });
    expect(await t.query(internal.testWorkflows.throwingOnCompleteCalls, { workflowId: id })).toBe(1);
    // Its own writes were rolled back; the workflow's were not.
    expect(await completions(t)).toEqual([]);
    expect(await effectsOf(t, "oct")).toHaveLength(1);
    expect(logged("error")).toEqual([
      expect.stringMatching(new RegExp(`^onComplete for workflow ${id} threw: Error: [^\n]+$`)),
    ]);
    // The failure is kept for inspection while the workflow exists; cleanup deletes it too.
    const runInComponent = (t as unknown as { runInComponent: RunInComponent }).runInComponent;
    const failures = async () =>
      (await runInComponent("workflow", (ctx) => ctx.db.query("onCompleteFailures").collect())) as {
        workflowId?: string;
        error?: string;
      }[];
    expect(await failures()).toEqual([expect.objectContaining({ workflowId: id, error: expect.any(String) })]);
    expect(await t.mutation((ctx) => workflow.cleanup(ctx, id))).toBe(true);
    await drain(t);
    expect(await failures()).toEqual([]);
  });
});

describe("nested workflows", () => {
  test("runWorkflow returns the child's value; a child's failure throws in the parent and can be caught", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.testWorkflows.parent, { catchFailure: true }),
    );
    await drain(t);
    const status = await statusOf(t, id);
    expect(status.type).toBe("completed");
    if (status.type !== "completed") throw new Error("unreachable");
    const result = status.result as { value: number; caught: string };
    expect(result.value).toBe(40);
    expect(result.caught).toContain("child 5 failed");
    const steps = await stepsOf(t, id);
    expect(steps.map((s) => [s.stepNumber, s.kind, s.name])).toEqual([
      [0, "workflow", "testWorkflows:child"],
      [1, "workflow", "testWorkflows:child"],
    ]);
    expect(steps.map((s) => s.runResult?.kind)).toEqual(["success", "failed"]);
    const children = steps.map((s) => (s.kind === "workflow" ? s.nestedWorkflowId : undefined));
    expect(await statusOf(t, children[0]!)).toEqual({ type: "completed", result: 40 });
    expect((await statusOf(t, children[1]!)).type).toBe("failed");
  });

  test("an uncaught child failure fails the parent", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.testWorkflows.parent,
        { catchFailure: false },
        { onComplete: internal.testWorkflows.onCompleteRecorder, context: "parent" },
      ),
    );
    await drain(t);
    const status = await statusOf(t, id);
    expect(status.type).toBe("failed");
    if (status.type !== "failed") throw new Error("unreachable");
    expect(status.error).toContain("child 5 failed");
    const done = await completions(t);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ workflowId: id, result: { kind: "failed" } });
  });
});

describe("logging", () => {
  const jsonLinesOf = (component: string) => logged().filter((l) => l.includes(`"component":"${component}"`));

  test("with no log level set anywhere, neither the component nor its workpool logs a routine run", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => start(ctx, internal.testWorkflows.quietByDefault, { n: 2 }));
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: 4 });
    expect(jsonLinesOf("workpool")).toEqual([]);
    expect(jsonLinesOf("workflow")).toEqual([]);
  });

  test("a log level in the manager's workpoolOptions reaches the workpool", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) => start(ctx, internal.testWorkflows.reportingWorkpool, { n: 2 }));
    await drain(t);
    expect(await statusOf(t, id)).toEqual({ type: "completed", result: 4 });
    expect(jsonLinesOf("workpool")).toContainEqual(expect.stringContaining(`"event":"report"`));
  });
});
