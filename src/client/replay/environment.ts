// The deterministic environment a workflow handler runs in. Every replay runs the
// handler from the top, so anything it reads must come out the same on every replay:
// Math.random is a PRNG seeded by the workflow id; every clock the handler can reach
// (Date in all its forms, performance, Intl date formatting without a date) reads the
// time recorded in the journal; console is silent while replaying; sources of entropy
// are removed. `installEnvironment` returns a function that restores everything exactly.
import { stringHash31 } from "../../shared/hash.js";

/** The time the handler is "at" and whether it is past the end of the journal. */
export type ReplayClock = () => { now: number; latest: boolean };

/**
 * Globals that are `undefined` inside a handler (as in 0.4.8), with the members a handler
 * is most likely to reach for. They stay `undefined` rather than becoming throwing getters
 * or Proxies so that `typeof crypto === "undefined"` feature checks keep working; the
 * TypeError a use causes is explained afterwards by `explainHiddenGlobalError`.
 */
export const HIDDEN_GLOBALS = {
  process: ["env", "argv", "nextTick", "hrtime", "cwd", "platform", "version", "versions", "exit", "pid", "uptime"],
  crypto: ["randomUUID", "getRandomValues", "subtle"],
  Crypto: [],
  CryptoKey: [],
  SubtleCrypto: [],
} as const satisfies Record<string, readonly string[]>;

/** Why something is refused inside a handler, and where to do it instead. */
export function unavailableMessage(name: string, instead = "call it in an action or mutation step"): string {
  return (
    `\`${name}\` is not available inside a workflow handler: it would make replay non-deterministic; ${instead}. ` +
    "See docs/determinism.md."
  );
}

/**
 * A 32-bit seed from the workflow id: the classic `hash * 31 + char` string hash, as
 * @convex-dev/workflow 0.4.8 computes it, so `Math.random()` gives a handler the same
 * sequence for the same workflow id under either package.
 */
export const seedFromString = stringHash31;

/**
 * A small, fast PRNG (a golden-ratio counter through two multiply-xorshift rounds); the same
 * sequence as 0.4.8's for the same seed. Good enough for workflow code that wants "random"
 * choices; not for secrets.
 */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let t = Math.imul(state ^ (state >>> 16), 0x21f0aaad);
    t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
    return ((t ^ (t >>> 15)) >>> 0) / 4294967296;
  };
}

/** A copy of `math` whose `random` is the seeded sequence. */
export function deterministicMath(math: Math, seed: string): Math {
  const copy = Object.create(Object.getPrototypeOf(math)) as Math;
  for (const key of Object.getOwnPropertyNames(math)) {
    const descriptor = Object.getOwnPropertyDescriptor(math, key)!;
    Object.defineProperty(copy, key, descriptor);
  }
  Object.defineProperty(copy, "random", {
    value: seededRandom(seedFromString(seed)),
    writable: true,
    configurable: true,
  });
  return copy;
}

/**
 * The Date that `date` wraps, if it is a subclass (fake timers install `class extends Date`,
 * whose instances carry their own `constructor` pointing at the native Date): follow
 * `Object.getPrototypeOf` while it leads to another Date constructor.
 */
export function underlyingDate(date: DateConstructor): DateConstructor {
  let current = date;
  for (;;) {
    const parent: unknown = Object.getPrototypeOf(current);
    if (typeof parent !== "function" || parent === Function.prototype) return current;
    const prototype = (parent as { prototype?: unknown }).prototype;
    if (
      typeof prototype !== "object" ||
      prototype === null ||
      !Object.prototype.isPrototypeOf.call(prototype, current.prototype)
    ) {
      return current;
    }
    current = parent as DateConstructor;
  }
}

/**
 * A Date whose "now" (Date.now(), new Date(), Date()) is the replay clock's time.
 *
 * Its dates are plain Dates of the underlying Date (it shares its prototype), but it does
 * not inherit from it: `Object.getPrototypeOf(Date)` must not hand the handler the real
 * clock. The other way back, `Date.prototype.constructor`, is redirected by
 * `installEnvironment`.
 */
export function deterministicDate(RealDate: DateConstructor, clock: ReplayClock): DateConstructor {
  const NativeDate = underlyingDate(RealDate);
  function ReplayDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new NativeDate(clock().now).toString();
    // Reflect.construct keeps `new.target`, so `class D extends Date` gets D's prototype.
    return Reflect.construct(NativeDate, args.length === 0 ? [clock().now] : args, new.target);
  }
  Object.defineProperty(ReplayDate, "name", { value: "Date", configurable: true });
  Object.defineProperty(ReplayDate, "length", { value: NativeDate.length, configurable: true });
  Object.defineProperty(ReplayDate, "prototype", { value: NativeDate.prototype, writable: false });
  for (const key of ["parse", "UTC"] as const) {
    Object.defineProperty(ReplayDate, key, { ...Object.getOwnPropertyDescriptor(NativeDate, key), configurable: true });
  }
  Object.defineProperty(ReplayDate, "now", {
    value: function now() {
      return clock().now;
    },
    writable: true,
    configurable: true,
  });
  return ReplayDate as unknown as DateConstructor;
}

