// See convex/checks.ts: versioned workflows keep their args through the generated API, and
// `exportJournal` returns what `replayJournal` takes.
import type { FunctionArgs, GenericDataModel, GenericQueryCtx } from "convex/server";
import { exportJournal, type ExportedJournal, type WorkflowComponent, type WorkflowId } from "convex-workflow";
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import type * as workflows from "./workflows.js";
import { workflow } from "./workflows.js";

declare const fullApi: ApiFromModules<{ workflows: typeof workflows }>;
declare const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">>;
declare const ctx: GenericQueryCtx<GenericDataModel>;
declare const component: WorkflowComponent;
declare const id: WorkflowId;

export async function versionedArgs() {
  const a: FunctionArgs<typeof internal.workflows.defined>["args"] = { n: 1 };
  // @ts-expect-error wrong type
  const b: FunctionArgs<typeof internal.workflows.defined>["args"] = { n: "1" };
  const journal: ExportedJournal = await exportJournal(ctx, component, id);
  const same: ExportedJournal = await workflow.exportJournal(ctx, id);
  const version: number = journal.steps[0].version;
  return [a, b, same, version];
}
