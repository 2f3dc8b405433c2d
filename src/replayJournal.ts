// Replay tests for users (SPEC 4.1, docs/versioning.md), exported from `convex-workflow/test`:
// `replayJournal(workflow, recorded)` runs a workflow's handler in-process against a journal
// recorded by a real run (`exportJournal`, or `{ args, steps }` as `listSteps` returns them),
// with no database: each step the handler asks for is answered from the journal, exactly as a
// replay after a deploy would. It resolves when every recorded step matches and rejects with
// the engine's `Journal entry mismatch` error otherwise: keep journals of your workflows as
// fixtures and test every change against them.
import { BaseChannel } from "async-channel";
import { validate } from "convex-helpers/validators";
import type { WorkflowId, WorkflowStep } from "./shared/types.js";
import type { JournalEntry } from "./shared/protocol.js";
import { DEFAULT_BATCH_STEPS, DEFAULT_WEBHOOK_PATH_PREFIX } from "./shared/limits.js";
import { installEnvironment } from "./client/replay/environment.js";
import { journalMismatch, Replayer, type StepCall } from "./client/replay/replayer.js";
import { definitionOf, runControls } from "./client/replay/runControls.js";
import type { StepJournal } from "./client/replay/stepJournal.js";
import { createWorkflowCtx } from "./client/replay/workflowContext.js";
import type { WorkflowComponent } from "./client/types.js";

/** One recorded step: a `WorkflowStep` (journals recorded before versions may lack `version`). */
export type RecordedStep = Omit<WorkflowStep, "version" | "workflowId" | "stepId"> & {
  version?: number;
  workflowId?: string;
  stepId?: string;
};

/** A recorded journal: what `exportJournal` returns (its other fields are ignored here). */
export type RecordedJournal = { args: unknown; workflowId?: string; steps: RecordedStep[] };

/** Thrown (and caught) when the handler asks for a step past the recording: it matched. */
class EndOfRecording extends Error {}

/**
 * Replay `workflow` (the mutation `workflow.define` / `defineWorkflow` returned: import it
 * from your module) against `recorded`. Resolves when the handler asked for every recorded
 * step in order (and then asks for more, finishes, or continues as new); rejects with the
 * `Journal entry mismatch` error at the first step it asks for differently, when it finishes
 * without asking for recorded steps, and with the error of a `step.journal` call that fails.
 * Steps recorded without a result (the run was waiting on them) are compared too, as the
 * steps the handler asks for once the results end.
 */
export async function replayJournal(workflow: unknown, recorded: RecordedJournal): Promise<void> {
  const definition = definitionOf(workflow);
  if (typeof recorded !== "object" || recorded === null || !Array.isArray(recorded.steps)) {
    throw new Error("replayJournal needs a recorded journal: { args, steps } (see exportJournal)");
  }
  const workflowId = (recorded.workflowId ?? recorded.steps[0]?.workflowId ?? "replayJournal") as WorkflowId;
  const steps = [...recorded.steps].sort((a, b) => a.stepNumber - b.stepNumber);
  const firstOpen = steps.findIndex((s) => !s.runResult);
  const finished = (firstOpen < 0 ? steps : steps.slice(0, firstOpen)).map((s) => toEntry(workflowId, s));
  const open = (firstOpen < 0 ? [] : steps.slice(firstOpen)).map((s) => toEntry(workflowId, s));
  const channel = new BaseChannel<StepCall>(DEFAULT_BATCH_STEPS);
  const end = new EndOfRecording("end of the recorded journal");
  const replayer = new Replayer({
    workflowId,
    ctx: undefined as never, // nothing past the recording runs
    entries: finished,
    journal: NO_JOURNAL,
    channel,
    replayTime: Math.max(0, ...steps.map((s) => s.startedAt ?? 0)),
    maxBatch: DEFAULT_BATCH_STEPS,
    version: definition.version,
    onPastJournal: (batch) => {
      // The steps the recorded run was waiting on must be the ones asked for now.
      for (let i = 0; i < Math.min(batch.length, open.length); i++) {
        const mismatch = journalMismatch(batch[i], open[i], definition.version);
        if (mismatch) throw mismatch;
      }
      if (batch.length < open.length) {
        throw unasked(open[batch.length], "waited on it");
      }
      throw end;
    },
  });
  const run = runControls(replayer, definition.checkArgs);
  const step = createWorkflowCtx(
    workflowId,
    channel,
    {
      component: undefined as unknown as WorkflowComponent,
      baseUrl: "https://replay.invalid",
      pathPrefix: DEFAULT_WEBHOOK_PATH_PREFIX,
    },
    {},
    run.controls,
  );
  const restore = installEnvironment(workflowId, replayer.clock);
  try {
    const handlerDone = (async () => {
      try {
        if (definition.argsValidator) validate(definition.argsValidator, recorded.args, { throw: true });
        await definition.handler(step, recorded.args as never);
      } catch (error) {
        // A handler that fails where the recorded run failed replays fine; a failing
        // `step.journal` call does not.
        if (replayer.journalError) throw replayer.journalError;
        if (replayer.remaining.length > 0 || open.length > 0) throw error;
      }
      return "done" as const;
    })();
    const replayerRun = replayer.run();
    replayerRun.catch(() => undefined);
    handlerDone.catch(() => undefined);
    await Promise.race([handlerDone, replayerRun, run.continued]);
    if (replayer.journalError) throw replayer.journalError;
    const left = replayer.remaining[0] ?? open[0];
    if (left) throw unasked(left, "recorded it");
  } catch (error) {
    if (error !== end) throw error;
  } finally {
    restore();
  }
}

function unasked(entry: JournalEntry, what: string): Error {
  const recorded = JSON.stringify({ name: entry.step.name, kind: entry.step.kind ?? "function" });
  return new Error(
    `Journal entry mismatch: step ${entry.stepNumber} was recorded as ${recorded} (version ${entry.step.version ?? 0}) ` +
      `but the handler no longer asks for it (the recorded run ${what}). Skip steps old runs recorded with ` +
      "`step.journal.consumeNext(name)` under a branch on `step.journal.getVersion()` (docs/versioning.md).",
  );
}

const NO_JOURNAL: StepJournal = {
  journal: async () => {
    throw new Error("replayJournal: nothing is journaled past the recording");
  },
};

/** A recorded step as the replayer reads a journal entry (only what replay compares and returns). */
function toEntry(workflowId: string, s: RecordedStep): JournalEntry {
  return {
    _id: s.stepId ?? `step${s.stepNumber}`,
    workflowId,
    stepNumber: s.stepNumber,
    step: {
      kind: s.kind,
      name: s.name,
      args: s.args,
      runResult: s.runResult,
      inProgress: !s.runResult,
      queuedAt: s.startedAt ?? 0,
      argsSize: 0,
      ...(s.version !== undefined && { version: s.version }),
    },
  } as JournalEntry;
}
