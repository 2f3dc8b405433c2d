// How many times each action has run, by key: the examples' flaky actions and the tests'
// counted actions all keep their runs in the `attempts` table through this one mutation.
import { v } from "convex/values";
import { internalMutation } from "./_generated/server.js";

/** Counts one run for `key`; returns this run's number (1 for the first). */
export const countAttempt = internalMutation({
  args: { key: v.string() },
  returns: v.number(),
  handler: async (ctx, { key }) => {
    const row = await ctx.db
      .query("attempts")
      .withIndex("key", (q) => q.eq("key", key))
      .unique();
    if (!row) {
      await ctx.db.insert("attempts", { key, count: 1 });
      return 1;
    }
    await ctx.db.patch("attempts", row._id, { count: row.count + 1 });
    return row.count + 1;
  },
});
