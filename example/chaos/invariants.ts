// The invariants checked after every chaos run, on the state the runner gathered through
// the public API (status, listSteps, counts, diagnose) and the app's own tables. Each
// check returns human-readable violations; an empty list means the run was correct.
import { getFunctionName } from "convex/server";
import { type WorkflowCtx, type WorkflowStep, WorkflowTimeoutError } from "convex-workflow";
import {
  CHAOS_RETRY,
  firstLine,
  interpret,
  type Leaf,
  type Program,
  stepName,
  webhookGapName,
  webhookName,
} from "../convex/chaosWorkflows.js";

type RunResult = { kind: "success"; returnValue: unknown } | { kind: "failed"; error: string } | { kind: "canceled" };
export type Status =
  /** Flow control: waiting to begin. */
  | { type: "queued" }
  /** Operating: paused (the chaos plans do not pause; the type is the client's). */
  | { type: "paused" }
  | { type: "inProgress"; running: unknown[] }
  | { type: "completed"; result: unknown }
  | { type: "failed"; error: string }
  | { type: "canceled" };

/** Not finished: running, paused, or (flow control) queued to begin. */
export function isRunning(status: Status): boolean {
  return status.type === "inProgress" || status.type === "queued" || status.type === "paused";
}

export function statusToResult(status: Status): RunResult | null {
  switch (status.type) {
    case "completed":
      return { kind: "success", returnValue: status.result };
    case "failed":
      return { kind: "failed", error: status.error };
    case "canceled":
      return { kind: "canceled" };
    default:
      return null;
  }
}

/** One workflow as the runner saw it at the end (before cleanup). */
export type FinalWorkflow = {
  id: string;
  tag: string;
  program: Program;
  isRoot: boolean;
  status: Status;
  steps: WorkflowStep[];
  /** Roots: results of earlier runs (before each restart), oldest first. */
  earlierRuns: RunResult[];
  /** onComplete: null if none; else the invocations planned to throw. */
  onComplete: null | { throwOn: number[] };
  /** This workflow, or an ancestor, was restarted (attempt counts are then cumulative). */
  restartedLineage: boolean;
};

/** One POST to a webhook URL by the runner, and what it knew just before. */
export type WebhookCall = {
  workflowId: string;
  tag: string;
  key: string;
  url: string;
  body: unknown;
  status: number;
  json: unknown;
  /** The workflow had ended (completed, failed or canceled) before the call. */
  endedBefore: boolean;
  /** The await of this URL's event already had a result before the call (e.g. "failed": timed out). */
  awaitDoneBefore: string | null;
  /** Calls made at once (a "twice" pair) share it. */
  batchId: number;
  /**
   * The workflow's run (generation) at the call: a restart that keeps the `createWebhook` step
   * keeps its URL open for the new run, which may take one delivery of its own.
   */
  run: number;
};

export type FinalState = {
  mode: "standard" | "executor";
  workflows: FinalWorkflow[];
  /** Ids of every workflow ever seen, including those deleted by a restart of a parent. */
  everSeen: Set<string>;
  effects: Array<{ workflowId: string; key: string }>;
  attempts: Array<{ key: string; count: number }>;
  completions: Array<{ workflowId: string; result: unknown; context: unknown }>;
  onCompleteCalls: Map<string, number>;
  /** Mutation step entries a restart deleted: "wfId|key" → how many had succeeded / were canceled. */
  ledger: Map<string, { ok: number; canceled: number }>;
  faults: Map<string, number>;
  /** Values and errors sent to each "wfId|eventName". */
  sent: Map<string, unknown[]>;
  /** Every webhook call, in order (200 deliveries are also in `sent` under "wfId|hook:<key>"). */
  webhookCalls: WebhookCall[];
  /** Executor deaths plus `startExecutors` calls made while workflows ran. */
  executorDisruptions: number;
};

const realSetTimeout = globalThis.setTimeout;
const realDelay = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
export const sameValue = (a: unknown, b: unknown) => canonical(a) === canonical(b);

const QUERY = "chaosWorkflows:chaosQuery";
const MUTATION = "chaosWorkflows:chaosMutation";
const ACTIONS = ["chaosWorkflows:chaosAction", "chaosWorkflows:chaosExecAction"];
const BIG = "chaosWorkflows:chaosBigResult";

