// Versioning (SPEC 4.1, docs/versioning.md): the checks and messages both sides share.
import { describeValue } from "./validateOptions.js";

/** A definition's `version`: a whole number from 0 (the default) up. */
export function checkVersion(name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(
      `${name} \`version\` must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** The hint every journal mismatch ends with. */
export const VERSIONING_HINT =
  "To change a workflow while runs are in flight, raise its `version` and branch on " +
  "`step.journal.getVersion()` (old runs replay the old steps, new runs take the new ones; " +
  "`step.journal.consumeNext(name)` skips a step old runs recorded). See docs/versioning.md.";
