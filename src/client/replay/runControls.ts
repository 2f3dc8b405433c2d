// What a replay gives `step` beyond the channel (SPEC 4.1, docs/versioning.md): `step.journal`
// (read from the replayer) and `step.continueAsNew` (which ends the replay with the next run's
// args). Also where a workflow mutation keeps its definition for `replayJournal`.
import type { Validator } from "convex/values";
import type { WorkflowHandler } from "../index.js";
import type { Replayer } from "./replayer.js";
import type { RunControls } from "./workflowContext.js";

/** How a replay ends when the handler called `step.continueAsNew(args)`. */
export type ContinueAsNew = { kind: "continueAsNew"; args: unknown };

/** The controls for one replay, and a promise that settles when the handler continues as new. */
export function runControls(
  replayer: Pick<Replayer, "getVersion" | "getStepCount" | "consumeNext" | "noteSent">,
  checkArgs: (args: unknown) => void,
): { controls: RunControls; continued: Promise<{ type: "continue"; args: unknown }> } {
  let resolve!: (value: { type: "continue"; args: unknown }) => void;
  const continued = new Promise<{ type: "continue"; args: unknown }>((r) => (resolve = r));
  let done = false;
  const controls: RunControls = {
    journal: {
      getVersion: () => replayer.getVersion(),
      getStepCount: () => replayer.getStepCount(),
      consumeNext: (name) => replayer.consumeNext(name),
    },
    noteSent: () => replayer.noteSent(),
    continueAsNew: async (args) => {
      if (done) throw new Error("step.continueAsNew was already called in this run");
      checkArgs(args);
      done = true;
      resolve({ type: "continue", args });
      return await new Promise<never>(() => undefined);
    },
  };
  return { controls, continued };
}

/** What `replayJournal` needs of a workflow definition. */
export type DefinitionForReplay = {
  handler: WorkflowHandler<any, any>;
  version: number;
  /** Throws if `args` would be refused by `step.continueAsNew`. */
  checkArgs: (args: unknown) => void;
  argsValidator: Validator<any, any, any> | undefined;
};

const DEFINITION = Symbol.for("convex-workflow.definition");

export function attachDefinition(mutation: object, definition: DefinitionForReplay): void {
  Object.defineProperty(mutation, DEFINITION, { value: definition, enumerable: false });
}

/** The definition behind a mutation `workflow.define` (or `defineWorkflow`) returned. */
export function definitionOf(mutation: unknown): DefinitionForReplay {
  const definition =
    typeof mutation === "function" || (typeof mutation === "object" && mutation !== null)
      ? (mutation as Record<symbol, DefinitionForReplay | undefined>)[DEFINITION]
      : undefined;
  if (!definition) {
    throw new Error(
      "replayJournal needs a workflow as `workflow.define` or `defineWorkflow` returned it (the module's export, " +
        "e.g. `import { myWorkflow } from './convex/myWorkflows'`), not a function reference like internal.x.y",
    );
  }
  return definition;
}