/**
 * A createWebhook journal entry's webhook: its name, the path of its URL (the journal holds
 * the token, as the step's result) and its event id. Undefined for any other entry.
 */
export function hookResult(entry: WorkflowStep): { name: string; url: string; eventId: string } | undefined {
  if (entry.name !== "createWebhook" || entry.runResult?.kind !== "success") return undefined;
  const { token, eventId } = entry.runResult.returnValue as { token: string; eventId: string };
  return { name: (entry.args as { name: string }).name, url: `/workflow/webhooks/${token}`, eventId };
}

/** The leaf of `program` (top level, including parallel batches) that a journal entry ran. */
export function leafOfEntry(tag: string, program: Program, entry: WorkflowStep): Leaf | undefined {
  const leaves = program.ops.flatMap((op) => (op.t === "parallel" ? op.ops : [op]));
  const key = (entry.args as { key?: string } | undefined)?.key;
  for (const leaf of leaves) {
    const named = stepName(leaf);
    if (named !== undefined ? entry.name === named : key === `${tag}/${leaf.key}`) return leaf;
    if (
      leaf.t === "webhook" &&
      (entry.name === webhookGapName(leaf.key) ||
        (entry.args as { name?: string } | undefined)?.name === webhookName(leaf.key))
    )
      return leaf;
  }
  return undefined;
}

function describe(w: FinalWorkflow, entry?: WorkflowStep): string {
  return `${w.tag} (${w.id})${entry ? ` step ${entry.stepNumber} "${entry.name}"` : ""}`;
}

export function checkTerminal(state: FinalState): string[] {
  return state.workflows
    .filter((w) => w.status.type === "inProgress")
    .map((w) => `terminal: ${describe(w)} is still in progress (running: ${JSON.stringify(w.status)})`);
}

export function checkNoStepInProgress(state: FinalState): string[] {
  const out: string[] = [];
  for (const w of state.workflows) {
    if (isRunning(w.status)) continue;
    for (const entry of w.steps) {
      if (!entry.runResult)
        out.push(`noStepInProgress: ${describe(w, entry)} has no result though the workflow is ${w.status.type}`);
    }
  }
  return out;
}

export function checkOnComplete(state: FinalState): string[] {
  const out: string[] = [];
  for (const w of state.workflows.filter((x) => x.isRoot)) {
    const finalResult = statusToResult(w.status);
    const runs = [...w.earlierRuns, ...(finalResult ? [finalResult] : [])];
    const rows = state.completions.filter((c) => c.workflowId === w.id);
    const calls = state.onCompleteCalls.get(w.id) ?? 0;
    if (!w.onComplete) {
      if (rows.length || calls)
        out.push(`onComplete: ${describe(w)} has no onComplete but ${calls} calls / ${rows.length} rows`);
      continue;
    }
    if (calls !== runs.length) {
      out.push(`onComplete: ${describe(w)} finished ${runs.length} run(s) but onComplete was invoked ${calls} time(s)`);
    }
    const expected = runs.filter((_r, i) => !w.onComplete!.throwOn.includes(i + 1));
    if (rows.length !== expected.length) {
      out.push(
        `onComplete: ${describe(w)} expected ${expected.length} committed onComplete row(s), found ${rows.length}`,
      );
      continue;
    }
    rows.forEach((row, i) => {
      if (!sameValue(row.result, expected[i])) {
        out.push(
          `onComplete: ${describe(w)} row ${i} got ${canonical(row.result)}, the run's result was ${canonical(expected[i])}`,
        );
      }
      if (!sameValue((row.context as { tag?: string })?.tag, w.tag))
        out.push(`onComplete: ${describe(w)} got context ${canonical(row.context)}`);
    });
  }
  return out;
}

/**
 * Exactly-once mutation steps, from the journal: for every (workflow, key), the rows
 * written equal the entries of that key that succeeded (now, plus those a restart deleted);
 * a step that failed left no row (its write rolled back with it). A step journaled
 * `canceled` left no row in executor mode, where a mutation task runs in the transaction
 * that records it; in standard mode it may have left one: the workpool commits a mutation
 * and delivers its result in two transactions, and a cancel in between marks the step
 * canceled after its effect committed (at most once still holds).
 */