const PERFORMANCE_REFUSED = [
  "mark",
  "measure",
  "getEntries",
  "getEntriesByName",
  "getEntriesByType",
  "clearMarks",
  "clearMeasures",
] as const;

/**
 * `performance` on the replay clock: `now()` is the journal time in milliseconds since
 * `timeOrigin`, which is 0 (the real time origin differs from replay to replay). Marks and
 * measures carry real timestamps, so they are refused.
 */
export function replayPerformance(clock: ReplayClock): Pick<Performance, "now" | "timeOrigin" | "toJSON"> {
  const timeOrigin = 0;
  const replay: Record<string, unknown> = {
    now: () => clock().now - timeOrigin,
    timeOrigin,
    toJSON: () => ({ timeOrigin }),
  };
  for (const name of PERFORMANCE_REFUSED) {
    replay[name] = () => {
      throw new Error(
        unavailableMessage(
          `performance.${name}`,
          "measure with performance.now() or Date.now() (both read the journal's clock), or in an action",
        ),
      );
    };
  }
  return Object.freeze(replay) as unknown as Pick<Performance, "now" | "timeOrigin" | "toJSON">;
}

const OUTPUT_METHODS = new Set([
  "assert",
  "debug",
  "dir",
  "dirxml",
  "error",
  "info",
  "log",
  "table",
  "trace",
  "warn",
  "group",
  "groupCollapsed",
  "groupEnd",
  "profile",
  "profileEnd",
  "timeStamp",
  "clear",
]);

/** console that prints only past the end of the journal, with time/count on the replay clock. */
export function replayConsole(real: Console, clock: ReplayClock): Console {
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  const silent = () => {};
  return new Proxy(real, {
    get(target, prop) {
      const { latest, now } = clock();
      switch (prop) {
        case "count":
          return (label = "default") => {
            const n = (counts.get(label) ?? 0) + 1;
            counts.set(label, n);
            if (latest) target.info(`${label}: ${n}`);
          };
        case "countReset":
          return (label = "default") => counts.set(label, 0);
        case "time":
          return (label = "default") => timers.set(label, now);
        case "timeLog":
        case "timeEnd":
          return (label = "default", ...data: unknown[]) => {
            const start = timers.get(label);
            if (prop === "timeEnd") timers.delete(label);
            if (!latest) return;
            if (start === undefined) target.warn(`Timer "${label}" does not exist`);
            else target.info(`${label}: ${now - start}ms`, ...data);
          };
      }
      if (typeof prop === "string" && OUTPUT_METHODS.has(prop) && !latest) return silent;
      return Reflect.get(target, prop) as unknown;
    },
  });
}

/**
 * If `error` is the TypeError a handler gets from using a hidden global (`crypto.randomUUID()`
 * reads a property of `undefined`), add to its message what happened and what to do.
 * The JS engine's own message cannot name the global; this names the likely one.
 */
export function explainHiddenGlobalError(error: unknown): void {
  if (!(error instanceof TypeError)) return;
  const hint = hiddenGlobalHint(error.message);
  try {
    if (hint) error.message = `${error.message}. ${hint}`;
  } catch {
    // A frozen error keeps its message.
  }
}

/** The explanation for a TypeError message caused by a hidden global, if it looks like one. */
export function hiddenGlobalHint(message: string): string | undefined {
  const read = /^Cannot read propert(?:y|ies) of undefined \(reading '([^']+)'\)$/.exec(message)?.[1];
  for (const [name, members] of Object.entries(HIDDEN_GLOBALS) as Array<[string, readonly string[]]>) {
    const used = read !== undefined && members.includes(read);
    if (used || message === `${name} is not a constructor`) {
      const what = used ? `${name}.${read}` : name;
      const instead =
        name === "process" ? "read it in an action or mutation step" : "call it in an action or mutation step";
      return `If this was \`${what}\`: \`${name}\` is undefined inside a workflow handler, because it would make replay non-deterministic; ${instead}. See docs/determinism.md.`;
    }
  }
  return undefined;
}

/**
 * Patch the globals for one run of a handler. The returned function restores every
 * global and every patched property exactly as it was.
 *
 * Globals are replaced by assignment wherever they can be assigned: test runtimes such as
 * convex-test install accessors that keep an assignment local to the running function,
 * which redefining the property would bypass. Read-only globals (Convex's getter-only
 * `crypto`, its read-only constructors) are redefined and their descriptors put back.
 * Properties of shared objects (`Date.prototype.constructor`, Intl's `format`) are
 * redefined for the run and their descriptors put back.
 */
