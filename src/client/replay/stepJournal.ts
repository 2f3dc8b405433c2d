// Where the replayer journals the steps a handler asks for past the end of its journal.
// Two ways, one interface: a replay of one workflow journals each batch itself, with the
// component's `startSteps` (`ComponentJournal`); a replay group (executor mode) collects
// the batches and returns them to the component's coordinator, which journals them in the
// same transaction (`CollectingJournal`). Both keep the journal within MAX_JOURNAL_SIZE.
import type { WorkpoolOptions } from "@convex-dev/workpool";
import type { GenericDataModel, GenericMutationCtx } from "convex/server";
import { getConvexSize, type Value } from "convex/values";
import { journalSizeError } from "../../shared/errors.js";
import { MAX_JOURNAL_SIZE } from "../../shared/limits.js";
import type { JournalEntry, StepRequest, WireStep } from "../../shared/protocol.js";
import type { WorkflowComponent } from "../types.js";

/** The bytes of one workflow's journal, as the replayer reads and extends it. */
export class JournalSize {
  constructor(
    readonly workflowId: string,
    public bytes = 0,
  ) {}

  /** The size of the journal a replay starts from; throws if it is already too large. */
  static of(workflowId: string, entries: JournalEntry[]): JournalSize {
    const size = new JournalSize(workflowId);
    size.add(entries.reduce((sum, entry) => sum + getConvexSize(entry as Value), 0));
    return size;
  }

  /**
   * Count `bytes` more; throws the journal size error once the total passes MAX_JOURNAL_SIZE.
   * `crossing` names the entry that crossed it, where it has one.
   */
  add(bytes: number, crossing?: { name: string; id: string }): void {
    this.bytes += bytes;
    if (this.bytes <= MAX_JOURNAL_SIZE) return;
    const error = journalSizeError(this.bytes, this.workflowId);
    throw new Error(crossing ? `${error} The step that crossed it was "${crossing.name}" (${crossing.id}).` : error);
  }
}

/** Where a replay journals each batch of new steps. */
export interface StepJournal {
  /**
   * Journal one batch (its inline steps already ran), counting it into `size`, and return
   * each step as journaled, in order: a step with a `runResult` finished at once.
   */
  journal(batch: StepRequest[], size: JournalSize): Promise<WireStep[]>;
}

/** A replay of one workflow: each batch goes to the component's `startSteps` at once. */
export class ComponentJournal implements StepJournal {
  constructor(
    private readonly options: {
      ctx: GenericMutationCtx<GenericDataModel>;
      component: WorkflowComponent;
      workflowId: string;
      generationNumber: number;
      workpoolOptions: WorkpoolOptions | undefined;
    },
  ) {}

  async journal(batch: StepRequest[], size: JournalSize): Promise<WireStep[]> {
    const { ctx, component, workflowId, generationNumber, workpoolOptions } = this.options;
    const entries = (await ctx.runMutation(component.journal.startSteps, {
      workflowId,
      generationNumber,
      steps: batch,
      workpoolOptions,
    })) as JournalEntry[];
    for (const entry of entries) size.add(getConvexSize(entry), { name: entry.step.name, id: entry._id });
    return entries.map((entry) => entry.step);
  }
}

/**
 * A replay group (executor mode): the batches are collected in `steps`, for the
 * component's coordinator to journal in the same transaction. Each step counts as its
 * `step` alone (no ids yet), the batch checked against the limit as a whole.
 */
export class CollectingJournal implements StepJournal {
  /** Every step requested past the journal, in order. */
  readonly steps: StepRequest[] = [];

  async journal(batch: StepRequest[], size: JournalSize): Promise<WireStep[]> {
    this.steps.push(...batch);
    size.add(batch.reduce((sum, { step }) => sum + getConvexSize(step as Value), 0));
    return batch.map(({ step }) => step as WireStep);
  }
}
