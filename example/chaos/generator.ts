// The seeded generator of chaos runs: workflow programs (interpreted by
// example/convex/chaosWorkflows.ts), the faults their step functions will meet, executor
// deaths, and the outside interference the runner applies at seeded points. Pure: the
// same seed always gives the same plan.
import type { Leaf, Op, Program } from "../convex/chaosWorkflows.js";

export type Mode = "standard" | "executor";

/** mulberry32. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T extends string>(weights: Record<T, number>): T {
    const entries = Object.entries(weights) as [T, number][];
    let r = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) {
      if ((r -= w) < 0) return k;
    }
    return entries[entries.length - 1][0];
  }
}

/** Where a workflow sits: a root index, then the keys of child ops down to it. */
export type WorkflowPath = { root: number; children: string[] };
export const pathTag = (rootTags: string[], p: WorkflowPath) => [rootTags[p.root], ...p.children].join("/");

/** How an awaited event gets sent by the runner (besides the end-game sweep for untimed awaits). */
export type SendPlan = {
  path: WorkflowPath;
  name: string;
  /** Phase to send at (sends to a child wait until the child exists). */
  at: number;
  /** Send `{ error }` instead of a value. */
  error: boolean;
  /** Send again by the returned id (must be rejected), or again by name (a late, buffered send). */
  duplicate: "none" | "byId" | "byName";
};

/**
 * How the runner calls a webhook op's URL (over HTTP, like the outside world). "early": as
 * soon as the URL is in the journal, usually before the await; "twice": two concurrent calls
 * at phase `at` (one 200 and one 409, or both refused); "late": once the await has timed out
 * (expect 410); "never": the await times out. An untimed await still waiting at the end is
 * called once by the end game.
 */
export type WebhookPlan = {
  path: WorkflowPath;
  key: string;
  when: "early" | "twice" | "late" | "never";
  at: number;
};

export type Interference =
  | { kind: "cancel"; root: number; at: number }
  | {
      kind: "restart";
      root: number;
      at: number | "afterFinish";
      from: "none" | "number" | "name" | "last";
      startAsync: boolean;
    }
  | { kind: "staleReplay"; root: number; at: number }
  | { kind: "redeliverReplay"; root: number; at: number }
  | { kind: "cleanupEarly"; root: number; at: number }
  /** Pause a root (a no-op or a clear refusal unless it is running), and resume it later. */
  | { kind: "pause"; root: number; at: number }
  | { kind: "resume"; root: number; at: number }
  | { kind: "flag"; tag: string; at: number }
  /** Executor mode: start executors again (new epoch) mid-run. */
  | { kind: "startExecutors"; at: number };

export type RootPlan = {
  tag: string;
  program: Program;
  startAt: number;
  startAsync: boolean;
  /** null: no onComplete. Otherwise the 1-based invocations that throw. */
  onComplete: null | { throwOn: number[] };
  /**
   * Flow control: started as a workflow with a concurrency `limit` per `gate`, and with an
   * `idempotencyKey` (then started twice: both starts must return one id).
   */
  flow?: { limit: 1 | 2; gate: string; idempotencyKey?: string };
};

export type Plan = {
  seed: number;
  mode: Mode;
  roots: RootPlan[];
  /** Planned faults: key "<tag>/<op key>" → failTimes (queries and mutations: always fail). */
  faults: Array<{ key: string; failTimes: number }>;
  sends: SendPlan[];
  webhooks: WebhookPlan[];
  interference: Interference[];
  /** Fake milliseconds to let pass after each phase (0: only what is due now). */
  phaseMs: number[];
  /** Executor mode: call startExecutors before the first start (else executors start on demand). */
  startExecutorsFirst: boolean;
  /** Executor mode: the n-th beforeClaim / beforeFlush call throws. */
  killClaimAt: number[];
  killFlushAt: number[];
  /**
   * Executor mode: the n-th group of mutation steps fails its transaction (at most two, so no
   * step reaches the three failed attempts that would record it as failed).
   */
  failMutationGroupAt: number[];
};