export function installEnvironment(workflowId: string, clock: ReplayClock): () => void {
  const global = globalThis as Record<string, unknown>;
  const undo: Array<() => void> = [];
  const replace = (key: string, value: unknown) => {
    const descriptor = Object.getOwnPropertyDescriptor(global, key);
    const assignable = !descriptor || descriptor.set !== undefined || descriptor.writable === true;
    if (assignable) {
      const had = key in global;
      const previous = global[key];
      try {
        global[key] = value;
        undo.push(() => {
          if (had || descriptor) global[key] = previous;
          else delete global[key];
        });
        return;
      } catch (error) {
        // A setter that refuses outside a function (convex-test's global proxies, when
        // `replayJournal` runs in a test): redefined below instead, if it can be.
        if (!descriptor?.configurable) throw error;
      }
    }
    if (descriptor?.configurable) {
      Object.defineProperty(global, key, {
        value,
        writable: true,
        configurable: true,
        enumerable: descriptor.enumerable,
      });
      undo.push(() => Object.defineProperty(global, key, descriptor));
    }
    // A non-configurable, read-only global cannot be replaced; it is left as it is.
  };
  const patch = (target: object, key: PropertyKey, patched: PropertyDescriptor) => {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (!descriptor?.configurable) return; // frozen: nothing we can (or need to) undo
    Object.defineProperty(target, key, { ...patched, enumerable: descriptor.enumerable, configurable: true });
    undo.push(() => Object.defineProperty(target, key, descriptor));
  };
  try {
    const RealMath = Math;
    const RealDate = Date;
    const realConsole = console;
    const ReplayDate = deterministicDate(RealDate, clock);
    replace("Math", deterministicMath(RealMath, workflowId));
    replace("Date", ReplayDate);
    // `new Date().constructor` and `Date.prototype.constructor` lead to the sandboxed Date.
    patch(ReplayDate.prototype, "constructor", { value: ReplayDate, writable: true });
    replace("console", replayConsole(realConsole, clock));
    if ("performance" in global) replace("performance", replayPerformance(clock));
    patchIntl(replace, patch, clock);
    patchTemporal(patch);
    for (const key of Object.keys(HIDDEN_GLOBALS)) {
      if (key in global) replace(key, undefined);
    }
  } catch (error) {
    for (const step of undo.reverse()) step();
    throw error;
  }
  return () => {
    for (const step of undo.reverse()) step();
  };
}

type Patch = (target: object, key: PropertyKey, patched: PropertyDescriptor) => void;

/**
 * `Intl.DateTimeFormat`'s `format()` and `formatToParts()` without a date format "now":
 * on the replay clock instead. Patched on the native prototype, which every route to the
 * formatter (a subclass, `Object.getPrototypeOf`) reaches. A global `Intl` that wraps the
 * native one (fake timers install one whose formatters read their own clock) is replaced,
 * for the run, by a copy whose `DateTimeFormat` is the native one.
 */
function patchIntl(replace: (key: string, value: unknown) => void, patch: Patch, clock: ReplayClock) {
  const intl = (globalThis as { Intl?: typeof Intl }).Intl;
  let prototype: object | null = intl?.DateTimeFormat?.prototype ?? null;
  while (prototype && !Object.getOwnPropertyDescriptor(prototype, "format")?.get) {
    prototype = Object.getPrototypeOf(prototype) as object | null;
  }
  if (!intl || !prototype) return;
  const native = prototype as Intl.DateTimeFormat;
  if (native !== intl.DateTimeFormat.prototype && typeof native.constructor === "function") {
    const copy = Object.create(Object.getPrototypeOf(intl) as object) as Record<PropertyKey, unknown>;
    for (const key of Reflect.ownKeys(intl)) {
      Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(intl, key)!);
    }
    Object.defineProperty(copy, "DateTimeFormat", { value: native.constructor, writable: true, configurable: true });
    replace("Intl", copy);
  }
  const realFormat = (Object.getOwnPropertyDescriptor(native, "format") as { get: unknown }).get as (
    this: Intl.DateTimeFormat,
  ) => (date?: Date | number) => string;
  const bound = new WeakMap<object, (date?: Date | number) => string>();
  patch(native, "format", {
    get(this: Intl.DateTimeFormat) {
      let format = bound.get(this);
      if (!format) {
        const real = realFormat.call(this);
        format = (date?: Date | number) => real(date === undefined ? clock().now : date);
        bound.set(this, format);
      }
      return format;
    },
  });
  const realFormatToParts: unknown = Object.getOwnPropertyDescriptor(native, "formatToParts")?.value;
  if (typeof realFormatToParts === "function") {
    patch(native, "formatToParts", {
      value: function formatToParts(this: Intl.DateTimeFormat, date?: Date | number) {
        return realFormatToParts.call(this, date === undefined ? clock().now : date);
      },
      writable: true,
    });
  }
}

/** `Temporal.Now` (where the runtime has it) reads the real clock: refused. */
function patchTemporal(patch: Patch) {
  const now = (globalThis as { Temporal?: { Now?: Record<string, unknown> } }).Temporal?.Now;
  if (!now) return;
  for (const key of Object.getOwnPropertyNames(now)) {
    if (typeof now[key] !== "function") continue;
    patch(now, key, {
      value: () => {
        throw new Error(unavailableMessage(`Temporal.Now.${key}`, "use Date.now(), which reads the journal's clock"));
      },
      writable: true,
    });
  }
}
