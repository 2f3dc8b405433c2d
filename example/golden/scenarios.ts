// Golden journals: each scenario runs one of the example app's workflows with fixed
// arguments (and fixed outside input: events, payments) and captures its journal — every
// step's name, kind, args and result, nested workflows included — without ids or times.
// record.test.ts writes them to example/golden/<scenario>.json (RECORD_GOLDEN=1);
// example/convex/golden.test.ts re-runs each scenario with today's code and compares.
//
// A journal entry that differs in name, kind or args is what the engine reports as
// "Journal entry mismatch" when it replays a running workflow: a change that would break
// workflows already in flight. A differing result means a step now behaves differently.
import { vi } from "vitest";
import type { WorkflowId, WorkflowStep } from "convex-workflow";
import { api, internal } from "../convex/_generated/api.js";
import { workflow } from "../convex/example.js";
import { DECLINED_PAYMENT_METHOD } from "../convex/orders.js";
import { drain, initConvexTest, type TestConvex } from "../convex/setup.testing.js";

export type GoldenEntry = {
  stepNumber: number;
  name: string;
  kind: string;
  args: unknown;
  runResult: unknown;
  nested?: GoldenEntry[];
};
export type Golden = {
  scenario: string;
  workflow: string;
  args: unknown;
  status: unknown;
  journal: GoldenEntry[];
};

type Scenario = { workflow: string; args: Record<string, unknown>; run: (t: TestConvex) => Promise<WorkflowId> };

const ALICE = { tokenIdentifier: "test|alice", subject: "alice", name: "Alice" };
const BOB = { tokenIdentifier: "test|bob", subject: "bob", name: "Bob" };

/** Let `ms` of fake time pass in small steps, running what falls due. */
async function settle(t: TestConvex, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 100) {
    await vi.advanceTimersByTimeAsync(100);
    await t.finishInProgressScheduledFunctions();
  }
}

const start = (t: TestConvex, ref: any, args: Record<string, unknown>) =>
  t.mutation((ctx) => workflow.start(ctx, ref, args));

export const SCENARIOS: Record<string, Scenario> = {
  greeting: {
    workflow: "example:greeting",
    args: { name: "Ada" },
    run: (t) => start(t, internal.example.greeting, { name: "Ada" }),
  },
  transcribeRetried: {
    workflow: "transcription:transcribe",
    args: { audioUrl: "https://example.com/talk.mp3" },
    run: (t) => start(t, internal.transcription.transcribe, { audioUrl: "https://example.com/talk.mp3" }),
  },
  transcribeExhausted: {
    workflow: "transcription:transcribe",
    args: { audioUrl: "https://example.com/x.mp3", flakyFailures: 10 },
    run: (t) =>
      start(t, internal.transcription.transcribe, { audioUrl: "https://example.com/x.mp3", flakyFailures: 10 }),
  },
  orderConfirmed: {
    workflow: "orders:placeOrder",
    args: { sku: "mug", quantity: 3, paymentMethod: "pm_card_visa_4242" },
    run: async (t) => {
      await t.mutation(internal.orders.restock, { sku: "mug", quantity: 10, priceCents: 1200 });
      return await start(t, internal.orders.placeOrder, {
        sku: "mug",
        quantity: 3,
        paymentMethod: "pm_card_visa_4242",
      });
    },
  },
  orderCompensated: {
    workflow: "orders:placeOrder",
    args: { sku: "mug", quantity: 4, paymentMethod: DECLINED_PAYMENT_METHOD },
    run: async (t) => {
      await t.mutation(internal.orders.restock, { sku: "mug", quantity: 10, priceCents: 1200 });
      return await start(t, internal.orders.placeOrder, {
        sku: "mug",
        quantity: 4,
        paymentMethod: DECLINED_PAYMENT_METHOD,
      });
    },
  },
  batch: {
    workflow: "batch:processBatch",
    args: { items: ["apple", "bad-pear", "plum"] },
    run: (t) => start(t, internal.batch.processBatch, { items: ["apple", "bad-pear", "plum"] }),
  },
  approvalApproved: {
    workflow: "approvals:approvalWorkflow",
    args: { title: "Ship it", approver: BOB.tokenIdentifier },
    run: async (t) => {
      const id = await t
        .withIdentity(ALICE)
        .mutation(api.approvals.requestApproval, { title: "Ship it", approver: BOB.tokenIdentifier });
      await settle(t, 2_000); // the request is opened (a step), well before its deadline
      await t.withIdentity(BOB).mutation(api.approvals.decide, { workflowId: id, approved: true, comment: "lgtm" });
      return id;
    },
  },
  approvalTimedOut: {
    workflow: "approvals:approvalWorkflow",
    args: { title: "Ship it later", approver: BOB.tokenIdentifier, timeoutMs: 60_000 },
    run: (t) =>
      t.withIdentity(ALICE).mutation(api.approvals.requestApproval, {
        title: "Ship it later",
        approver: BOB.tokenIdentifier,
        timeoutMs: 60_000,
      }),
  },
  paymentPaid: {
    workflow: "payments:awaitPayment",
    args: { orderId: "o1", amountCents: 500, timeoutMs: 3_600_000 },
    run: async (t) => {
      const id = await start(t, internal.payments.awaitPayment, {
        orderId: "o1",
        amountCents: 500,
        timeoutMs: 3_600_000,
      });
      await t.mutation(internal.payments.recordPayment, { orderId: "o1", amountCents: 200, reference: "a" });
      await t.mutation(internal.payments.recordPayment, { orderId: "o1", amountCents: 300, reference: "b" });
      return id;
    },
  },
  paymentExpired: {
    workflow: "payments:awaitPayment",
    args: { orderId: "o2", amountCents: 500, timeoutMs: 60_000 },
    run: (t) => start(t, internal.payments.awaitPayment, { orderId: "o2", amountCents: 500, timeoutMs: 60_000 }),
  },
};

