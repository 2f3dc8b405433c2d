// The bench workload, defined once and registered on every implementation under test.
//
// - fourStep: a query, two actions in parallel, a mutation that writes a row.
// - sequential: `steps` action steps one after another (journal grows by one per poll).
//
// To add an implementation: give it a manager here, add an entry to `IMPLS`, and list it in
// ../lib/implementations.ts. Everything else (starting, counting, reporting) is shared.
import { WorkflowManager as UpstreamWorkflowManager } from "@convex-dev/workflow";
import { WorkflowManager } from "convex-workflow";
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery } from "./_generated/server";

const workpoolOptions = { logLevel: "WARN" as const };

// ---- the steps -----------------------------------------------------------------------------

export const readInput = internalQuery({
  args: { i: v.number() },
  returns: v.number(),
  handler: async (_ctx, { i }) => i + 1,
});

export const callApi = internalAction({
  args: { x: v.number() },
  returns: v.number(),
  handler: async (_ctx, { x }) => x * 2,
});

export const saveResult = internalMutation({
  args: { impl: v.string(), workflow: v.string(), value: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("results", args);
    return null;
  },
});

// ---- the handlers, written once against the step API both packages share --------------------

type Step = {
  workflowId: string;
  runQuery(ref: any, args: any): Promise<any>;
  runAction(ref: any, args: any): Promise<any>;
  runMutation(ref: any, args: any): Promise<any>;
};

async function fourStep(
  impl: string,
  step: Step,
  { i }: { i: number },
  action = internal.workload.callApi,
): Promise<number> {
  const x: number = await step.runQuery(internal.workload.readInput, { i });
  const [a, b]: number[] = await Promise.all([step.runAction(action, { x }), step.runAction(action, { x: x + 1 })]);
  await step.runMutation(internal.workload.saveResult, { impl, workflow: step.workflowId, value: a + b });
  return a + b;
}

async function sequential(
  step: Step,
  { steps }: { steps: number },
  action = internal.workload.callApi,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < steps; i++) total += (await step.runAction(action, { x: i })) as number;
  return total;
}

const fourStepArgs = { i: v.number() };
const sequentialArgs = { steps: v.number() };

// ---- (a) @convex-dev/workflow 0.4.8 --------------------------------------------------------

const upstream = new UpstreamWorkflowManager(components.upstream, { workpoolOptions });
export const upstreamFourStep = upstream.define({
  args: fourStepArgs,
  handler: (step, args): Promise<number> => fourStep("upstream", step as unknown as Step, args),
});
export const upstreamSequential = upstream.define({
  args: sequentialArgs,
  handler: (step, args): Promise<number> => sequential(step as unknown as Step, args),
});

// ---- (b) convex-workflow, standard mode ----------------------------------------------------

const standard = new WorkflowManager(components.workflow, { workpoolOptions });
export const standardFourStep = standard.define({
  args: fourStepArgs,
  handler: (step, args): Promise<number> => fourStep("standard", step as unknown as Step, args),
});
export const standardSequential = standard.define({
  args: sequentialArgs,
  handler: (step, args): Promise<number> => sequential(step as unknown as Step, args),
});

// ---- (c) convex-workflow, executor mode ----------------------------------------------------

const executorMode = new WorkflowManager(components.workflow, { executorShards: 4, workpoolOptions });
/** The same action as callApi, registered so the executor runs it in-process. */
export const callApiInProcess = executorMode.action("callApiInProcess", {
  args: { x: v.number() },
  returns: v.number(),
  handler: async (_ctx, { x }) => x * 2,
});
export const executorFourStep = executorMode.define({
  args: fourStepArgs,
  handler: (step, args): Promise<number> =>
    fourStep("executor", step as unknown as Step, args, internal.workload.callApiInProcess),
});
export const executorSequential = executorMode.define({
  args: sequentialArgs,
  handler: (step, args): Promise<number> =>
    sequential(step as unknown as Step, args, internal.workload.callApiInProcess),
});
export const executor = executorMode.executor();
executorMode.setExecutorRef(internal.workload.executor);
export const startExecutors = internalMutation({
  args: {},
  returns: v.number(),
  handler: async (ctx) => await executorMode.startExecutors(ctx),
});

type Impl = {
  start(ctx: any, ref: any, args: any): Promise<string>;
  status(ctx: any, id: string): Promise<{ type: string; result?: unknown }>;
  fourStep: unknown;
  sequential: unknown;
};

const IMPLS: Record<string, Impl> = {
  upstream: {
    start: (ctx, ref, args) => upstream.start(ctx, ref, args),
    status: (ctx, id) => upstream.status(ctx, id as never),
    fourStep: internal.workload.upstreamFourStep,
    sequential: internal.workload.upstreamSequential,
  },
  standard: {
    start: (ctx, ref, args) => standard.start(ctx, ref, args),
    status: (ctx, id) => standard.status(ctx, id as never),
    fourStep: internal.workload.standardFourStep,
    sequential: internal.workload.standardSequential,
  },
  executor: {
    start: (ctx, ref, args) => executorMode.start(ctx, ref, args),
    status: (ctx, id) => executorMode.status(ctx, id as never),
    fourStep: internal.workload.executorFourStep,
    sequential: internal.workload.executorSequential,
  },
};

function impl(name: string): Impl {
  const found = IMPLS[name];
  if (!found) throw new Error(`Unknown implementation "${name}"`);
  return found;
}

/** Start `count` workflows of one kind, numbered from `first`, in one transaction. */
export const startMany = internalMutation({
  args: {
    impl: v.string(),
    workload: v.union(v.literal("fourStep"), v.literal("sequential")),
    first: v.number(),
    count: v.number(),
    steps: v.optional(v.number()),
  },
  returns: v.array(v.string()),
  handler: async (ctx, args) => {
    const { start, ...refs } = impl(args.impl);
    const ids: string[] = [];
    for (let n = args.first; n < args.first + args.count; n++) {
      const workflowArgs = args.workload === "fourStep" ? { i: n } : { steps: args.steps ?? 1 };
      ids.push(await start(ctx, refs[args.workload], workflowArgs));
    }
    return ids;
  },
});

/** The status of each workflow (used after the measured window, to check the run). */
export const statuses = internalQuery({
  args: { impl: v.string(), ids: v.array(v.string()) },
  returns: v.array(v.object({ type: v.string(), result: v.optional(v.any()) })),
  handler: async (ctx, args) => {
    const { status } = impl(args.impl);
    const out = [];
    for (const id of args.ids) {
      const s = await status(ctx, id);
      out.push({ type: s.type, result: s.type === "completed" ? s.result : undefined });
    }
    return out;
  },
});

/** Scale bench: start `count` executor-mode four-step workflows numbered from `first` with one startMany. */
export const executorStartMany = internalMutation({
  args: { first: v.number(), count: v.number() },
  returns: v.array(v.string()),
  handler: async (ctx, { first, count }) =>
    await executorMode.startMany(
      ctx,
      internal.workload.executorFourStep,
      Array.from({ length: count }, (_, n) => ({ i: first + n })),
    ),
});