export type Limits = { maxRoots: number; maxOps: number; maxDepth: number; phases: number };
export const DEFAULT_LIMITS: Limits = { maxRoots: 3, maxOps: 5, maxDepth: 2, phases: 8 };

type Gen = {
  rng: Rng;
  mode: Mode;
  faults: Plan["faults"];
  sends: SendPlan[];
  webhooks: WebhookPlan[];
  flags: Interference[];
  phases: number;
  counter: { n: number };
  limits: Limits;
};

function genLeaf(g: Gen, tag: string, path: WorkflowPath, depth: number, inParallel: boolean): Leaf {
  const { rng } = g;
  const kind = rng.weighted({
    query: 3,
    mutation: 5,
    action: 4,
    sleep: 2,
    child: depth < g.limits.maxDepth ? (inParallel ? 1 : 2) : 0,
    event: 3,
    wait: 1.5,
  });
  const k = `${kind[0]}${g.counter.n++}`; // unique within the run: q3, m4, a5, s6, c7, e8, w9
  const full = `${tag}/${k}`;
  const caught = rng.chance(0.6);
  switch (kind) {
    case "query":
    case "mutation": {
      if (rng.chance(0.2)) g.faults.push({ key: full, failTimes: 1 });
      return { t: kind, key: k, inline: rng.chance(0.25) || undefined, catch: caught };
    }
    case "action": {
      const retry = rng.chance(0.6);
      const failTimes = rng.weighted({ 0: 5, 1: 3, 2: 2, 3: 1, 9: 1 });
      if (failTimes !== "0") g.faults.push({ key: full, failTimes: Number(failTimes) });
      return {
        t: "action",
        key: k,
        retry,
        registered: g.mode === "executor" ? rng.chance(0.75) : rng.chance(0.3),
        catch: caught,
      };
    }
    case "sleep":
      return { t: "sleep", key: k, ms: rng.pick([0, 50, 500, 3_000, 20_000]), catch: caught };
    case "child": {
      const childPath = { root: path.root, children: [...path.children, k] };
      return { t: "child", key: k, program: genProgram(g, full, childPath, depth + 1), catch: caught };
    }
    case "event": {
      const timeout = rng.chance(0.5) ? rng.pick([100, 1_000, 5_000, 60_000]) : undefined;
      const how = rng.weighted({ early: 3, later: 4, never: timeout === undefined ? 0 : 2 });
      if (how !== "never") {
        g.sends.push({
          path,
          name: k,
          at: how === "early" ? -1 : rng.int(0, g.phases - 1),
          error: rng.chance(0.15),
          duplicate: rng.weighted({ none: 5, byId: 2, byName: 1 }),
        });
      }
      return { t: "event", key: k, timeout, catch: caught };
    }
    case "wait": {
      const timeout = rng.chance(0.5) ? rng.pick([1_000, 10_000]) : undefined;
      if (rng.chance(0.7)) g.flags.push({ kind: "flag", tag: full, at: rng.int(0, g.phases - 1) });
      return { t: "wait", key: k, timeout, catch: caught };
    }
  }
}

/** A query step returning hundreds of KiB (a few per workflow: the journal holds 8 MiB). */
function genBigLeaf(g: Gen): Leaf {
  return {
    t: "big",
    key: `b${g.counter.n++}`,
    bytes: g.rng.pick([100 << 10, 250 << 10, 400 << 10]),
    catch: g.rng.chance(0.5),
  };
}

/**
 * A chain of nested workflows `levels` deep: each level runs its child (often with hundreds of
 * KiB of arguments) beside a leaf (an event, sleep, step...), sometimes a large-result step
 * before it, and sometimes a leaf after.
 */
