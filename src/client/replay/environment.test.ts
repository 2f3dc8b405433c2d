// The handler's sandbox, piece by piece (the behaviour through a real workflow is in
// example/convex/replay.test.ts).
import { afterEach, describe, expect, test, vi } from "vitest";
import { patchMath as upstreamPatchMath } from "../../../node_modules/@convex-dev/workflow/dist/client/environment.js";
import {
  deterministicDate,
  deterministicMath,
  explainHiddenGlobalError,
  hiddenGlobalHint,
  installEnvironment,
  type ReplayClock,
  replayPerformance,
  underlyingDate,
} from "./environment.js";

const T = Date.UTC(2001, 1, 3, 4, 5, 6);
const clockAt =
  (now: number, latest = false): ReplayClock =>
  () => ({ now, latest });

const UTC: Intl.DateTimeFormatOptions = { timeZone: "UTC", dateStyle: "short", timeStyle: "medium" };

afterEach(() => {
  vi.useRealTimers();
});

/** Run `body` inside an installed environment, restoring it even when an expectation fails. */
function inside<T>(clock: ReplayClock, body: () => T): T {
  const restore = installEnvironment("workflow-id", clock);
  try {
    return body();
  } finally {
    restore();
  }
}

describe("deterministicDate", () => {
  const ReplayDate = deterministicDate(Date, clockAt(T));

  test("now, new Date() and Date() are the clock's time; dates with arguments are untouched", () => {
    expect(ReplayDate.now()).toBe(T);
    expect(new ReplayDate().getTime()).toBe(T);
    expect((ReplayDate as unknown as () => string)()).toBe(new Date(T).toString());
    expect(new ReplayDate(5).getTime()).toBe(5);
    expect(new ReplayDate(2020, 0, 1).getFullYear()).toBe(2020);
    expect(ReplayDate.parse("2001-02-03T04:05:06Z")).toBe(T);
    expect(ReplayDate.UTC(2001, 1, 3, 4, 5, 6)).toBe(T);
    expect(ReplayDate.name).toBe("Date");
    expect(ReplayDate.length).toBe(7);
  });

  test("its dates are real Dates, but its prototype chain does not lead to the real clock", () => {
    expect(new ReplayDate()).toBeInstanceOf(Date);
    expect(new Date(0)).toBeInstanceOf(ReplayDate);
    expect(ReplayDate.prototype).toBe(Date.prototype);
    expect(Object.getPrototypeOf(ReplayDate)).toBe(Function.prototype);
    expect("now" in Object.getPrototypeOf(ReplayDate)).toBe(false);
  });

  test("a subclass gets the clock's time and its own prototype", () => {
    class Stamp extends ReplayDate {
      label() {
        return `at ${this.getTime()}`;
      }
    }
    const stamp = new Stamp();
    expect(stamp).toBeInstanceOf(Stamp);
    expect(stamp.label()).toBe(`at ${T}`);
  });

  test("underlyingDate sees through a subclass of Date (what fake timers install)", () => {
    class FakeDate extends Date {}
    const proxied = new Proxy(FakeDate, {});
    expect(underlyingDate(Date)).toBe(Date);
    expect(underlyingDate(FakeDate as DateConstructor)).toBe(Date);
    expect(underlyingDate(proxied as DateConstructor)).toBe(Date);
    expect(deterministicDate(FakeDate as DateConstructor, clockAt(T)).prototype).toBe(Date.prototype);
  });
});

describe("replayPerformance", () => {
  test("now() is the clock's time since a time origin of 0; marks and measures are refused", () => {
    const performance = replayPerformance(clockAt(T)) as Performance;
    expect(performance.now()).toBe(T);
    expect(performance.timeOrigin).toBe(0);
    expect(performance.toJSON()).toEqual({ timeOrigin: 0 });
    expect(() => performance.mark("x")).toThrow(
      "`performance.mark` is not available inside a workflow handler: it would make replay non-deterministic",
    );
    expect(() => performance.getEntries()).toThrow("`performance.getEntries` is not available");
  });
});

describe("hidden globals", () => {
  test("the TypeError from using one names the likely global and says why", () => {
    expect(hiddenGlobalHint("Cannot read properties of undefined (reading 'randomUUID')")).toBe(
      "If this was `crypto.randomUUID`: `crypto` is undefined inside a workflow handler, because it would make " +
        "replay non-deterministic; call it in an action or mutation step. See docs/determinism.md.",
    );
    expect(hiddenGlobalHint("Cannot read properties of undefined (reading 'env')")).toContain(
      "If this was `process.env`: `process` is undefined inside a workflow handler",
    );
    expect(hiddenGlobalHint("Crypto is not a constructor")).toContain("If this was `Crypto`");
    expect(hiddenGlobalHint("Cannot read properties of undefined (reading 'name')")).toBeUndefined();
    expect(hiddenGlobalHint("Cannot read properties of null (reading 'env')")).toBeUndefined();
  });

  test("explainHiddenGlobalError amends only such TypeErrors", () => {
    const typeError = new TypeError("Cannot read properties of undefined (reading 'getRandomValues')");
    explainHiddenGlobalError(typeError);
    expect(typeError.message).toMatch(/^Cannot read .*\. If this was `crypto\.getRandomValues`: /);
    const other = new Error("Cannot read properties of undefined (reading 'env')");
    explainHiddenGlobalError(other);
    expect(other.message).toBe("Cannot read properties of undefined (reading 'env')");
    explainHiddenGlobalError("not an error");
  });
});

