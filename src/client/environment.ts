// The deterministic environment a workflow handler runs in. Every poll replays the
// handler from the top, so anything it reads must come out the same on every replay:
// Math.random is a PRNG seeded by the workflow id, Date reads the time recorded in the
// journal, console is silent while replaying, and sources of entropy are removed.
// `install` returns a function that restores the globals exactly as they were.

/** The time the handler is "at" and whether it is past the end of the journal. */
export type ReplayClock = () => { now: number; latest: boolean };

const REMOVED_GLOBALS = ["process", "crypto", "Crypto", "CryptoKey", "SubtleCrypto"] as const;

/** FNV-1a: a 32-bit seed from the workflow id. */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast, good enough for workflow code that wants "random" choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `math` whose `random` is the seeded sequence. */
export function deterministicMath(math: Math, seed: string): Math {
  const copy = Object.create(Object.getPrototypeOf(math)) as Math;
  for (const key of Object.getOwnPropertyNames(math)) {
    const descriptor = Object.getOwnPropertyDescriptor(math, key)!;
    Object.defineProperty(copy, key, descriptor);
  }
  Object.defineProperty(copy, "random", { value: seededRandom(seedFromString(seed)), writable: true, configurable: true });
  return copy;
}

/** A Date whose "now" (Date.now(), new Date(), Date()) is the replay clock's time. */
export function deterministicDate(RealDate: DateConstructor, clock: ReplayClock): DateConstructor {
  function ReplayDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(clock().now).toString();
    if (args.length === 0) return new RealDate(clock().now);
    return new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
  }
  Object.setPrototypeOf(ReplayDate, RealDate);
  ReplayDate.prototype = RealDate.prototype;
  Object.defineProperty(ReplayDate, "now", { value: () => clock().now, writable: true, configurable: true });
  return ReplayDate as unknown as DateConstructor;
}

const OUTPUT_METHODS = new Set([
  "assert", "debug", "dir", "dirxml", "error", "info", "log", "table", "trace", "warn",
  "group", "groupCollapsed", "groupEnd", "profile", "profileEnd", "timeStamp", "clear",
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
 * Patch the globals for one run of a handler. The returned function restores every
 * global exactly as it was.
 *
 * Globals are replaced by assignment wherever they can be assigned: test runtimes such as
 * convex-test install accessors that keep an assignment local to the running function,
 * which redefining the property would bypass. Read-only globals (Convex's getter-only
 * `crypto`, its read-only constructors) are redefined and their descriptors put back.
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
      global[key] = value;
      undo.push(() => {
        if (had || descriptor) global[key] = previous;
        else delete global[key];
      });
    } else if (descriptor.configurable) {
      Object.defineProperty(global, key, { value, writable: true, configurable: true, enumerable: descriptor.enumerable });
      undo.push(() => Object.defineProperty(global, key, descriptor));
    }
    // A non-configurable, read-only global cannot be replaced; it is left as it is.
  };
  const RealMath = Math;
  const RealDate = Date;
  const realConsole = console;
  replace("Math", deterministicMath(RealMath, workflowId));
  replace("Date", deterministicDate(RealDate, clock));
  replace("console", replayConsole(realConsole, clock));
  for (const key of REMOVED_GLOBALS) {
    if (key in global) replace(key, undefined);
  }
  return () => {
    for (const step of undo.reverse()) step();
  };
}