function genChain(g: Gen, tag: string, path: WorkflowPath, levels: number): Program {
  const { rng } = g;
  const leafOnly = g.limits.maxDepth; // genLeaf draws no child at this depth
  if (levels === 0) return genProgram(g, tag, path, leafOnly);
  const k = `c${g.counter.n++}`;
  const childPath = { root: path.root, children: [...path.children, k] };
  const child: Extract<Leaf, { t: "child" }> = {
    t: "child",
    key: k,
    program: genChain(g, `${tag}/${k}`, childPath, levels - 1),
    catch: rng.chance(0.5),
  };
  // Large arguments: the child's step stays in flight with them while the child runs.
  if (rng.chance(0.6)) child.pad = rng.pick([200 << 10, 400 << 10, 600 << 10]);
  const ops: Op[] = [];
  if (rng.chance(0.3)) ops.push(genBigLeaf(g));
  ops.push({ t: "parallel", ops: [child, genLeaf(g, tag, path, leafOnly, true)] });
  if (rng.chance(0.4)) ops.push(genLeaf(g, tag, path, leafOnly, false));
  return { ops };
}

/**
 * Extra roots, drawn from their own generator after everything else (so the rest of every
 * seed's plan is what it was before they were added): a deep tree (5 to 7 levels) that is
 * usually canceled mid-run, a wide one (10 children with large arguments at once), and a
 * workflow with several large-result steps, sometimes canceled.
 */
function genExtraRoots(g: Gen, seed: number, roots: RootPlan[], interference: Interference[]): void {
  const { rng, phases } = g;
  const add = (program: Program, cancelChance: number) => {
    const r = roots.length;
    const tag = `${g.mode[0]}${seed}w${r}`;
    const startAt = rng.int(0, Math.floor(phases / 2));
    roots.push({
      tag,
      program,
      startAt,
      startAsync: rng.chance(0.3),
      onComplete: rng.chance(0.8) ? { throwOn: [] } : null,
    });
    if (rng.chance(cancelChance)) interference.push({ kind: "cancel", root: r, at: rng.int(startAt, phases - 1) });
    if (rng.chance(0.2)) interference.push({ kind: "cleanupEarly", root: r, at: rng.int(startAt, phases - 1) });
  };
  if (rng.chance(0.4)) {
    const r = roots.length;
    add(genChain(g, `${g.mode[0]}${seed}w${r}`, { root: r, children: [] }, rng.int(5, 7)), 0.75);
  }
  if (rng.chance(0.35)) {
    // Wide: 10 nested workflows at once, each with 150 KiB of arguments: more in flight than
    // one transaction's stop budget, so a cancel continues in scheduled batches.
    const r = roots.length;
    const tag = `${g.mode[0]}${seed}w${r}`;
    const children: Leaf[] = Array.from({ length: 10 }, () => {
      const k = `c${g.counter.n++}`;
      const path = { root: r, children: [k] };
      // Each first awaits an event nobody sends before the end game, so all are in flight.
      const wait: Leaf = { t: "event", key: `e${g.counter.n++}`, catch: rng.chance(0.5) };
      const rest = genProgram(g, `${tag}/${k}`, path, g.limits.maxDepth).ops;
      return { t: "child", key: k, program: { ops: [wait, ...rest] }, catch: rng.chance(0.5), pad: 150 << 10 };
    });
    add({ ops: [{ t: "parallel", ops: children }] }, 0.8);
  }
  if (rng.chance(0.3)) {
    const r = roots.length;
    const tag = `${g.mode[0]}${seed}w${r}`;
    const ops: Op[] = [];
    for (let i = rng.int(2, 4); i > 0; i--) {
      ops.push(
        rng.chance(0.3)
          ? { t: "parallel", ops: [genBigLeaf(g), genLeaf(g, tag, { root: r, children: [] }, g.limits.maxDepth, true)] }
          : genBigLeaf(g),
      );
    }
    add({ ops }, 0.4);
  }
}

