/// <reference types="vite/client" />
// `npm run demo`: runs the example app's workflows on convex-test's in-process backend
// (no Convex account or deployment), with live progress, then prints each workflow's
// outcome and writes the run (workflows and their steps) to out/demo-run.json and its
// timeline, a self-contained HTML page, to out/timeline.html. Last, it serves the runs
// console (registerConsole in convex/http.ts) on a local port and prints its URL with a
// one-off token; in a terminal it keeps serving until Ctrl-C.
//
// Loaded by scripts/demo.mjs through Vite, because convex-test and the component's test
// helper collect modules with `import.meta.glob`. Scheduled functions (workflow replays,
// steps, workpool loops, retry back-offs) fire on real timers, as they would on a server.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { format } from "node:util";
import { convexTest } from "convex-test";
import type { WorkflowStep } from "convex-workflow";
import workflowTest from "convex-workflow/test";
import { api, internal } from "../convex/_generated/api.js";
import { workflow } from "../convex/example.js";
import { DECLINED_PAYMENT_METHOD } from "../convex/orders.js";
import schema from "../convex/schema.js";
import { renderTimelineHtml, type TimelineData } from "../viz/timelineHtml.js";
import { serveRoutes } from "./serveRoutes.js";

const modules = import.meta.glob(["../convex/**/*.ts", "!../convex/**/*.test.ts", "!../convex/**/*.testing.ts"]);

const TICK_MS = 100;
const TIMEOUT_MS = 25_000;

type Backend = Awaited<ReturnType<typeof makeBackend>>;
type Snapshot = Awaited<ReturnType<typeof snapshot>>;
type WorkflowSnap = Snapshot["workflows"][number];

async function makeBackend() {
  // Load (and transform) every module up front, so the first steps don't wait for Vite.
  // (convex.config.ts is only for the Convex CLI; convex-test never loads it.)
  const functionModules = Object.entries({ ...modules, ...workflowTest.modules }).filter(
    ([file]) => !file.endsWith("convex.config.ts") && !file.endsWith(".d.ts"),
  );
  // allSettled: a module that fails to load fails only the functions that use it, as in tests.
  await Promise.allSettled(functionModules.map(([, load]) => load()));
  const t = convexTest({ schema, modules, transactionLimits: true } as Parameters<typeof convexTest>[0] & object);
  workflowTest.register(t);
  return t;
}

/** Every workflow (children too) with its status and steps, plus the retry counters. */
async function snapshot(t: Backend) {
  const workflows = await t.query(async (ctx) => {
    const all = await workflow.list(ctx, { paginationOpts: { cursor: null, numItems: 500 } });
    return await Promise.all(
      all.page.map(async (w) => {
        const steps = await workflow.listSteps(ctx, w.workflowId, { paginationOpts: { cursor: null, numItems: 500 } });
        return { ...w, steps: steps.page };
      }),
    );
  });
  const attempts = await t.run((ctx) => ctx.db.query("attempts").collect());
  const owners = await t.run((ctx) => ctx.db.query("workflowOwners").collect());
  return { workflows, attempts, owners };
}

const statusOf = (w: { runResult?: { kind: string } }) =>
  !w.runResult ? "running" : w.runResult.kind === "success" ? "completed" : w.runResult.kind;

function retriesOf(snap: Snapshot, workflowId?: string): number {
  return snap.attempts
    .filter((a) => workflowId === undefined || a.key.startsWith(`${workflowId}/`))
    .reduce((n, a) => n + Math.max(0, a.count - 1), 0);
}

// ---------------------------------------------------------------------------------------
// Output helpers

const tty = process.stdout.isTTY === true;
const color = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const dim = color(2);
const bold = color(1);
const green = color(32);
const red = color(31);
const yellow = color(33);
const out = (line = "") => process.stdout.write(line + "\n");
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function progressLine(snap: Snapshot, elapsed: number): string {
  const total = snap.workflows.length;
  const running = snap.workflows.filter((w) => !w.runResult).length;
  const steps = snap.workflows.flatMap((w) => w.steps);
  const stepsDone = steps.filter((s) => s.runResult !== undefined).length;
  return (
    `${dim(secs(elapsed).padStart(6))}  workflows ${bold(String(total))} started · ` +
    `${yellow(String(running))} running · ${green(String(total - running))} done   ` +
    `steps ${stepsDone}/${steps.length} completed   retries ${retriesOf(snap)}`
  );
}

