// The implementations the bench compares. A new one is one more entry here (plus its workflow
// definitions and an IMPLS entry in ../convex/workload.ts); the runner, counters and report
// take the list as it is.
import type { TestConvex } from "convex-test";
import { anyApi } from "convex/server";

export type Implementation = {
  /** Key passed to the bench app's `startMany` (see IMPLS in ../convex/workload.ts). */
  id: string;
  /** Column heading. */
  label: string;
  /** The component path the implementation is installed under in the bench app. */
  component: string;
  /** False until it can run; the report shows `note` in its column instead. */
  available: boolean;
  note?: string;
  /** Anything to do on a fresh backend before the measured window (e.g. start executors). */
  setup?: (t: TestConvex<any>) => Promise<void>;
};

export const IMPLEMENTATIONS: Implementation[] = [
  { id: "upstream", label: "(a) @convex-dev/workflow 0.4.8", component: "upstream", available: true },
  { id: "standard", label: "(b) ours, standard", component: "workflow", available: true },
  {
    id: "executor",
    label: "(c) ours, executor",
    component: "workflow",
    available: true,
    // Before the measured window, like deploying the app: executors are started once.
    setup: async (t) => {
      await t.mutation(anyApi.workload.startExecutors, {});
    },
  },
];

/** The baseline every ratio is taken against. */
export const BASELINE = "upstream";