/** A webhook op and how the runner will call it. */
function genWebhookLeaf(g: Gen, path: WorkflowPath): Leaf {
  const { rng } = g;
  const timeout = rng.chance(0.6) ? rng.pick([1_000, 5_000, 60_000]) : undefined;
  const key = `h${g.counter.n++}`;
  const when = rng.weighted({
    early: 3,
    twice: 3,
    late: timeout === undefined ? 0 : 2,
    never: timeout === undefined ? 0 : 2,
  });
  g.webhooks.push({ path, key, when, at: rng.int(0, g.phases - 1) });
  return { t: "webhook", key, timeout, gapMs: rng.pick([0, 500, 5_000, 20_000]), catch: rng.chance(0.6) };
}

/**
 * A root with webhooks, drawn from its own generator (so every seed's other roots are what
 * they were before webhooks were added): 1 to 3 webhook ops, some beside another leaf, and
 * sometimes a child workflow with one; canceled, restarted or replayed at times.
 */
function genWebhookRoot(g: Gen, seed: number, roots: RootPlan[], interference: Interference[]): void {
  const { rng, phases } = g;
  if (!rng.chance(0.7)) return;
  const r = roots.length;
  const tag = `${g.mode[0]}${seed}w${r}`;
  const path = { root: r, children: [] };
  const ops: Op[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) {
    const hook = genWebhookLeaf(g, path);
    if (rng.chance(0.3)) ops.push({ t: "parallel", ops: [hook, genLeaf(g, tag, path, g.limits.maxDepth, true)] });
    else if (rng.chance(0.2)) {
      const k = `c${g.counter.n++}`;
      const childPath = { root: r, children: [k] };
      ops.push(hook, { t: "child", key: k, program: { ops: [genWebhookLeaf(g, childPath)] }, catch: rng.chance(0.5) });
    } else ops.push(hook);
  }
  const startAt = rng.int(0, Math.floor(phases / 2));
  roots.push({
    tag,
    program: { ops },
    startAt,
    startAsync: rng.chance(0.3),
    onComplete: rng.chance(0.8) ? { throwOn: [] } : null,
  });
  const later = () => rng.int(startAt, phases - 1);
  if (rng.chance(0.25)) interference.push({ kind: "cancel", root: r, at: later() });
  if (rng.chance(0.3)) {
    interference.push({
      kind: "restart",
      root: r,
      at: "afterFinish",
      from: rng.weighted({ none: 1, number: 3, name: 2, last: 1 }),
      startAsync: rng.chance(0.3),
    });
  }
  if (rng.chance(0.3)) interference.push({ kind: "redeliverReplay", root: r, at: later() });
}

function genProgram(g: Gen, tag: string, path: WorkflowPath, depth: number): Program {
  const n = g.rng.int(1, Math.max(1, g.limits.maxOps - depth * 2));
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    if (g.rng.chance(0.25)) {
      const width = g.rng.int(2, 3);
      ops.push({ t: "parallel", ops: Array.from({ length: width }, () => genLeaf(g, tag, path, depth, true)) });
    } else {
      ops.push(genLeaf(g, tag, path, depth, false));
    }
  }
  return { ops };
}