export function checkMutationsOnce(state: FinalState): string[] {
  const out: string[] = [];
  const ok = new Map<string, number>();
  const canceled = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  for (const [k, n] of state.ledger) {
    add(ok, k, n.ok);
    add(canceled, k, n.canceled);
  }
  for (const w of state.workflows) {
    for (const entry of w.steps) {
      if (entry.kind !== "function" || entry.name !== MUTATION) continue;
      const k = `${w.id}|${(entry.args as { key: string }).key}`;
      add(ok, k, entry.runResult?.kind === "success" ? 1 : 0);
      add(canceled, k, entry.runResult?.kind === "canceled" ? 1 : 0);
    }
  }
  const actual = new Map<string, number>();
  for (const row of state.effects) {
    const k = `${row.workflowId}|${row.key}`;
    add(actual, k, 1);
    if (!state.everSeen.has(row.workflowId)) out.push(`mutationOnce: row ${k} belongs to a workflow never seen`);
  }
  for (const k of new Set([...ok.keys(), ...actual.keys()])) {
    const min = ok.get(k) ?? 0;
    const max = min + (state.mode === "standard" ? (canceled.get(k) ?? 0) : 0);
    const a = actual.get(k) ?? 0;
    if (a < min || a > max) {
      out.push(
        `mutationOnce: ${k}: ${a} row(s) written; journaled ${min} successful run(s)` +
          (canceled.get(k) ? ` and ${canceled.get(k)} canceled` : ""),
      );
    }
  }
  return out;
}

