// One measured run: a fresh embedded backend with both components, one implementation's
// workflows started, every scheduled function drained, everything counted.
import upstreamTest from "@convex-dev/workflow/test";
import { convexTest, type TestConvex } from "convex-test";
import workflowTest from "convex-workflow/test";
import { makeFunctionReference } from "convex/server";
import { vi } from "vitest";
import { modules, schema } from "../convex/setup.testing";
import type { Implementation } from "./implementations";
import { captureLogs, type LogCounts } from "./logs";
import { countComponents, type FnStats, realNow, startCounting, stopCounting, wrapModules } from "./instrument";

export type Case = { kind: "fourStep"; workflows: number } | { kind: "sequential"; steps: number };

export function caseSteps(c: Case): number {
  return c.kind === "fourStep" ? 4 * c.workflows : c.steps;
}
export function caseName(c: Case): string {
  return c.kind === "fourStep" ? `fourStep x${c.workflows}` : `sequential ${c.steps} steps`;
}

export type Totals = {
  /** Every counted function execution (queries, mutations, actions; nested calls included). */
  executions: number;
  queries: number;
  mutations: number;
  actions: number;
  /** Queries/mutations run inside another query/mutation's transaction. */
  nested: number;
  /** Queries/mutations that were their own transaction (not nested). */
  transactions: number;
  scheduled: number;
  documentsRead: number;
  documentsWritten: number;
};

export type RunResult = {
  impl: string;
  case: Case;
  steps: number;
  workflows: number;
  wallMs: number;
  totals: Totals;
  perStep: Totals;
  /** Executions grouped by where the function lives: the app, the workflow component, its workpool. */
  byLayer: Record<string, Totals>;
  byFunction: FnStats[];
  /** From the `_scheduled_functions` tables after the run: target name -> count. */
  scheduledByTarget: Record<string, number>;
  check: { completed: number; expected: number; sideEffects?: number };
  /** Console lines the run printed, by kind (see logs.ts); not printed. */
  logged: LogCounts;
};

const startMany = makeFunctionReference<"mutation">("workload:startMany");
const statuses = makeFunctionReference<"query">("workload:statuses");

const START_CHUNK = 50;

function emptyTotals(): Totals {
  return {
    executions: 0,
    queries: 0,
    mutations: 0,
    actions: 0,
    nested: 0,
    transactions: 0,
    scheduled: 0,
    documentsRead: 0,
    documentsWritten: 0,
  };
}

function add(into: Totals, s: FnStats): void {
  into.executions += s.calls;
  if (s.type === "query") into.queries += s.calls;
  if (s.type === "mutation") into.mutations += s.calls;
  if (s.type === "action") into.actions += s.calls;
  if (s.type !== "action") {
    into.nested += s.nested;
    into.transactions += s.top + s.fromAction;
  }
  into.scheduled += s.scheduled;
  into.documentsRead += s.documentsRead;
  into.documentsWritten += s.documentsWritten;
}

function layerOf(component: string, impl: Implementation): string {
  if (component === "app") return "app";
  if (component === impl.component) return "component";
  if (component.startsWith(`${impl.component}/`)) return "workpool";
  return component;
}

export function newBackend(): { t: TestConvex<typeof schema>; components: string[] } {
  const components = [""];
  const t = convexTest({ schema, modules: wrapModules("", modules), transactionLimits: true } as Parameters<
    typeof convexTest
  >[0] &
    object) as TestConvex<typeof schema>;
  const counted = countComponents(t as unknown as { registerComponent: (p: string, s: any, g: any) => void });
  const register = counted.registerComponent;
  counted.registerComponent = (path, s, g) => {
    components.push(path);
    register(path, s, g);
  };
  workflowTest.register(t, "workflow");
  upstreamTest.register(t as never, "upstream");
  return { t, components };
}

/**
 * How the fake clock moves while scheduled functions run: to the NEXT pending timer each time
 * (BENCH_CLOCK=next, the default), like a real clock that only passes as fast as work needs,
 * or straight past every pending timer (BENCH_CLOCK=all, \`vi.runAllTimers\`), which makes
 * long-running loops (workpool, executors) see minutes pass between two of their iterations.
 */
export const ADVANCE: () => void =
  process.env.BENCH_CLOCK === "all" ? () => vi.runAllTimers() : () => void vi.advanceTimersToNextTimer();

export async function runCase(impl: Implementation, c: Case): Promise<RunResult> {
  vi.useFakeTimers();
  const logs = captureLogs();
  try {
    const { t, components } = newBackend();
    if (impl.setup) await impl.setup(t);
    // What setup scheduled is not part of the measured window.
    const scheduledBefore = await scheduledRows(t, components);
    const workflows = c.kind === "fourStep" ? c.workflows : 1;

    const counters = startCounting();
    const started = realNow();
    const ids: string[] = [];
    for (let first = 0; first < workflows; first += START_CHUNK) {
      const count = Math.min(START_CHUNK, workflows - first);
      ids.push(
        ...((await t.mutation(startMany, {
          impl: impl.id,
          workload: c.kind,
          first,
          count,
          steps: c.kind === "sequential" ? c.steps : undefined,
        })) as string[]),
      );
    }
    await t.finishAllScheduledFunctions(ADVANCE, 1_000_000);
    const wallMs = realNow() - started;
    stopCounting();

    // Outside the measured window: check the run and read the scheduler's own records.
    const status = (await t.query(statuses, { impl: impl.id, ids })) as { type: string; result?: unknown }[];
    const expected = (n: number) => (c.kind === "fourStep" ? 4 * n + 6 : c.steps * (c.steps - 1));
    const completed = status.filter((s, n) => s.type === "completed" && s.result === expected(n)).length;
    let sideEffects: number | undefined;
    if (c.kind === "fourStep") {
      sideEffects = await t.run(async (ctx) => (await ctx.db.query("results").collect()).length);
    }
    const scheduledByTarget = await scheduledRows(t, components, scheduledBefore);

    const byFunction = [...counters.byFn.values()].sort((a, b) => b.calls - a.calls);
    const totals = emptyTotals();
    const byLayer: Record<string, Totals> = {};
    for (const s of byFunction) {
      add(totals, s);
      add((byLayer[layerOf(s.component, impl)] ??= emptyTotals()), s);
    }
    const steps = caseSteps(c);
    const perStep = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / steps])) as Totals;
    return {
      impl: impl.id,
      case: c,
      steps,
      workflows,
      wallMs,
      totals,
      perStep,
      byLayer,
      byFunction,
      scheduledByTarget,
      check: { completed, expected: workflows, sideEffects },
      logged: logs.stop(),
    };
  } finally {
    logs.stop();
    stopCounting();
    vi.useRealTimers();
  }
}

/** Scheduled-function rows per target across the app and every component, minus `before`. */
export async function scheduledRows(
  t: unknown,
  components: string[],
  before: Record<string, number> = {},
): Promise<Record<string, number>> {
  const runInComponent = (t as { runInComponent: (p: string, h: (ctx: any) => Promise<unknown>) => Promise<unknown> })
    .runInComponent;
  const out: Record<string, number> = {};
  for (const path of components) {
    const rows = (await runInComponent(
      path,
      async (ctx) => await ctx.db.system.query("_scheduled_functions").collect(),
    )) as {
      name: string;
    }[];
    for (const row of rows) {
      const key = `${path || "app"}:${row.name}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  for (const [key, n] of Object.entries(before)) {
    out[key] = (out[key] ?? 0) - n;
    if (out[key] === 0) delete out[key];
  }
  return out;
}
