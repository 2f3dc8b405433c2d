// The component functions the console calls, in one place. Functions a component version may
// not have yet (pause, resume, cancelMany: SPEC 4.3's engine half) are looked up by name, and
// the console answers 400 "not supported" where they are missing.
import type { FunctionReference, GenericActionCtx, GenericDataModel } from "convex/server";
import type { WorkflowComponent } from "../types.js";

type Ctx = GenericActionCtx<GenericDataModel>;
type AnyMutation = FunctionReference<"mutation", "internal" | "public">;

/** `component.workflow.<name>` if this component version has it. */
export function optionalMutation(component: WorkflowComponent, name: string): AnyMutation | null {
  const fn = (component.workflow as unknown as Record<string, unknown>)[name];
  return fn ? (fn as AnyMutation) : null;
}

export class ConsoleRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 405,
    message: string,
  ) {
    super(message);
  }
}

/** A component error as the operator should read it: its first line, without the runtime's prefix. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.replace(/^(\[[^\]]*\]\s*)*(Uncaught\s+)?(Error|ConvexError):\s*/, "").slice(0, 2000);
}

/** Runs a component call; a thrown error becomes 404 (no such workflow) or 400 (anything else the caller caused). */
export async function callComponent<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = describeError(error);
    if (/not found|Invalid workflow ID/i.test(message)) throw new ConsoleRequestError(404, message);
    throw new ConsoleRequestError(400, message);
  }
}

export async function runMutationByName(
  ctx: Ctx,
  component: WorkflowComponent,
  name: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  const fn = optionalMutation(component, name);
  if (!fn) {
    throw new ConsoleRequestError(400, `this version of the workflow component has no "${name}"`);
  }
  return await callComponent(() => ctx.runMutation(fn, args));
}
