import type { FunctionReference, FunctionReturnType } from "convex/server";
import type { GenericId, Infer, Validator, Value } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import type { WorkflowId } from "../shared/types.js";

/** The installed component, e.g. `components.workflow`. */
export type WorkflowComponent = ComponentApi;

/** The handler's return type according to its `returns` validator (`unknown` without one). */
export type InferFromOptionalValidator<ReturnsValidator> = [ReturnsValidator] extends [Validator<any, any, any>]
  ? Infer<ReturnsValidator>
  : unknown;

export type RunResult<Returns = unknown> =
  | { kind: "success"; returnValue: Returns }
  | { kind: "failed"; error: string }
  | { kind: "canceled" };

/**
 * What the workflow mutation returns: the workflow id when it is called to start a
 * workflow, or `complete` with the result when a replay finished the handler.
 */
export type WorkflowMutationResult<Returns = unknown> =
  | WorkflowId
  | { kind: "complete"; runResult: RunResult<Returns> };

type ReturnOf<Result> = Result extends { kind: "complete"; runResult: infer R }
  ? R extends { kind: "success"; returnValue: infer Returns }
    ? Returns
    : never
  : never;

/** The return type of a workflow, recovered from its function reference. */
export type WorkflowReturnType<Workflow extends FunctionReference<"mutation", any, any>> = ReturnOf<
  FunctionReturnType<Workflow>
>;

export type IdsToStrings<T> =
  T extends GenericId<string>
    ? string
    : T extends (infer U)[]
      ? IdsToStrings<U>[]
      : T extends Record<string, Value | undefined>
        ? { [K in keyof T]: IdsToStrings<T[K]> }
        : T;

/**
 * Per-transaction limits for an inline query or mutation step. Exceeding one throws an
 * error the handler can catch. Only for `inline: true` steps.
 */
export interface TransactionLimits {
  bytesRead?: number;
  bytesWritten?: number;
  databaseQueries?: number;
  documentsRead?: number;
  documentsWritten?: number;
  functionsScheduled?: number;
  scheduledFunctionArgsBytes?: number;
}