describe("installEnvironment", () => {
  /** Every property the sandbox touches, as descriptors, to compare before and after. */
  function snapshot() {
    const g = globalThis as Record<string, unknown>;
    const keys = ["Math", "Date", "console", "performance", "Intl", "process", "crypto", "Crypto", "Temporal"];
    const dtf = Intl.DateTimeFormat.prototype;
    return {
      globals: keys.map((k) => [k, k in g, Object.getOwnPropertyDescriptor(g, k)]),
      dateConstructor: Object.getOwnPropertyDescriptor(Date.prototype, "constructor"),
      format: Object.getOwnPropertyDescriptor(dtf, "format"),
      formatToParts: Object.getOwnPropertyDescriptor(dtf, "formatToParts"),
    };
  }

  test("inside: every route to the clock reads the replay clock; crypto is undefined to typeof", () => {
    const before = snapshot();
    const seen = inside(clockAt(T), () => ({
      constructorIsDate: new Date().constructor === Date,
      viaConstructor: new (new Date().constructor as DateConstructor)().getTime(),
      viaPrototype: new (Date.prototype.constructor as DateConstructor)().getTime(),
      parentNow: (Object.getPrototypeOf(Date) as { now?: unknown }).now,
      performance: performance.now(),
      format: new Intl.DateTimeFormat("en-US", UTC).format(),
      formatSame: (() => {
        const f = new Intl.DateTimeFormat("en-US", UTC);
        return f.format === f.format;
      })(),
      formatToParts: new Intl.DateTimeFormat("en-US", UTC)
        .formatToParts()
        .map((p) => p.value)
        .join(""),
      explicit: new Intl.DateTimeFormat("en-US", UTC).format(0),
      typeofCrypto: typeof crypto,
      typeofProcess: typeof process,
    }));
    const format = (ms: number) => new Intl.DateTimeFormat("en-US", UTC).format(ms);
    expect(seen).toEqual({
      constructorIsDate: true,
      viaConstructor: T,
      viaPrototype: T,
      parentNow: undefined,
      performance: T,
      format: format(T),
      formatSame: true,
      formatToParts: new Intl.DateTimeFormat("en-US", UTC)
        .formatToParts(T)
        .map((p) => p.value)
        .join(""),
      explicit: format(0),
      typeofCrypto: "undefined",
      typeofProcess: "undefined",
    });
    expect(snapshot()).toEqual(before);
  });

  test("a global Intl that wraps the native one (fake timers) is replaced by the native formatter", () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const before = snapshot();
    const wrapped = Intl;
    const format = inside(clockAt(T), () => new Intl.DateTimeFormat("en-US", UTC).format());
    expect(format).toBe(new Intl.DateTimeFormat("en-US", UTC).format(T));
    expect(Intl).toBe(wrapped);
    expect(snapshot()).toEqual(before);
  });

  test("Temporal.Now, where the runtime has it, is refused and put back", () => {
    const g = globalThis as Record<string, unknown>;
    const instant = () => "real now";
    g.Temporal = { Now: { instant } };
    try {
      const thrown = inside(clockAt(T), () => {
        try {
          (g.Temporal as { Now: { instant: () => unknown } }).Now.instant();
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      });
      expect(thrown).toMatch(/^`Temporal\.Now\.instant` is not available inside a workflow handler/);
      expect((g.Temporal as { Now: { instant: unknown } }).Now.instant).toBe(instant);
    } finally {
      delete g.Temporal;
    }
  });

  test("restores exactly after a throw inside, and nested installs unwind in order", () => {
    const before = snapshot();
    expect(() =>
      inside(clockAt(T), () => {
        inside(clockAt(T + 1000), () => {
          expect(Date.now()).toBe(T + 1000);
          expect(new Intl.DateTimeFormat("en-US", UTC).format()).toBe(
            new Intl.DateTimeFormat("en-US", UTC).format(T + 1000),
          );
        });
        expect(Date.now()).toBe(T);
        expect(new Date().constructor).toBe(Date);
        throw new Error("handler threw");
      }),
    ).toThrow("handler threw");
    expect(snapshot()).toEqual(before);
    expect(new Date().constructor).toBe(Date);
  });
});

describe("Math.random", () => {
  test("the same sequence as @convex-dev/workflow 0.4.8 for the same workflow id", () => {
    // A workflow that moves between the packages replays the values it recorded.
    for (const id of ["", "jd7abc123", "k57f0v4x3tp0wq0t8b1r5x4q7x7ab2cd", "ünïcødé-✓"]) {
      const ours = deterministicMath(Math, id);
      const upstream = upstreamPatchMath(Math, id);
      const a = Array.from({ length: 50 }, () => ours.random());
      const b = Array.from({ length: 50 }, () => upstream.random());
      expect(a).toEqual(b);
      expect(new Set(a).size).toBe(50);
      expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    }
  });
});