export function generatePlan(seed: number, mode: Mode, limits: Limits = DEFAULT_LIMITS): Plan {
  const rng = new Rng(seed * 2 + (mode === "executor" ? 1 : 0));
  const phases = limits.phases;
  const g: Gen = { rng, mode, faults: [], sends: [], webhooks: [], flags: [], phases, counter: { n: 0 }, limits };
  const rootCount = rng.int(1, limits.maxRoots);
  const roots: RootPlan[] = [];
  const interference: Interference[] = [];
  for (let r = 0; r < rootCount; r++) {
    const tag = `${mode[0]}${seed}w${r}`;
    const program = genProgram(g, tag, { root: r, children: [] }, 0);
    const startAt = r === 0 ? 0 : rng.int(0, Math.floor(phases / 2));
    roots.push({
      tag,
      program,
      startAt,
      startAsync: rng.chance(0.3),
      onComplete: rng.chance(0.8) ? { throwOn: rng.chance(0.2) ? [rng.int(1, 2)] : [] } : null,
    });
    const later = () => rng.int(startAt, phases - 1);
    if (rng.chance(0.3)) interference.push({ kind: "cancel", root: r, at: later() });
    if (rng.chance(0.45)) {
      interference.push({
        kind: "restart",
        root: r,
        at: rng.chance(0.8) ? "afterFinish" : later(),
        from: rng.weighted({ none: 1, number: 3, name: 2, last: 1 }),
        startAsync: rng.chance(0.3),
      });
    }
    if (rng.chance(0.4)) interference.push({ kind: "staleReplay", root: r, at: later() });
    if (rng.chance(0.4)) interference.push({ kind: "redeliverReplay", root: r, at: later() });
    if (rng.chance(0.2)) interference.push({ kind: "cleanupEarly", root: r, at: later() });
  }
  const phaseMs = Array.from({ length: phases }, () => rng.pick([0, 0, 20, 100, 500, 2_000, 10_000]));
  // Flow control: its own generator, so `rng` draws what it always drew. Most main
  // roots share one of two gates with a limit of 1 or 2 (per seed); some carry an idempotency key.
  const flowRng = new Rng(seed * 6_151 + (mode === "executor" ? 11 : 13));
  const limit = flowRng.chance(0.5) ? 1 : 2;
  for (const root of roots) {
    if (!flowRng.chance(0.7)) continue;
    root.flow = { limit, gate: flowRng.chance(0.75) ? "a" : "b" };
    if (flowRng.chance(0.4)) root.flow.idempotencyKey = `idem:${root.tag}`;
  }
  // Pause and resume: their own generator, so `rng` draws what it always drew. Resumed within
  // the run's phases, so every paused root can finish.
  const pauseRng = new Rng(seed * 3_301 + (mode === "executor" ? 17 : 19));
  for (const [r, root] of roots.entries()) {
    if (!pauseRng.chance(0.4) || root.startAt > phases - 2) continue;
    const at = pauseRng.int(root.startAt, Math.min(root.startAt + 1, phases - 2)); // early: while it runs
    interference.push(
      { kind: "pause", root: r, at },
      { kind: "resume", root: r, at: pauseRng.int(at + 1, phases - 1) },
    );
  }
  // Deep trees and large results: their own generator, so `rng` draws what it always drew.
  genExtraRoots({ ...g, rng: new Rng(seed * 7_919 + (mode === "executor" ? 3 : 1)) }, seed, roots, interference);
  genWebhookRoot({ ...g, rng: new Rng(seed * 104_729 + (mode === "executor" ? 7 : 5)) }, seed, roots, interference);
  if (mode === "executor" && rng.chance(0.3)) interference.push({ kind: "startExecutors", at: rng.int(0, phases - 1) });
  const kills = (n: number) => [...new Set(Array.from({ length: n }, () => rng.int(1, 40)))].sort((a, b) => a - b);
  return {
    seed,
    mode,
    roots,
    faults: g.faults,
    sends: g.sends,
    webhooks: g.webhooks,
    interference: [...interference, ...g.flags],
    phaseMs,
    startExecutorsFirst: mode === "executor" && rng.chance(0.5),
    killClaimAt: mode === "executor" ? kills(rng.int(0, 2)) : [],
    killFlushAt: mode === "executor" ? kills(rng.int(0, 2)) : [],
    // Drawn last, so that the rest of every seed's plan is what it was before this was added.
    failMutationGroupAt: mode === "executor" ? kills(rng.int(0, 2)) : [],
  };
}

/** Every leaf of a program, with the tag of the workflow that runs it (children included). */
export function leavesOf(tag: string, program: Program): Array<{ tag: string; op: Leaf }> {
  const out: Array<{ tag: string; op: Leaf }> = [];
  for (const op of program.ops) {
    for (const leaf of op.t === "parallel" ? op.ops : [op]) {
      out.push({ tag, op: leaf });
      if (leaf.t === "child") out.push(...leavesOf(`${tag}/${leaf.key}`, leaf.program));
    }
  }
  return out;
}