/** Each journal entry carries a result that fits its step, the faults planned, and what was sent. */
export function checkStepResults(state: FinalState): string[] {
  const out: string[] = [];
  const byId = new Map(state.workflows.map((w) => [w.id, w]));
  const attempts = new Map(state.attempts.map((a) => [a.key, a.count]));
  for (const w of state.workflows) {
    for (const entry of w.steps) {
      const r = entry.runResult;
      if (!r) continue;
      const leaf = leafOfEntry(w.tag, w.program, entry);
      const bad = (why: string) => out.push(`stepResult: ${describe(w, entry)}: ${why} (result ${canonical(r)})`);
      if (!leaf) {
        bad("journal entry matches no op of the program");
        continue;
      }
      const key = `${w.tag}/${leaf.key}`;
      const fault = state.faults.get(key) ?? 0;
      const value = r.kind === "success" ? r.returnValue : undefined;
      switch (leaf.t) {
        case "query":
        case "mutation":
          if (entry.name !== (leaf.t === "query" ? QUERY : MUTATION)) bad(`expected a ${leaf.t} step`);
          if (r.kind === "success" && (fault || value !== `${leaf.t[0]}:${key}`)) bad("unexpected success");
          if (r.kind === "failed" && (!fault || !r.error.includes("planned fault")))
            bad("failed without a planned fault");
          break;
        case "action": {
          if (!ACTIONS.includes(entry.name)) bad("expected an action step");
          const runs = attempts.get(key) ?? 0;
          if (r.kind === "success" && (value !== `a:${key}` || runs < fault + 1))
            bad(`success after ${runs} run(s) with ${fault} planned failures`);
          if (r.kind === "failed" && (!fault || !r.error.includes("planned fault")))
            bad("failed without a planned fault");
          if (r.kind === "failed" && runs < 1) bad("failed but never ran");
          // Retries exactly as configured, where nothing else re-ran the action.
          // Executor mode keeps retry counts in the executor: a killed or superseded
          // (startExecutors) executor's tasks are run again by its successor.
          const exact = !w.restartedLineage && (state.mode === "standard" || state.executorDisruptions === 0);
          if (exact && r.kind !== "canceled") {
            const max = leaf.retry ? CHAOS_RETRY.maxAttempts : 1;
            const want = fault < max ? fault + 1 : max;
            if (runs !== want)
              bad(`ran ${runs} time(s); with ${fault} planned failures and maxAttempts ${max} expected ${want}`);
            if ((r.kind === "success") !== fault < max) bad(`expected ${fault < max ? "success" : "failure"}`);
          }
          break;
        }
        case "sleep":
          if (r.kind === "failed") bad("a sleep failed");
          if (r.kind === "success" && value !== null) bad("a sleep returned a value");
          break;
        case "wait":
          if (r.kind === "success" && value !== `f:${key}`) bad("wrong condition value");
          if (r.kind === "failed" && (leaf.timeout === undefined || !r.error.includes("timed out")))
            bad("failed without a timeout");
          break;
        case "event": {
          const sent = state.sent.get(`${w.id}|${leaf.key}`) ?? [];
          if (r.kind === "success" && !sent.some((s) => sameValue(s, value)))
            bad(`value was never sent (sent: ${canonical(sent)})`);
          if (r.kind === "failed") {
            const timedOut = leaf.timeout !== undefined && r.error.includes("timed out");
            if (!timedOut && !sent.some((s) => sameValue(s, { error: r.error })))
              bad("failed with neither a timeout nor a sent error");
          }
          break;
        }
        case "webhook": {
          if (entry.name === webhookGapName(leaf.key)) {
            if (r.kind === "failed") bad("a webhook's gap sleep failed");
            break;
          }
          if (entry.kind !== "event") {
            // createWebhook: a token and an event id, or canceled.
            if (entry.name !== "createWebhook") bad("expected a createWebhook step");
            if (r.kind === "failed") bad("createWebhook failed");
            if (r.kind === "success" && typeof (value as { token?: unknown })?.token !== "string")
              bad("no webhook token");
            break;
          }
          const delivered = state.sent.get(`${w.id}|${webhookName(leaf.key)}`) ?? [];
          if (r.kind === "success" && !delivered.some((s) => sameValue(s, value)))
            bad(`value was never delivered with a 200 (delivered: ${canonical(delivered)})`);
          if (r.kind === "failed" && (leaf.timeout === undefined || !r.error.includes("timed out")))
            bad("a webhook await failed without a timeout");
          break;
        }
        case "big":
          if (entry.name !== BIG) bad("expected a large-result query step");
          if (r.kind === "failed") bad("a large-result step failed");
          if (
            r.kind === "success" &&
            (typeof value !== "string" || value.length !== leaf.bytes || !value.startsWith(`b:${key}`))
          ) {
            bad(
              `wrong large result (${typeof value === "string" ? value.length : typeof value} chars, want ${leaf.bytes})`,
            );
          }
          break;
        case "child": {
          if (entry.kind !== "workflow") {
            bad("expected a workflow step");
            break;
          }
          const child = byId.get(entry.nestedWorkflowId);
          if (!child) {
            bad(`nested workflow ${entry.nestedWorkflowId} is gone`);
            break;
          }
          const childResult = statusToResult(child.status);
          if (!childResult) bad("nested workflow still running");
          else if (!sameValue(childResult, r)) bad(`nested workflow ended ${canonical(childResult)}`);
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Replay the finished journal offline: run the interpreter against a fake `step` that
 * answers each request from the journal, in order, after checking name, kind and args.
 * A completed or failed workflow must end with the same result; a canceled one must match
 * as far as its journal goes.
 */
export async function replayOffline(
  w: Pick<FinalWorkflow, "id" | "tag" | "program" | "steps">,
): Promise<{ kind: "done"; result: RunResult } | { kind: "incomplete" } | { kind: "mismatch"; message: string }> {
  const journal = [...w.steps].sort((a, b) => a.stepNumber - b.stepNumber);
  let i = 0;
  let exhausted = false;
  let stop!: (v: { kind: "incomplete" } | { kind: "mismatch"; message: string }) => void;
  const stopped = new Promise<{ kind: "incomplete" } | { kind: "mismatch"; message: string }>(
    (resolve) => (stop = resolve),
  );
  const never = new Promise<never>(() => {});
  const answer = (name: string, kind: string, args: unknown): Promise<any> => {
    const entry = journal[i++];
    if (!entry) {
      // Past the journal: the handler may still finish without this step (a batch member
      // requested after another member's failure already ended the run); else incomplete.
      exhausted = true;
      return never;
    }
    const recorded = canonical({ name: entry.name, kind: entry.kind, args: entry.args });
    const requested = canonical({ name, kind, args });
    if (recorded !== requested) {
      stop({ kind: "mismatch", message: `step ${entry.stepNumber} recorded ${recorded}, handler asks ${requested}` });
      return never;
    }
    const r = entry.runResult;
    if (!r) {
      stop({ kind: "incomplete" });
      return never;
    }
    if (r.kind === "success") return Promise.resolve(r.returnValue);
    if (r.kind === "canceled") return Promise.reject(new Error("Canceled"));
    return Promise.reject(
      r.error.startsWith("WorkflowTimeout: ") ? new WorkflowTimeoutError(r.error) : new Error(r.error),
    );
  };
  const fnName = (ref: any): string => getFunctionName(ref);
  const step = {
    workflowId: w.id,
    runQuery: (ref: any, args: any, opts: any) => answer(opts?.name ?? fnName(ref), "function", args ?? {}),
    runMutation: (ref: any, args: any, opts: any) => answer(opts?.name ?? fnName(ref), "function", args ?? {}),
    runAction: (ref: any, args: any, opts: any) => answer(opts?.name ?? fnName(ref), "function", args ?? {}),
    runWorkflow: (ref: any, args: any, opts: any) => answer(opts?.name ?? fnName(ref), "workflow", args ?? {}),
    createWebhook: (o: any) =>
      answer("createWebhook", "function", {
        workflowId: w.id,
        name: o?.name ?? "webhook",
        ...(o?.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
      }),
    awaitEvent: (e: any) => answer(e.name ?? e.id ?? "Event", "event", e.id ? { eventId: e.id } : {}),
    waitUntil: (ref: any, args: any, opts: any) => answer(opts?.name ?? fnName(ref), "function", args ?? {}),
    sleep: (_ms: number, opts: any) => answer(opts?.name ?? "sleep", "sleep", {}).then(() => undefined),
    withOptions: () => step,
  } as unknown as WorkflowCtx;
  const self = {} as never; // children are answered from the journal by name, never run
  const run = interpret(step, { tag: w.tag, program: w.program }, self).then(
    (value): { kind: "done"; result: RunResult } => {
      if (i < journal.length && !exhausted)
        return { kind: "done", result: { kind: "failed", error: `replay left ${journal.length - i} entries unused` } };
      return { kind: "done", result: { kind: "success", returnValue: value ?? null } };
    },
    (error: unknown): { kind: "done"; result: RunResult } => ({
      kind: "done",
      result: { kind: "failed", error: String(error) },
    }),
  );
  const settled = await Promise.race([run, stopped, realDelay(5).then(() => null)]);
  if (settled) return settled;
  return exhausted
    ? { kind: "incomplete" }
    : { kind: "mismatch", message: "the handler neither finished nor ran out of journal" };
}

export async function checkReplay(state: FinalState): Promise<string[]> {
  const out: string[] = [];
  for (const w of state.workflows) {
    if (isRunning(w.status)) continue;
    const replayed = await replayOffline(w);
    if (replayed.kind === "mismatch") {
      out.push(`replay: ${describe(w)}: journal does not match the program: ${replayed.message}`);
      continue;
    }
    if (w.status.type === "canceled") continue; // a canceled run may stop anywhere
    if (replayed.kind === "incomplete") {
      const why = w.status.type === "failed" ? `: ${w.status.error.slice(0, 600)}` : "";
      out.push(`replay: ${describe(w)} is ${w.status.type} but its journal replays to a step without a result${why}`);
      continue;
    }
    const got = replayed.result;
    const want = statusToResult(w.status)!;
    const same =
      got.kind === want.kind &&
      (got.kind === "success"
        ? sameValue(got.returnValue, (want as { returnValue: unknown }).returnValue)
        : firstLine(got.kind === "failed" ? got.error : "") === firstLine(want.kind === "failed" ? want.error : ""));
    if (!same)
      out.push(
        `replay: ${describe(w)} ended ${canonical(want).slice(0, 300)} but its journal replays to ${canonical(got).slice(0, 300)}`,
      );
  }
  return out;
}

/**
 * Webhooks, from the runner's HTTP calls: each URL delivers at most once (one 200; a 409
 * only after it); no 200 once the workflow had ended or the await had a result (a timed-out
 * await's URL answers 410); every 200 is seen by the workflow: the await of that URL's event,
 * if it has a result in the final journal, returned exactly the delivered value.
 */
export function checkWebhooks(state: FinalState): string[] {
  const out: string[] = [];
  // Per URL and run: each run of the workflow may take one delivery.
  const byUrl = new Map<string, WebhookCall[]>();
  const lastRun = new Map<string, number>();
  for (const call of state.webhookCalls) {
    const key = `${call.url}#${call.run}`;
    byUrl.set(key, [...(byUrl.get(key) ?? []), call]);
    lastRun.set(call.url, Math.max(lastRun.get(call.url) ?? 0, call.run));
  }
  const where = (c: WebhookCall) => `${c.tag}/${webhookName(c.key)} (${c.workflowId})`;
  const byId = new Map(state.workflows.map((w) => [w.id, w]));
  for (const calls of byUrl.values()) {
    const ok = calls.filter((c) => c.status === 200);
    if (ok.length > 1) out.push(`webhookOnce: ${where(ok[0])} answered 200 to ${ok.length} calls`);
    let delivered = false;
    calls.forEach((c, i) => {
      const what = `webhook: call #${i + 1} of ${where(c)}`;
      if (![200, 409, 410].includes(c.status))
        out.push(`${what} answered ${c.status} ${canonical(c.json)} (want 200, 409 or 410)`);
      if (c.status !== 200 && !(c.json && typeof (c.json as { error?: unknown }).error === "string"))
        out.push(`${what} answered ${c.status} without a JSON { error }`);
      if (c.status === 200 && !sameValue(c.json, { ok: true }))
        out.push(`${what} answered 200 with ${canonical(c.json)}`);
      // A pair made at once: either one of them may be the one that got there first.
      const pairDelivered = calls.some((o) => o !== c && o.batchId === c.batchId && o.status === 200);
      if (c.status === 409 && !delivered && !pairDelivered)
        out.push(`${what} answered 409 though nothing was delivered`);
      if (c.status === 200 && c.endedBefore)
        out.push(`webhookAfterEnd: ${what} delivered (200) after the workflow had ended`);
      if (c.status === 200 && c.awaitDoneBefore !== null)
        out.push(`webhookAfterAwait: ${what} delivered (200) after its await had ended (${c.awaitDoneBefore})`);
      if (c.awaitDoneBefore === "failed" && !delivered && c.status !== 410)
        out.push(`${what} answered ${c.status} after its await timed out (want 410)`);
      if (c.status === 200) delivered = true;
    });
    // Seen by the workflow: the await of this URL's event (if still journaled, with a result) took
    // this value. The journal is the last run's, so only the last run's delivery is checked.
    // A restart after the call (also one the runner made after the workflow finished) may have
    // re-run the await, whose new result the journal now holds: only unrestarted ones are checked.
    const w = byId.get(ok[0]?.workflowId ?? "");
    if (ok.length === 1 && ok[0].run === lastRun.get(ok[0].url) && !w?.restartedLineage) {
      const c = ok[0];
      const made = w?.steps.map(hookResult).find((h) => h?.url === c.url);
      const eventId = made?.eventId;
      const awaited =
        eventId && w!.steps.find((s) => s.kind === "event" && (s.args as { eventId?: string })?.eventId === eventId);
      if (awaited && awaited.runResult && awaited.runResult.kind !== "canceled") {
        const r = awaited.runResult;
        if (r.kind !== "success" || !sameValue(r.returnValue, c.body))
          out.push(`webhookSeen: ${where(c)} delivered ${canonical(c.body)} (200) but its await ended ${canonical(r)}`);
      }
    }
  }
  return out;
}

export async function checkAll(state: FinalState): Promise<string[]> {
  return [
    ...checkWebhooks(state),
    ...checkTerminal(state),
    ...checkNoStepInProgress(state),
    ...checkOnComplete(state),
    ...checkMutationsOnce(state),
    ...checkStepResults(state),
    ...(await checkReplay(state)),
  ];
}
