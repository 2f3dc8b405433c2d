import { v } from "convex/values";
import { internalMutation } from "./_generated/server.js";
import { updateConfigRow } from "./config.js";
import { logLevel } from "../shared/logging.js";

/**
 * Component-wide settings, runnable from the CLI:
 * `npx convex run --component workflow utils:updateConfig '{"logLevel":"INFO"}'`.
 */
export const updateConfig = internalMutation({
  args: {
    logLevel: v.optional(logLevel),
    maxParallelism: v.optional(v.number()),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    await updateConfigRow(ctx, args);
    return null;
  },
});