/** Ids as convex-test makes them ("…10022workflows"), alone or inside a string. */
const ID = /\d{15,}[A-Za-z_]+/g;

/** Replace ids by stable placeholders (in order of first appearance) and errors by their first line. */
export function normalizer() {
  const names = new Map<string, string>();
  const id = (raw: string) => {
    if (!names.has(raw)) names.set(raw, `<id${names.size}:${raw.replace(/^\d+/, "")}>`);
    return names.get(raw)!;
  };
  const normalize = (value: unknown): unknown => {
    if (typeof value === "string") return value.replace(ID, id);
    if (Array.isArray(value)) return value.map(normalize);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, normalize((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  const result = (r: unknown): unknown => {
    if (r && typeof r === "object" && (r as { kind?: string }).kind === "failed") {
      return { kind: "failed", error: normalize(String((r as { error: string }).error).split("\n")[0]) };
    }
    return normalize(r);
  };
  return { normalize, result };
}

async function stepsOf(t: TestConvex, id: string): Promise<WorkflowStep[]> {
  return (
    await t.query((ctx) =>
      workflow.listSteps(ctx, id as WorkflowId, { paginationOpts: { cursor: null, numItems: 1000 } }),
    )
  ).page;
}

async function journalOf(t: TestConvex, id: string, n: ReturnType<typeof normalizer>): Promise<GoldenEntry[]> {
  const out: GoldenEntry[] = [];
  for (const s of await stepsOf(t, id)) {
    const entry: GoldenEntry = {
      stepNumber: s.stepNumber,
      name: s.name,
      kind: s.kind,
      args: n.normalize(s.args),
      runResult: n.result(s.runResult ?? null),
    };
    if (s.kind === "workflow") entry.nested = await journalOf(t, s.nestedWorkflowId, n);
    out.push(entry);
  }
  return out;
}

/** Run a scenario in a fresh backend with today's code and capture its journal. */
export async function recordScenario(scenario: string): Promise<Golden> {
  const spec = SCENARIOS[scenario];
  if (!spec) throw new Error(`Unknown golden scenario "${scenario}"`);
  vi.useFakeTimers();
  try {
    const t = initConvexTest();
    const n = normalizer();
    const id = await spec.run(t);
    n.normalize(id); // the workflow's own id is always <id0:workflows>
    await drain(t);
    const status = await t.query((ctx) => workflow.status(ctx, id));
    const journal = await journalOf(t, id, n);
    return {
      scenario,
      workflow: spec.workflow,
      args: spec.args,
      status:
        status.type === "failed"
          ? { type: "failed", error: n.normalize(status.error.split("\n")[0]) }
          : n.normalize(status),
      journal,
    };
  } finally {
    vi.useRealTimers();
  }
}

const show = (e: GoldenEntry | undefined) =>
  e ? JSON.stringify({ name: e.name, kind: e.kind, args: e.args }) : "nothing";

/**
 * Differences between a recorded journal and today's. Request differences (name, kind,
 * args) are reported as the engine reports them on replay ("Journal entry mismatch").
 */
export function compareJournals(recorded: GoldenEntry[], current: GoldenEntry[], path = ""): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(recorded.length, current.length); i++) {
    const r = recorded[i];
    const c = current[i];
    const where = `${path}step ${r?.stepNumber ?? c?.stepNumber ?? i}`;
    if (show(r) !== show(c)) {
      out.push(`Journal entry mismatch: ${where} was recorded as ${show(r)} but today's code asks for ${show(c)}`);
      break; // past a mismatch the rest of this journal is not comparable
    }
    if (JSON.stringify(r.runResult) !== JSON.stringify(c.runResult)) {
      out.push(
        `Result mismatch: ${where} ("${r.name}") recorded ${JSON.stringify(r.runResult)}, today ${JSON.stringify(c.runResult)}`,
      );
    }
    if (r.nested || c.nested) out.push(...compareJournals(r.nested ?? [], c.nested ?? [], `${where} → nested `));
  }
  return out;
}

export function compareGolden(recorded: Golden, current: Golden): string[] {
  const out = compareJournals(recorded.journal, current.journal);
  if (JSON.stringify(recorded.status) !== JSON.stringify(current.status)) {
    out.push(`Status mismatch: recorded ${JSON.stringify(recorded.status)}, today ${JSON.stringify(current.status)}`);
  }
  return out;
}
