// `exportJournal` (SPEC 4.1, docs/versioning.md): a workflow's journal as `replayJournal`
// (convex-workflow/test) takes it, for fixtures. Pages through `listSteps`, a page at a time.
import type { GenericActionCtx, GenericDataModel, GenericMutationCtx, GenericQueryCtx } from "convex/server";
import type { WorkflowId, WorkflowStep } from "../shared/types.js";
import type { WorkflowComponent } from "./types.js";

/** A recorded journal: the run's arguments and its steps, as `listSteps` returns them. */
export type ExportedJournal = {
  workflowId: WorkflowId;
  name?: string;
  /** The current run's arguments (after `continueAsNew`, the latest run's). */
  args: unknown;
  /** The definition's version that began this run. */
  version: number;
  runNumber: number;
  steps: WorkflowStep[];
};

const PAGE_SIZE = 100;

/** Any function's ctx: reads go through `runQuery`. */
type ReadCtx =
  | Pick<GenericQueryCtx<GenericDataModel>, "runQuery">
  | Pick<GenericMutationCtx<GenericDataModel>, "runQuery">
  | Pick<GenericActionCtx<GenericDataModel>, "runQuery">;

/**
 * The journal of a finished or running workflow (its current run), for `replayJournal`. Reads
 * the journal a page at a time: at most the journal's size limit (8 MiB) in all.
 */
export async function exportJournal(
  ctx: ReadCtx,
  component: WorkflowComponent,
  workflowId: WorkflowId,
): Promise<ExportedJournal> {
  // Each ctx's runQuery takes (reference, args); their option types differ.
  const read = ((ref: unknown, args: unknown) =>
    (ctx as { runQuery: (r: unknown, a: unknown) => Promise<unknown> }).runQuery(
      ref,
      args,
    )) as GenericQueryCtx<GenericDataModel>["runQuery"];
  const { workflow } = await read(component.workflow.getStatus, { workflowId });
  const steps: WorkflowStep[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = (await read(component.workflow.listSteps, {
      workflowId,
      order: "asc",
      paginationOpts: { cursor, numItems: PAGE_SIZE },
    })) as { page: WorkflowStep[]; isDone: boolean; continueCursor: string };
    steps.push(...page.page);
    if (page.isDone) break;
    cursor = page.continueCursor;
  }
  return {
    workflowId,
    ...(workflow.name !== undefined && { name: workflow.name }),
    args: workflow.args,
    version: workflow.version ?? 0,
    runNumber: workflow.runNumber ?? 1,
    steps,
  };
}
