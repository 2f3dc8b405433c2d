import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
export { vWorkpoolOptions, type WorkpoolOptionsArg } from "../shared/protocol.js";
import { checkMaxParallelism } from "../shared/validateOptions.js";
import { createLogger, DEFAULT_LOG_LEVEL, type Logger } from "../shared/logging.js";

export const DEFAULT_MAX_PARALLELISM = 25;
export const DEFAULT_RETRY_BEHAVIOR = { maxAttempts: 5, initialBackoffMs: 500, base: 2 };

/**
 * The config row, read once per transaction: the record path, the logger and the workpool
 * all need it, often several times in one mutation. `updateConfigRow` refreshes it.
 */
const configOfTransaction = new WeakMap<object, Promise<Doc<"config"> | null>>();

export async function getConfig(ctx: QueryCtx): Promise<Doc<"config"> | null> {
  let config = configOfTransaction.get(ctx.db);
  if (!config) {
    config = ctx.db.query("config").first();
    configOfTransaction.set(ctx.db, config);
  }
  return await config;
}

export async function getLogger(ctx: QueryCtx): Promise<Logger> {
  const config = await getConfig(ctx);
  return createLogger(config?.logLevel ?? DEFAULT_LOG_LEVEL);
}

/** Write the settings given; leave the others as they are. Creates the row on first use. */
export async function updateConfigRow(
  ctx: MutationCtx,
  settings: { logLevel?: Doc<"config">["logLevel"]; maxParallelism?: number; retention?: Doc<"config">["retention"] },
): Promise<void> {
  if (settings.maxParallelism !== undefined) validateMaxParallelism(settings.maxParallelism);
  const config = await getConfig(ctx);
  configOfTransaction.delete(ctx.db);
  if (!config) {
    await ctx.db.insert("config", {
      logLevel: settings.logLevel ?? DEFAULT_LOG_LEVEL,
      maxParallelism: settings.maxParallelism,
      ...(settings.retention ? { retention: settings.retention } : {}),
    });
    return;
  }
  const patch: Partial<Doc<"config">> = {};
  if (settings.logLevel && settings.logLevel !== config.logLevel) patch.logLevel = settings.logLevel;
  if (settings.maxParallelism !== undefined && settings.maxParallelism !== config.maxParallelism) {
    patch.maxParallelism = settings.maxParallelism;
  }
  if (settings.retention !== undefined) patch.retention = settings.retention;
  if (Object.keys(patch).length > 0) await ctx.db.patch("config", config._id, patch);
}

export function validateMaxParallelism(n: number): void {
  checkMaxParallelism("maxParallelism", n);
}