/** Engine and component logs (failed attempts print stack traces) go to a file, not the screen. */
function captureConsole(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const;
  const saved = methods.map((m) => [m, console[m]] as const);
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      lines.push(`[${m}] ${format(...args)}`);
    };
  }
  return {
    lines,
    restore: () => {
      for (const [m, fn] of saved) console[m] = fn;
    },
  };
}

const icon = (w: { runResult?: { kind: string } }) =>
  !w.runResult
    ? yellow("…")
    : w.runResult.kind === "success"
      ? green("✔")
      : w.runResult.kind === "canceled"
        ? yellow("■")
        : red("✘");

/** Ids of workflows started by another workflow's step. */
function childrenOf(snap: Snapshot): Set<string> {
  return new Set(
    snap.workflows.flatMap((w) =>
      w.steps.flatMap((s) => (s.kind === "workflow" ? [s.nestedWorkflowId as string] : [])),
    ),
  );
}

function describeResult(w: WorkflowSnap): string {
  const r = w.runResult;
  if (!r) return "still running";
  if (r.kind === "canceled") return "canceled by its owner";
  if (r.kind === "failed") return r.error.split("\n")[0];
  const v = r.returnValue as Record<string, any>;
  switch (w.name) {
    case "transcription:transcribe":
      return `${v.model} model (confidence ${v.confidence}): "${v.text}"`;
    case "orders:placeOrder":
      return v.status === "confirmed" ? `confirmed, ${v.chargeId}` : `compensated, stock released (${v.reason})`;
    case "batch:processBatch":
      return (
        `${v.processed.length} processed, ${v.failed.length} failed` +
        (v.failed.length ? ` (${v.failed.map((f: { item: string }) => f.item).join(", ")})` : "") +
        `, total score ${v.totalScore}`
      );
    case "batch:enrichItem":
      return `score ${v.score}`;
    default:
      return JSON.stringify(v);
  }
}

/** Every workflow with the life of its steps, a timelinePage (≤100 workflows) at a time. */
async function timelineOf(t: Backend): Promise<TimelineData> {
  const workflows: TimelineData["workflows"] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await t.query(async (ctx) =>
      workflow.timelinePage(ctx, { paginationOpts: { cursor, numItems: 100 } }),
    );
    workflows.push(...page.page);
    if (page.isDone) return { now: Date.now(), workflows };
    cursor = page.continueCursor;
  }
}

function durationOf(steps: WorkflowStep[]): number {
  if (steps.length === 0) return 0;
  const start = Math.min(...steps.map((s) => s.startedAt));
  const end = Math.max(...steps.map((s) => s.completedAt ?? s.startedAt));
  return end - start;
}

/**
 * The runs console for this run, served from this process: prints its URL (the batch run's
 * page, with a one-off token in the fragment, which the page keeps and drops from the address
 * bar). In a terminal it serves until Ctrl-C; elsewhere (CI) it stops at once.
 */
