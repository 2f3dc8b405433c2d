// The console's reads: a page of runs with a filter, counts, and one run in detail (its args,
// result or error, steps, events and timeline). Everything is plain JSON for the page's script.
import type { GenericActionCtx, GenericDataModel, PaginationResult } from "convex/server";
import type { PublicWorkflow, WorkflowStep } from "../../shared/types.js";
import type { WorkflowComponent } from "../types.js";
import { callComponent, ConsoleRequestError } from "./errors.js";
import type { RunFilter, RunStatus } from "./filters.js";

type Ctx = GenericActionCtx<GenericDataModel>;
export const DEFAULT_RUNS_PAGE = 50;
export const MAX_RUNS_PAGE = 100;
/** Steps shown on a run's page (the first ones; the page says when there are more). */
export const MAX_RUN_STEPS = 200;
const MAX_ERROR_PREVIEW = 300;

type RunResultLike = { kind: string; returnValue?: unknown; error?: string } | undefined;
/** The fields of a workflow the console reads; those marked "engine" arrive with SPEC 4.3's engine half. */
type WorkflowLike = {
  name?: string;
  runResult?: RunResultLike;
  status?: string; // engine
  paused?: unknown; // engine
  queued?: unknown; // flow control
  tags?: unknown; // engine
  createdAt?: number; // engine
  finishedAt?: number;
  _creationTime?: number;
};

/** The workflow's lifecycle status, from the stored `status` where the component has it. */
export function statusOf(w: WorkflowLike): RunStatus {
  if (typeof w.status === "string") return w.status as RunStatus;
  if (w.runResult) return w.runResult.kind === "success" ? "completed" : (w.runResult.kind as RunStatus);
  if (w.queued) return "queued";
  if (w.paused) return "paused";
  return "running";
}

/** Tags as `{ key, value }[]`, whether stored as pairs or as a record. */
export function tagsOf(w: WorkflowLike): { key: string; value: string }[] {
  const tags = w.tags;
  if (Array.isArray(tags))
    return tags.filter((t) => t && typeof t.key === "string").map((t) => ({ key: t.key, value: String(t.value) }));
  if (tags && typeof tags === "object")
    return Object.entries(tags).map(([key, value]) => ({ key, value: String(value) }));
  return [];
}

/**
 * A page of workflows matching the filter, through the component's indexes (`list` with
 * name, status and tag): a page holds only matches.
 */
export async function pageOfWorkflows(
  ctx: Ctx,
  component: WorkflowComponent,
  filter: RunFilter,
  opts: { order: "asc" | "desc"; cursor: string | null; numItems: number },
): Promise<PaginationResult<PublicWorkflow>> {
  return (await callComponent(() =>
    ctx.runQuery(component.workflow.list, {
      ...filter,
      order: opts.order,
      paginationOpts: { cursor: opts.cursor, numItems: opts.numItems },
    }),
  )) as PaginationResult<PublicWorkflow>;
}

export type RunSummary = {
  id: string;
  name: string | null;
  status: RunStatus;
  tags: { key: string; value: string }[];
  createdAt: number | null;
  finishedAt: number | null;
  error: string | null;
};

function summary(w: PublicWorkflow): RunSummary {
  const like = w as WorkflowLike;
  const error = like.runResult?.kind === "failed" ? (like.runResult.error ?? "") : null;
  return {
    id: w.workflowId,
    name: w.name ?? null,
    status: statusOf(like),
    tags: tagsOf(like),
    createdAt: like.createdAt ?? null,
    finishedAt: like.finishedAt ?? null,
    error: error === null ? null : (error.split("\n")[0] ?? "").slice(0, MAX_ERROR_PREVIEW),
  };
}

