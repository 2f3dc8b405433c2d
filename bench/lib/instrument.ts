// Counting what a run costs, from the outside: nothing here knows how either workflow
// implementation works. Two hooks, both on the embedded backend (convex-test):
//
// 1. Function executions. convex-test loads every function from the `modules` maps given to
//    `convexTest` / `t.registerComponent` and calls the export's `_handler` (for top-level calls,
//    scheduled functions, `ctx.runQuery`/`runMutation`/`runAction` and function handles alike).
//    `wrapModules` wraps each loader so every registered export is replaced by a copy whose
//    `_handler` counts the call, keyed by component path + "module:export".
//
// 2. Documents read / written and functions scheduled. convex-test meters every transaction
//    with `TransactionMetricsTracker` (the class behind `transactionLimits` and
//    `getTransactionMetrics()`): `trackRead` per document a read returns, `trackWrite` per
//    insert/patch/replace/delete, `trackScheduledFunction` per `ctx.scheduler.run*`. We wrap
//    those three prototype methods and attribute each event to the innermost counted function
//    running (an AsyncLocalStorage frame set by the wrapped `_handler`).
//
// Scheduled functions are also cross-checked against the `_scheduled_functions` system table of
// every component after the run (see `scheduledByTarget` in run.ts).
import { AsyncLocalStorage } from "node:async_hooks";
// Deep import of convex-test's metrics class: the same module instance convex-test uses (the
// bench config inlines convex-test, so both resolve to one file in one module graph).
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";

/** The real clock, saved before any test installs fake timers (vitest fakes `performance` too). */
export const realNow: () => number = performance.now.bind(performance);

export type FnType = "query" | "mutation" | "action";

/**
 * How a call started:
 * - `top`: its own transaction (or, for an action, its own execution): called by the test,
 *   run by the scheduler, or (for an action) started by anything but another action;
 * - `fromAction`: a query/mutation/action called by a running action (`ctx.run*` in an action):
 *   still its own transaction;
 * - `nested`: a query/mutation called by a running query/mutation (`ctx.runQuery`/`runMutation`
 *   in a transaction, including calls into components): a sub-transaction, no new transaction.
 */
export type Relation = "top" | "fromAction" | "nested";

export type FnStats = {
  component: string;
  fn: string;
  type: FnType;
  calls: number;
  top: number;
  fromAction: number;
  nested: number;
  documentsRead: number;
  documentsWritten: number;
  scheduled: number;
};

type Frame = { key: string; type: FnType; done: boolean };
const frames = new AsyncLocalStorage<Frame>();
const OUTSIDE = "(outside counted functions)";

/** The innermost counted function running now (component path + "module:export"). */
export function currentFunction(): string {
  return frames.getStore()?.key ?? OUTSIDE;
}

export class Counters {
  readonly byFn = new Map<string, FnStats>();
  documentsRead = 0;
  documentsWritten = 0;
  scheduled = 0;

  stats(key: string, component = "?", fn = key, type: FnType = "mutation"): FnStats {
    let s = this.byFn.get(key);
    if (!s) {
      s = {
        component,
        fn,
        type,
        calls: 0,
        top: 0,
        fromAction: 0,
        nested: 0,
        documentsRead: 0,
        documentsWritten: 0,
        scheduled: 0,
      };
      this.byFn.set(key, s);
    }
    return s;
  }
}

let active: Counters | null = null;

/** Count everything from now until `stopCounting`. */
export function startCounting(): Counters {
  active = new Counters();
  return active;
}
export function stopCounting(): void {
  active = null;
}

// ---- hook 2: the transaction metrics tracker --------------------------------------------------

type TrackerProto = {
  trackRead(size: number): void;
  trackWrite(size: number): void;
  trackScheduledFunction(size: number): void;
  __benchPatched?: boolean;
};
const proto = TransactionMetricsTracker.prototype as unknown as TrackerProto;
if (!proto.__benchPatched) {
  proto.__benchPatched = true;
  const wrap = (
    method: "trackRead" | "trackWrite" | "trackScheduledFunction",
    field: keyof Counters & ("documentsRead" | "documentsWritten" | "scheduled"),
  ) => {
    const original = proto[method];
    proto[method] = function (this: unknown, size: number) {
      if (active) {
        active[field] += 1;
        const key = frames.getStore()?.key ?? OUTSIDE;
        active.stats(key)[field] += 1;
      }
      return original.call(this, size);
    };
  };
  wrap("trackRead", "documentsRead");
  wrap("trackWrite", "documentsWritten");
  wrap("trackScheduledFunction", "scheduled");
}

// ---- hook 1: the registered functions ---------------------------------------------------------

type Registered = ((...args: unknown[]) => unknown) & {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  _handler?: (ctx: unknown, args: unknown) => unknown;
};

function relationTo(type: FnType, parent: Frame | undefined): Relation {
  // A frame that has returned is not a caller: ALS also flows into timers set by a function
  // (e.g. the scheduler), and those run later as their own executions.
  const live = parent && !parent.done ? parent : undefined;
  if (!live) return "top";
  if (live.type === "action") return "fromAction";
  // Transactions cannot call actions; an action seen under a live transaction was scheduled.
  return type === "action" ? "top" : "nested";
}

function wrapFunction(component: string, fn: string, func: Registered): Registered {
  const type: FnType | undefined = func.isQuery
    ? "query"
    : func.isMutation
      ? "mutation"
      : func.isAction
        ? "action"
        : undefined;
  const handler = func._handler;
  if (!type || typeof handler !== "function") return func;
  const key = `${component || "app"}:${fn}`;
  const counted = async (ctx: unknown, args: unknown) => {
    const relation = relationTo(type, frames.getStore());
    if (active) {
      const s = active.stats(key, component || "app", fn, type);
      s.type = type;
      s.component = component || "app";
      s.fn = fn;
      s.calls += 1;
      s[relation] += 1;
    }
    const frame: Frame = { key, type, done: false };
    try {
      return await frames.run(frame, () => handler(ctx, args));
    } finally {
      frame.done = true;
    }
  };
  const copy = function (this: unknown, ...args: unknown[]) {
    return func.apply(this, args);
  } as Registered;
  Object.assign(copy, func, { _handler: counted });
  return copy;
}

type Glob = Record<string, () => Promise<unknown>>;

/**
 * Wrap an `import.meta.glob` map so every registered function it exports is counted.
 * `component` is the component path ("" for the app), as given to `registerComponent`.
 */
export function wrapModules(component: string, glob: Glob): Glob {
  const out: Glob = {};
  for (const [path, load] of Object.entries(glob)) {
    const moduleName = path
      .replace(/^\.\//, "")
      .replace(/\.[^./]+$/, "")
      .replace(/^(.*\/)?component\//, "");
    let cached: Promise<unknown> | undefined;
    out[path] = () =>
      (cached ??= load().then((mod) => {
        const wrapped: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(mod as Record<string, unknown>)) {
          wrapped[name] =
            typeof value === "function" && "_handler" in value
              ? wrapFunction(component, `${moduleName}:${name}`, value as Registered)
              : value;
        }
        return wrapped;
      }));
  }
  return out;
}

/** Make `t.registerComponent` wrap the modules of every component registered through it. */
export function countComponents<T extends { registerComponent: (path: string, schema: any, glob: any) => void }>(
  t: T,
): T {
  const register = t.registerComponent.bind(t);
  t.registerComponent = (path, schema, glob) => register(path, schema, wrapModules(path, glob as Glob));
  return t;
}
