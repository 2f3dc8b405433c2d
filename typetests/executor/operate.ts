// Operating workflows (SPEC 4.3; not in @convex-dev/workflow 0.4.8, so not in
// tsconfig.upstream.json): tags on start, list filters, pause/resume, restart with args and
// from "failed", bulk actions, retention, through the generated API.
import type { GenericMutationCtx, GenericDataModel, GenericQueryCtx } from "convex/server";
import { v } from "convex/values";
import {
  bulkProgress,
  cancelMany,
  counts,
  list,
  pause,
  restart,
  restartMany,
  resume,
  WorkflowManager,
  type BulkResult,
  type PublicWorkflow,
  type WorkflowComponent,
  type WorkflowArgs,
  type WorkflowCounts,
  type WorkflowId,
  type WorkflowStatus,
} from "convex-workflow";

declare const component: WorkflowComponent;
declare const ctx: GenericMutationCtx<GenericDataModel>;
declare const queryCtx: GenericQueryCtx<GenericDataModel>;
declare const workflowId: WorkflowId;

export const operated = new WorkflowManager(component, { retention: { completed: 1000, failed: 2000 } });
// @ts-expect-error retention periods are per finished status
export const badRetention = new WorkflowManager(component, { retention: { running: 1 } });
export const tagged = operated.define({ args: { n: v.number() }, handler: async () => {} });

export async function operate(ref: typeof tagged) {
  void ref;
  const page = await list(queryCtx, component, {
    name: "x:y",
    status: "paused",
    tag: { key: "k", value: "v" },
    order: "desc",
  });
  const first: PublicWorkflow = page.page[0];
  const tags: Record<string, string> = first.tags;
  const created: number = first.createdAt;
  const finished: number | undefined = first.finishedAt;
  const status: "queued" | "running" | "paused" | "completed" | "failed" | "canceled" = first.status;
  // @ts-expect-error not a status
  await operated.list(queryCtx, { status: "sleeping" });
  await pause(ctx, component, workflowId);
  await resume(ctx, component, workflowId);
  await operated.pause(ctx, workflowId);
  await operated.resume(ctx, workflowId);
  // @ts-expect-error a query cannot pause
  await operated.pause(queryCtx, workflowId);
  const s: WorkflowStatus = await operated.status(queryCtx, workflowId);
  if (s.type === "paused") void s;
  // Counts per status, paused and queued included, in total and per name.
  type PerStatus = {
    running: number;
    paused: number;
    queued: number;
    success: number;
    failed: number;
    canceled: number;
  };
  const all: WorkflowCounts = await counts(queryCtx, component);
  const total: PerStatus = all.total;
  const pausedOfName: number = (await operated.counts(queryCtx, "x:y")).byName[0].counts.paused;
  // @ts-expect-error not a counted status
  void all.total.sleeping;
  void total;
  void pausedOfName;
  await restart(ctx, component, workflowId, { from: "failed", args: { n: 2 }, startAsync: true });
  await operated.restart(ctx, workflowId, { from: 0, args: { n: 3 } });
  const result: BulkResult = await cancelMany(ctx, component, { tag: { key: "k", value: "v" } });
  if ("jobId" in result) {
    const progress = await bulkProgress(queryCtx, component, result.jobId);
    const done: boolean = progress.done;
    void done;
  }
  await restartMany(ctx, component, { status: "failed" }, { from: "failed" });
  await operated.restartMany(ctx, { name: "x:y" });
  await operated.configureRetention(ctx);
  return [tags, created, finished, status];
}

const nArgs = { n: v.number() };
export const withTags: WorkflowArgs<typeof nArgs> = { args: { n: 1 }, tags: { team: "red" } };
// @ts-expect-error tag values are strings
export const badTags: WorkflowArgs<typeof nArgs> = { args: { n: 1 }, tags: { team: 1 } };