export async function listRuns(ctx: Ctx, component: WorkflowComponent, filter: RunFilter, params: URLSearchParams) {
  const order = params.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc")
    throw new ConsoleRequestError(400, `order must be "asc" or "desc"; got "${order}"`);
  const limitText = params.get("limit");
  const numItems = limitText === null ? DEFAULT_RUNS_PAGE : Number(limitText);
  if (!Number.isInteger(numItems) || numItems < 1 || numItems > MAX_RUNS_PAGE) {
    throw new ConsoleRequestError(400, `limit must be a whole number from 1 to ${MAX_RUNS_PAGE}; got "${limitText}"`);
  }
  const cursor = params.get("cursor") || null;
  const page = await pageOfWorkflows(ctx, component, filter, { order, cursor, numItems });
  return { runs: page.page.map(summary), continueCursor: page.isDone ? null : page.continueCursor, now: Date.now() };
}

export async function bulkProgress(ctx: Ctx, component: WorkflowComponent, jobId: string) {
  if (!jobId) throw new ConsoleRequestError(400, "jobId is required");
  return await callComponent(() => ctx.runQuery(component.bulk.bulkProgress, { jobId }));
}

export async function countRuns(ctx: Ctx, component: WorkflowComponent, name: string | undefined) {
  return await callComponent(() => ctx.runQuery(component.stats.counts, { name, numNames: 100 }));
}

type JournalStep = { _id: string; stepNumber: number; step: { startedAt?: number; attempts?: number } };

/** One run: what it was given, how it ended, its steps and events, and its timeline. */
export async function runDetail(ctx: Ctx, component: WorkflowComponent, id: string) {
  if (!id) throw new ConsoleRequestError(400, "id is required");
  const status = await callComponent(() => ctx.runQuery(component.workflow.getStatus, { workflowId: id }));
  const workflow = status.workflow as unknown as WorkflowLike & {
    _id: string;
    args: unknown;
    generationNumber: number;
  };
  const steps = (await callComponent(() =>
    ctx.runQuery(component.workflow.listSteps, {
      workflowId: id,
      order: "asc",
      paginationOpts: { cursor: null, numItems: MAX_RUN_STEPS },
    }),
  )) as PaginationResult<WorkflowStep>;
  // In-flight steps carry what listSteps leaves out: when their work began, and attempts so far.
  const live = new Map((status.inProgress as unknown as JournalStep[]).map((e) => [e.stepNumber, e.step]));
  const outcome = (s: WorkflowStep) => (s.runResult ? s.runResult.kind : "running");
  const runResult = workflow.runResult;
  return {
    now: Date.now(),
    run: {
      id: workflow._id,
      name: workflow.name ?? null,
      status: statusOf(workflow),
      tags: tagsOf(workflow),
      createdAt: workflow.createdAt ?? workflow._creationTime ?? null,
      finishedAt: workflow.finishedAt ?? null,
      generation: workflow.generationNumber,
      args: workflow.args ?? null,
      result: runResult?.kind === "success" ? (runResult.returnValue ?? null) : null,
      error: runResult?.kind === "failed" ? (runResult.error ?? "") : null,
    },
    steps: steps.page.map((s) => {
      const extra = s as { version?: number };
      return {
        stepNumber: s.stepNumber,
        name: s.name,
        kind: s.kind,
        args: s.args ?? null,
        outcome: outcome(s),
        result: s.runResult?.kind === "success" ? (s.runResult.returnValue ?? null) : null,
        error: s.runResult?.kind === "failed" ? s.runResult.error : null,
        queuedAt: s.startedAt,
        startedAt: live.get(s.stepNumber)?.startedAt ?? null,
        finishedAt: s.completedAt ?? null,
        attempts: live.get(s.stepNumber)?.attempts ?? null,
        version: extra.version ?? null,
        childId: s.kind === "workflow" ? s.nestedWorkflowId : null,
      };
    }),
    stepsTruncated: !steps.isDone,
    events: steps.page
      .filter((s) => s.kind === "event")
      .map((s) => ({
        stepNumber: s.stepNumber,
        name: s.name,
        state: s.runResult ? s.runResult.kind : "waiting",
        value: s.runResult?.kind === "success" ? (s.runResult.returnValue ?? null) : null,
        error: s.runResult?.kind === "failed" ? s.runResult.error : null,
        at: s.completedAt ?? null,
      })),
  };
}