async function serveConsole(t: Backend, runId: string): Promise<void> {
  const token = randomBytes(24).toString("base64url");
  process.env.CONSOLE_TOKEN = token;
  const served = await serveRoutes(t);
  out(`Console: ${bold(`${served.base}/workflow/console#token=${token}&/run/${runId}`)}`);
  if (tty && !process.env.CI) {
    out(dim("  served by this process until you press Ctrl-C"));
    await new Promise((resolve) => process.once("SIGINT", resolve));
  } else {
    out(dim("  (served only while the demo runs: run `npm run demo` in a terminal to keep it open)"));
  }
  await served.close();
}

// ---------------------------------------------------------------------------------------

export async function main({ outFile }: { outFile: string }): Promise<number> {
  const t0 = Date.now();
  out(bold("convex-workflow demo") + dim(" — example workflows on the in-process Convex test backend"));
  out();
  const logs = captureConsole();
  try {
    const t = await makeBackend();
    await t.mutation(internal.orders.restock, { sku: "mug", quantity: 20, priceCents: 1200 });
    await t.mutation(internal.orders.restock, { sku: "lamp", quantity: 5, priceCents: 4500 });

    const alice = t.withIdentity({ subject: "alice", name: "Alice" });
    const bob = t.withIdentity({ subject: "bob", name: "Bob" });
    const ownerName = (token: string) => token.split("|").pop() ?? token;

    // Security first: the public API refuses anonymous callers and foreign workflows.
    out(bold("Access checks"));
    try {
      await t.mutation(api.runs.startTranscription, { audioUrl: "https://example.com/anon.mp3" });
      out(red("  ✘ an anonymous caller could start a workflow"));
    } catch (e) {
      out(`  ${green("✔")} anonymous startTranscription rejected: ${dim((e as Error).message)}`);
    }

    // Start the workflows, the way a signed-in client would.
    const urls = ["keynote.mp3", "standup.mp3", "interview.mp3"].map((f) => `https://media.example.com/${f}`);
    for (const audioUrl of urls) await alice.mutation(api.runs.startTranscription, { audioUrl });
    await alice.mutation(api.runs.startOrder, { sku: "mug", quantity: 2, paymentMethod: "pm_card_visa_4242" });
    await alice.mutation(api.runs.startOrder, { sku: "lamp", quantity: 1, paymentMethod: DECLINED_PAYMENT_METHOD });
    const batchId = await bob.mutation(api.runs.startBatch, { items: ["apple", "plum", "bad-pear", "fig", "kiwi"] });
    const toCancel = await bob.mutation(api.runs.startTranscription, {
      audioUrl: "https://media.example.com/podcast.mp3",
    });
    // A privileged start from server code (no owner; onComplete still records it).
    await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.example.greeting,
        { name: "Ada" },
        { onComplete: internal.example.onDone, context: { from: "demo" } },
      ),
    );

    try {
      await alice.mutation(api.runs.cancelRun, { workflowId: batchId });
      out(red("  ✘ alice could cancel bob's workflow"));
    } catch (e) {
      out(`  ${green("✔")} alice cannot cancel bob's batch: ${dim((e as Error).message)}`);
    }
    const aliceSees = await alice.query(api.runs.listMyRuns, {});
    out(`  ${green("✔")} alice's listMyRuns shows her ${aliceSees.length} workflows, none of bob's`);
    out();

    // Progress, refreshed every tick until every workflow has finished, with a line for
    // each top-level workflow as it finishes.
    out(bold("Running"));
    const runStart = Date.now();
    const owners = new Map<string, { owner: string; label: string }>();
    const shortLabel = (workflowId: string) => {
      const label = owners.get(workflowId)?.label ?? "";
      return label.startsWith("https://") ? (label.split("/").pop() ?? label) : label;
    };
    const announced = new Set<string>();
    let canceled = false;
    let lastPrinted = -Infinity;
    let snap = await snapshot(t);
    for (;;) {
      const elapsed = Date.now() - runStart;
      for (const o of snap.owners) owners.set(o.workflowId, o);
      const children = childrenOf(snap);
      for (const w of snap.workflows) {
        if (!w.runResult || announced.has(w.workflowId) || children.has(w.workflowId)) continue;
        announced.add(w.workflowId);
        const event =
          `  ${icon(w)} ${dim(secs(elapsed).padStart(5))}  ${(w.name ?? "?").padEnd(25)} ` +
          `${shortLabel(w.workflowId).padEnd(14)} ${statusOf(w)}`;
        if (tty) process.stdout.write("\r\x1b[2K");
        out(event);
      }
      const line = progressLine(snap, elapsed);
      const allDone = snap.workflows.every((w) => w.runResult !== undefined);
      if (tty) process.stdout.write(`\r\x1b[2K  ${line}`);
      else if (elapsed - lastPrinted >= 1000 && !allDone) {
        out(`  ${line}`);
        lastPrinted = elapsed;
      }
      if (allDone) break;
      if (elapsed > TIMEOUT_MS) {
        out();
        out(red(`  Timed out after ${secs(TIMEOUT_MS)} with workflows still running.`));
        break;
      }
      // Bob changes his mind about the podcast while its models are running.
      const podcast = snap.workflows.find((w) => w.workflowId === toCancel);
      if (!canceled && podcast && podcast.steps.length >= 3) {
        canceled = true;
        try {
          await bob.mutation(api.runs.cancelRun, { workflowId: toCancel });
        } catch {
          // Already finished: nothing to cancel.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      snap = await snapshot(t);
    }
    if (tty) process.stdout.write("\n");
    else out(`  ${progressLine(snap, Date.now() - runStart)}`);
    await t.finishInProgressScheduledFunctions();
    const elapsed = Date.now() - t0;
    out();

    // Results: each top-level workflow, with the child workflows it ran.
    const byId = new Map(snap.workflows.map((w) => [w.workflowId as string, w]));
    const childIds = childrenOf(snap);
    const parentOf = new Map<string, string>();
    for (const w of snap.workflows) {
      for (const s of w.steps) if (s.kind === "workflow") parentOf.set(s.nestedWorkflowId, w.workflowId);
    }
    const completions = await t.run((ctx) => ctx.db.query("completions").collect());

    out(bold("Results"));
    const topLevel = snap.workflows.filter((w) => !childIds.has(w.workflowId));
    for (const w of topLevel) {
      const owner = owners.get(w.workflowId);
      const who = owner ? ownerName(owner.owner) : "server";
      const label = shortLabel(w.workflowId);
      const retries = retriesOf(snap, w.workflowId);
      out(
        `  ${icon(w)} ${bold((w.name ?? "?").padEnd(25))} ${label.padEnd(14)} ${statusOf(w).padEnd(9)} ` +
          dim(
            `${who}, ${w.steps.length} step${w.steps.length === 1 ? "" : "s"}${retries ? `, ${retries} retries` : ""}, ${secs(durationOf(w.steps))}`,
          ),
      );
      out(`      ${describeResult(w)}`);
      for (const s of w.steps) {
        if (s.kind !== "workflow") continue;
        const child = byId.get(s.nestedWorkflowId);
        if (!child) continue;
        out(
          `      ${icon(child)} ${dim("child")} ${(child.args as { item?: string }).item ?? child.name}: ${describeResult(child)}`,
        );
      }
    }
    out();

    // The run, for tools (an HTML timeline, for instance).
    const run = {
      startedAt: t0,
      finishedAt: Date.now(),
      durationMs: elapsed,
      workflows: snap.workflows.map((w) => ({
        id: w.workflowId,
        name: w.name ?? null,
        status: statusOf(w),
        parentId: parentOf.get(w.workflowId) ?? null,
        owner: owners.has(w.workflowId) ? ownerName(owners.get(w.workflowId)!.owner) : null,
        label: owners.get(w.workflowId)?.label ?? null,
        args: w.args,
        result: w.runResult?.kind === "success" ? w.runResult.returnValue : null,
        error: w.runResult?.kind === "failed" ? w.runResult.error : null,
        steps: w.steps.map((s) => ({
          name: s.name,
          stepNumber: s.stepNumber,
          kind: s.kind,
          startedAt: s.startedAt,
          completedAt: s.completedAt ?? null,
          runResult: s.runResult?.kind ?? null,
          nestedWorkflowId: s.kind === "workflow" ? s.nestedWorkflowId : null,
        })),
      })),
    };
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(run, null, 2) + "\n");
    const logFile = path.join(path.dirname(outFile), "demo.log");
    writeFileSync(logFile, logs.lines.join("\n") + "\n");
    const timelineFile = path.join(path.dirname(outFile), "timeline.html");
    writeFileSync(timelineFile, renderTimelineHtml({ data: await timelineOf(t), title: "convex-workflow demo run" }));

    const count = (status: string) => snap.workflows.filter((w) => statusOf(w) === status).length;
    const failedChildren = snap.workflows.filter((w) => statusOf(w) === "failed" && childIds.has(w.workflowId)).length;
    const failedNote = failedChildren
      ? ` (${failedChildren} ${failedChildren === 1 ? "child" : "children"}, handled by the parent)`
      : "";
    const stepCount = snap.workflows.reduce((n, w) => n + w.steps.length, 0);
    const allFinished = count("running") === 0;
    const rel = (p: string) => path.relative(process.cwd(), p) || p;
    out(`Run written to ${bold(rel(outFile))} ${dim(`(engine logs: ${rel(logFile)}, ${logs.lines.length} messages)`)}`);
    out(
      `${allFinished ? green("Summary:") : red("Summary:")} ${snap.workflows.length} workflows ` +
        `(${topLevel.length} top-level, ${childIds.size} children): ${count("completed")} completed, ` +
        `${count("canceled")} canceled, ${count("failed")} failed${failedNote}, ${count("running")} running · ` +
        `${stepCount} steps · ${retriesOf(snap)} retries · ${completions.length} onComplete calls · ${secs(elapsed)}`,
    );
    out(`Timeline: ${timelineFile}`);
    await serveConsole(t, batchId);
    return allFinished ? 0 : 1;
  } finally {
    logs.restore();
  }
}
