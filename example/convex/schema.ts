import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  /** Side effects of example steps, one row per mutation step run. */
  effects: defineTable({ key: v.string(), workflowId: v.optional(v.string()), value: v.optional(v.any()) }).index(
    "key",
    ["key"],
  ),
  /** What onComplete handlers received. */
  completions: defineTable({ workflowId: v.string(), result: v.any(), context: v.any() }).index("workflowId", [
    "workflowId",
  ]),
  /** Flaky action attempts, to demonstrate retries. */
  attempts: defineTable({ key: v.string(), count: v.number() }).index("key", ["key"]),
});
