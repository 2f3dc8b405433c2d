// A parent workflow that runs one child workflow per item with `step.runWorkflow`.
//
//   processBatch ──┬── enrichItem("a")  (lookup → store)
//                  ├── enrichItem("b")
//                  └── enrichItem("…")
//
// Each child is a full workflow with its own journal; to the parent it is one step that
// resolves to the child's return value, or throws the child's error. The parent uses
// Promise.allSettled so one bad item doesn't sink the batch.
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation } from "./_generated/server.js";
import { workflow } from "./example.js";

type BatchResult = {
  processed: { item: string; score: number }[];
  failed: { item: string; error: string }[];
  totalScore: number;
};

export const processBatch = workflow.define({
  args: { items: v.array(v.string()) },
  returns: v.object({
    processed: v.array(v.object({ item: v.string(), score: v.number() })),
    failed: v.array(v.object({ item: v.string(), error: v.string() })),
    totalScore: v.number(),
  }),
  handler: async (step, { items }): Promise<BatchResult> => {
    const settled: PromiseSettledResult<{ item: string; score: number }>[] = await Promise.allSettled(
      items.map((item) => step.runWorkflow(internal.batch.enrichItem, { item })),
    );
    const processed: { item: string; score: number }[] = [];
    const failed: { item: string; error: string }[] = [];
    settled.forEach((outcome, i) => {
      if (outcome.status === "fulfilled") processed.push(outcome.value);
      else failed.push({ item: items[i], error: firstLine(outcome.reason) });
    });
    const totalScore = processed.reduce((sum, p) => sum + p.score, 0);
    return { processed, failed, totalScore };
  },
});

/** The child workflow: look the item up, then store the enriched row. */
export const enrichItem = workflow.define({
  args: { item: v.string() },
  returns: v.object({ item: v.string(), score: v.number() }),
  handler: async (step, { item }): Promise<{ item: string; score: number }> => {
    const score: number = await step.runAction(internal.batch.lookupScore, { item });
    await step.runMutation(internal.batch.storeItem, { workflowId: step.workflowId, item, score });
    return { item, score };
  },
});

/** Stand-in for an external lookup; items starting with "bad" are rejected. */
export const lookupScore = internalAction({
  args: { item: v.string() },
  returns: v.number(),
  handler: (_ctx, { item }) => {
    if (item.startsWith("bad")) throw new Error(`Unknown item "${item}"`);
    return [...item].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 100;
  },
});

export const storeItem = internalMutation({
  args: { workflowId: v.string(), item: v.string(), score: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("enrichedItems", args);
    return null;
  },
});

function firstLine(reason: unknown): string {
  const message = reason instanceof Error ? reason.message : String(reason);
  return message.split("\n")[0];
}
