import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  // One row per mutation step the workload runs: the side effect the bench checks.
  results: defineTable({ impl: v.string(), workflow: v.string(), value: v.number() }),
});
