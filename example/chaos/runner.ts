// Runs one chaos seed against a fresh convex-test backend: starts the generated workflows,
// applies the planned interference and sends at their phases while letting fake time pass,
// drives everything to an end (sending the events untimed awaits still wait for), checks
// the invariants (invariants.ts), then cleans up and checks nothing is left.
//
// Reproducibility: the plan (programs, faults, interference, kills) is a pure function of
// (seed, mode). In standard mode the interleaving is deterministic too (time advances in
// fixed chunks and every fired function finishes before the next chunk). In executor mode
// the executors are long-running actions, so they progress on real event-loop turns: a
// seed replays the same plan, but the exact interleaving can differ between runs.
import { vi } from "vitest";
import type { WorkflowId, WorkflowStep } from "convex-workflow";
import type { GenericMutationCtx } from "convex/server";
import { internal } from "../convex/_generated/api.js";
import type { DataModel } from "../convex/_generated/dataModel.js";
import {
  chaos,
  chaosControl,
  chaosExec,
  resetChaosControl,
  type Leaf,
  type Program,
  webhookName,
} from "../convex/chaosWorkflows.js";
import { initConvexTest } from "../convex/setup.testing.js";
import {
  DEFAULT_LIMITS,
  generatePlan,
  leavesOf,
  type Limits,
  type Mode,
  pathTag,
  type Plan,
  Rng,
  type RootPlan,
  type SendPlan,
  type WebhookPlan,
} from "./generator.js";
import {
  checkAll,
  type FinalState,
  type FinalWorkflow,
  hookResult,
  sameValue,
  type Status,
  isRunning,
  statusToResult,
  type WebhookCall,
} from "./invariants.js";

const realSetTimeout = globalThis.setTimeout;
const realLog = console.log.bind(console);
/** CHAOS_TRACE=1: print what the runner does, as it does it (for debugging a seed). */
const trace = (...args: unknown[]) => {
  if (process.env.CHAOS_TRACE) realLog("[chaos]", ...args);
};
const realTick = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));
const realDelay = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

export type SeedResult = {
  seed: number;
  mode: Mode;
  workflows: number;
  steps: number;
  faults: number;
  kills: number;
  interference: number;
  /** Webhook calls by answer status, e.g. { "200": 3, "409": 1 }. */
  webhookCalls: Record<string, number>;
  /** Flow control: gated roots, and how often one was seen queued (checked at each phase). */
  flow?: { gatedRoots: number; queuedSeen: number };
  /** Pause and resume calls that paused or resumed a workflow (the rest were no-ops or refused). */
  pauses?: { paused: number; resumed: number };
  violations: string[];
  ms: number;
};

export type RunOptions = { limits?: Limits; verbose?: boolean };

export async function runSeed(seed: number, mode: Mode, options: RunOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const plan = generatePlan(seed, mode, options.limits ?? DEFAULT_LIMITS);
  const verbose = options.verbose ?? !!process.env.CHAOS_VERBOSE;
  const silenced = verbose
    ? []
    : (["log", "info", "warn", "error", "debug"] as const).map((m) =>
        vi.spyOn(console, m).mockImplementation(() => {}),
      );
  vi.useFakeTimers();
  const run = new ChaosRun(plan);
  try {
    await run.run();
  } catch (error) {
    run.violations.push(`runner: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    vi.useRealTimers();
    for (const spy of silenced) spy.mockRestore();
  }
  return {
    ...run.stats(),
    flow: { gatedRoots: plan.roots.filter((r) => r.flow).length, queuedSeen: run.flowQueuedSeen },
    seed,
    mode,
    violations: run.violations,
    ms: Math.round(performance.now() - started),
  };
}

type RunResult = NonNullable<ReturnType<typeof statusToResult>>;
type Info = { tag: string; program: Program; isRoot: boolean; root: number; parent?: string };
type Ctx = GenericMutationCtx<DataModel>;

const canonical = (value: unknown) => JSON.stringify(value);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

class ChaosRun {
  readonly t = initConvexTest();
  readonly rng: Rng;
  readonly m: typeof chaos;
  readonly flow;
  readonly rootIds: Array<WorkflowId | undefined>;
  readonly gen = new Map<string, number>();
  readonly earlierRuns = new Map<string, RunResult[]>();
  readonly restartedRoots = new Set<number>();
  readonly info = new Map<string, Info>();
  readonly deleted = new Set<string>();
  readonly latestByTag = new Map<string, string>();
  readonly ledger = new Map<string, { ok: number; canceled: number }>();
  readonly sent = new Map<string, unknown[]>();
  readonly eventIds = new Set<string>();
  readonly flagsSet = new Set<string>();
  readonly violations: string[] = [];
  pendingSends: SendPlan[] = [];
  pendingHooks: WebhookPlan[] = [];
  /** Every call of a webhook URL, in order, with what the runner saw just before it. */
  readonly hookCalls: WebhookCall[] = [];
  interferenceDone = 0;
  pauses = { paused: 0, resumed: 0 };
  executorRestarts = 0;
  deletedSteps = 0;
  finalSteps = 0;
  faultsHit = 0;
  sendCounter = 0;

  constructor(readonly plan: Plan) {
    this.rng = new Rng(plan.seed ^ 0x5eed5);
    this.m = plan.mode === "standard" ? chaos : chaosExec;
    this.flow = plan.mode === "standard" ? internal.chaosWorkflows.standardFlow : internal.chaosWorkflows.executorFlow;
    this.rootIds = plan.roots.map(() => undefined);
  }

  /** Flow control: the gated definition a root with `flow` is started as. */
  gatedFlow(flow: RootPlan["flow"]) {
    if (!flow) return undefined;
    const c = internal.chaosWorkflows;
    if (this.plan.mode === "standard") return flow.limit === 1 ? c.gated1Standard : c.gated2Standard;
    return flow.limit === 1 ? c.gated1Exec : c.gated2Exec;
  }

  flowQueuedSeen = 0;

  /** The workflow mutation that replays `id`: its own definition (a gated root's is not `this.flow`). */
  replayRef(id: string) {
    const info = this.info.get(id);
    return (info?.isRoot && this.gatedFlow(this.plan.roots[info.root].flow)) || this.flow;
  }

  /** Flow control: never more roots of one gate running (begun, not finished) than its limit. */
  async checkFlowLimits(when: string): Promise<void> {
    const byGate = new Map<string, { limit: number; running: string[] }>();
    for (const [r, root] of this.plan.roots.entries()) {
      const id = this.rootIds[r];
      if (!root.flow || !id || this.deleted.has(id)) continue;
      const status = await this.status(id).catch(() => null);
      if (status?.type === "queued") this.flowQueuedSeen++;
      if (status?.type !== "inProgress") continue;
      const gate = byGate.get(root.flow.gate) ?? { limit: root.flow.limit, running: [] };
      gate.running.push(root.tag);
      byGate.set(root.flow.gate, gate);
    }
    for (const [gate, { limit, running }] of byGate) {
      if (running.length > limit) {
        this.violation(
          `flow control (${when}): ${running.length} running on gate ${gate} (limit ${limit}): ${running.join(", ")}`,
        );
      }
    }
  }

  violation(text: string) {
    this.violations.push(text);
  }

  stats() {
    return {
      workflows: this.info.size,
      steps: this.finalSteps + this.deletedSteps,
      faults: this.faultsHit,
      kills: chaosControl.claimKills + chaosControl.flushKills,
      interference: this.interferenceDone,
      pauses: this.pauses,
      webhookCalls: this.hookCalls.reduce<Record<string, number>>(
        (n, c) => ({ ...n, [c.status]: (n[c.status] ?? 0) + 1 }),
        {},
      ),
    };
  }

  // -------------------------------------------------------------------------------------
  // Reading through the public API.

  async status(id: string): Promise<Status> {
    return (await this.t.query((ctx) => this.m.status(ctx, id as WorkflowId))) as Status;
  }

  async steps(id: string): Promise<WorkflowStep[]> {
    const out: WorkflowStep[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await this.t.query((ctx) =>
        this.m.listSteps(ctx, id as WorkflowId, { paginationOpts: { cursor, numItems: 200 } }),
      );
      out.push(...page.page);
      if (page.isDone) return out;
      cursor = page.continueCursor;
    }
  }

  /**
   * Run `fn` in one transaction between two snapshots of the given workflows (status and
   * journal) and the app's chaos tables, so "nothing changed" is exact even while other
   * functions (executors) run concurrently.
   */
  async atomic(ids: string[], fn: (ctx: Ctx) => Promise<unknown>) {
    return await this.t.mutation(async (ctx) => {
      const snap = async () =>
        canonical({
          workflows: await Promise.all(
            ids.map(async (id) => {
              try {
                const steps = await this.m.listSteps(ctx, id as WorkflowId, {
                  paginationOpts: { cursor: null, numItems: 500 },
                });
                return { status: await this.m.status(ctx, id as WorkflowId), steps: steps.page };
              } catch (error) {
                return { error: message(error) };
              }
            }),
          ),
          app: await ctx.runQuery(internal.chaosWorkflows.snapshot, {}),
        });
      const before = await snap();
      let value: unknown = null;
      let error: string | null = null;
      try {
        value = (await fn(ctx)) ?? null;
      } catch (e) {
        error = message(e);
      }
      const after = await snap();
      return {
        before,
        after,
        value: value as string | boolean | null,
        error,
        // A queued (flow control) or paused workflow is running to cancel and restart: not yet finished.
        wasRunning: ['"type":"inProgress"', '"type":"queued"', '"type":"paused"'].some((s) => before.includes(s)),
      };
    });
  }

  /** A call that must be rejected: with an error naming `id` and matching `pattern`, changing nothing. */
  expectRejected(
    what: string,
    id: string,
    pattern: RegExp,
    r: { before: string; after: string; error: string | null },
  ) {
    if (r.error === null) this.violation(`${what}: accepted, expected an error matching ${pattern}`);
    else if (!pattern.test(r.error) || !r.error.includes(id))
      this.violation(`${what}: unclear error "${r.error}" (want ${pattern} naming ${id})`);
    if (r.before !== r.after) this.violation(`${what}: rejected, but data changed`);
  }

  // -------------------------------------------------------------------------------------
  // Workflows and their children.

  register(id: string, info: Info) {
    if (!this.info.has(id)) this.info.set(id, info);
    this.latestByTag.set(info.tag, id);
  }

  live(): string[] {
    return [...this.info.keys()].filter((id) => !this.deleted.has(id));
  }

  /** Find nested workflows started since we last looked. */
  async discover(): Promise<void> {
    const queue = this.live();
    const seen = new Set<string>();
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const parent = this.info.get(id)!;
      for (const entry of await this.steps(id)) {
        if (entry.kind !== "workflow" || !entry.nestedWorkflowId) continue;
        const childId = entry.nestedWorkflowId as string;
        if (this.info.has(childId)) {
          if (!this.deleted.has(childId)) queue.push(childId);
          continue;
        }
        const leaf = childLeaf(parent.program, entry.name);
        if (!leaf) {
          this.violation(`discover: ${parent.tag} (${id}) has nested workflow step "${entry.name}" not in its program`);
          continue;
        }
        this.register(childId, {
          tag: `${parent.tag}/${leaf.key}`,
          program: leaf.program,
          isRoot: false,
          root: parent.root,
          parent: id,
        });
        queue.push(childId);
      }
    }
  }

  resolve(tag: string): string | undefined {
    const id = this.latestByTag.get(tag);
    return id && !this.deleted.has(id) ? id : undefined;
  }

  // -------------------------------------------------------------------------------------
  // The run.

  async run(): Promise<void> {
    const { plan } = this;
    resetChaosControl({
      killClaimAt: plan.killClaimAt,
      killFlushAt: plan.killFlushAt,
      failMutationGroupAt: plan.failMutationGroupAt,
    });
    await this.t.mutation(internal.chaosWorkflows.planFaults, { faults: plan.faults });
    if (plan.startExecutorsFirst) await this.t.mutation((ctx) => chaosExec.startExecutors(ctx));
    this.pendingSends = plan.sends.filter((s) => s.at >= 0);
    this.pendingHooks = plan.webhooks.filter((h) => h.when !== "never");
    for (let phase = 0; phase < plan.phaseMs.length; phase++) {
      trace(`phase ${phase} (+${plan.phaseMs[phase]} ms)`);
      for (const [r, root] of plan.roots.entries()) if (root.startAt === phase) await this.start(r);
      if (this.pendingSends.some((s) => s.at <= phase && s.path.children.length > 0)) await this.discover();
      await this.sendDue(phase);
      await this.callWebhooksDue(phase);
      for (const action of plan.interference) if (action.at === phase) await this.interfere(action);
      await this.checkFlowLimits(`phase ${phase}`);
      await this.advance(plan.phaseMs[phase]);
      await this.checkFlowLimits(`after phase ${phase}`);
    }
    await this.endGame();
    await this.checkFinal();
    await this.cleanupAndCheck();
  }

  async start(r: number): Promise<void> {
    const root = this.plan.roots[r];
    const args = { tag: root.tag, program: root.program };
    const options = root.onComplete
      ? {
          onComplete: internal.chaosWorkflows.chaosOnComplete,
          context: { tag: root.tag, throwOn: root.onComplete.throwOn },
          startAsync: root.startAsync,
        }
      : { startAsync: root.startAsync };
    const gated = this.gatedFlow(root.flow);
    const id = root.flow
      ? await this.t.mutation((ctx) =>
          this.m.start(ctx, gated!, { ...args, gate: root.flow!.gate }, {
            ...options,
            idempotencyKey: root.flow!.idempotencyKey,
          } as never),
        )
      : await this.t.mutation((ctx) => this.m.start(ctx, this.flow, args, options as never));
    if (root.flow?.idempotencyKey) {
      // A second start with the key returns the same workflow and starts nothing.
      const again = await this.t.mutation((ctx) =>
        this.m.start(ctx, gated!, { ...args, gate: root.flow!.gate }, {
          ...options,
          idempotencyKey: root.flow!.idempotencyKey,
        } as never),
      );
      if (again !== id) this.violation(`idempotency: a second start of ${root.tag} returned ${again}, not ${id}`);
    }
    this.rootIds[r] = id;
    this.gen.set(id, 0);
    this.earlierRuns.set(id, []);
    this.register(id, { tag: root.tag, program: root.program, isRoot: true, root: r });
    // Sends planned "early" go out right after the start, before the workflow gets to its await.
    this.pendingSends.push(
      ...this.plan.sends.filter((s) => s.at < 0 && s.path.root === r).map((s) => ({ ...s, at: 0 })),
    );
    if (this.plan.sends.some((s) => s.at < 0 && s.path.root === r && s.path.children.length === 0)) {
      await this.sendDue(Number.MAX_SAFE_INTEGER, r);
    }
    if (this.pendingHooks.some((h) => h.when === "early" && h.path.root === r)) await this.callWebhooksDue(-1, r);
  }

  // -------------------------------------------------------------------------------------
  // Webhooks: called over HTTP (t.fetch), as the outside world would.

  /** A webhook op's URL path and await entry in the current journal of `workflowId`. */
  async findHook(workflowId: string, key: string) {
    const steps = await this.steps(workflowId);
    const made = steps.find((s) => hookResult(s)?.name === webhookName(key));
    const created = made && hookResult(made)!;
    const awaited = created
      ? steps.find((s) => s.kind === "event" && (s.args as { eventId?: string })?.eventId === created.eventId)
      : undefined;
    return created ? { ...created, awaited } : undefined;
  }

  /**
   * Calls due: "early" as soon as the URL exists, "twice" from phase `at`, "late" once the
   * await has a result (it timed out). A plan whose workflow or URL is not there yet waits.
   */
  async callWebhooksDue(phase: number, onlyRoot?: number): Promise<void> {
    const rootTags = this.plan.roots.map((r) => r.tag);
    const later: WebhookPlan[] = [];
    for (const plan of this.pendingHooks) {
      const id =
        onlyRoot === undefined || plan.path.root === onlyRoot ? this.resolve(pathTag(rootTags, plan.path)) : undefined;
      const hook = id && (plan.when !== "twice" || plan.at <= phase) ? await this.findHook(id, plan.key) : undefined;
      if (!id || !hook || (plan.when === "late" && !hook.awaited?.runResult)) {
        later.push(plan);
        continue;
      }
      await this.callWebhook(id, plan.key, hook.url, plan.when === "twice" ? 2 : 1);
    }
    this.pendingHooks = later;
  }

  /** POST `count` different values to `url` at once; checks each answer against what was true before. */
  async callWebhook(workflowId: string, key: string, url: string, count: number): Promise<void> {
    this.interferenceDone++;
    const tag = this.info.get(workflowId)!.tag;
    const before = await this.status(workflowId).catch(() => null);
    const hook = await this.findHook(workflowId, key);
    const batchId = this.hookCalls.length;
    const bodies = Array.from({ length: count }, () => `v:${tag}/${webhookName(key)}#${++this.sendCounter}`);
    trace("webhook", workflowId, key, count);
    const answers = await Promise.all(
      bodies.map(async (body) => {
        const response = await this.t.fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: response.status, json: (await response.json()) as unknown };
      }),
    );
    trace("webhook answers", answers.map((a) => a.status).join(","));
    answers.forEach((answer, i) => {
      this.hookCalls.push({
        workflowId,
        tag,
        key,
        url,
        body: bodies[i],
        status: answer.status,
        json: answer.json,
        endedBefore: before !== null && !isRunning(before),
        awaitDoneBefore: hook?.url === url ? (hook.awaited?.runResult?.kind ?? null) : null,
        batchId,
        run: this.gen.get(workflowId) ?? 0,
      });
      if (answer.status === 200) {
        const k = `${workflowId}|${webhookName(key)}`;
        this.sent.set(k, [...(this.sent.get(k) ?? []), bodies[i]]);
      }
    });
  }

  async sendDue(phase: number, onlyRoot?: number): Promise<void> {
    const rootTags = this.plan.roots.map((r) => r.tag);
    const later: SendPlan[] = [];
    for (const send of this.pendingSends) {
      const due =
        send.at <= phase &&
        (onlyRoot === undefined || (send.path.root === onlyRoot && send.path.children.length === 0));
      const id = due ? this.resolve(pathTag(rootTags, send.path)) : undefined;
      if (!id) {
        later.push(send);
        continue;
      }
      await this.send(id, send);
    }
    this.pendingSends = later;
  }

  async send(workflowId: string, send: Pick<SendPlan, "name" | "error" | "duplicate">): Promise<void> {
    this.interferenceDone++;
    const n = ++this.sendCounter;
    trace("send", workflowId, JSON.stringify(send));
    const tag = this.info.get(workflowId)!.tag;
    const payload = send.error ? { error: `chaos error #${n} for ${tag}/${send.name}` } : `v:${tag}/${send.name}#${n}`;
    const key = `${workflowId}|${send.name}`;
    let eventId: string;
    try {
      eventId = await this.t.mutation((ctx) =>
        this.m.sendEvent(
          ctx,
          send.error
            ? { workflowId: workflowId as WorkflowId, name: send.name, error: (payload as { error: string }).error }
            : { workflowId: workflowId as WorkflowId, name: send.name, value: payload },
        ),
      );
    } catch (error) {
      this.violation(`send: "${send.name}" to ${tag} (${workflowId}) threw: ${message(error)}`);
      return;
    }
    this.eventIds.add(eventId);
    this.sent.set(key, [...(this.sent.get(key) ?? []), payload]);
    if (send.duplicate === "byId") {
      const r = await this.atomic([workflowId], (ctx) =>
        this.m.sendEvent(ctx, { id: eventId as never, value: "duplicate" }),
      );
      this.expectRejected(`duplicate send by id ${eventId}`, eventId, /already (sent|consumed)|timed out/, r);
    } else if (send.duplicate === "byName") {
      await this.send(workflowId, { ...send, duplicate: "none" });
    }
  }

  async interfere(action: Plan["interference"][number]): Promise<void> {
    this.interferenceDone++;
    trace("interfere", JSON.stringify(action));
    if (action.kind === "flag") return await this.setFlag(action.tag);
    if (action.kind === "startExecutors") {
      this.executorRestarts++;
      await this.t.mutation((ctx) => chaosExec.startExecutors(ctx));
      return;
    }
    const id = this.rootIds[action.root];
    if (!id) return;
    switch (action.kind) {
      case "cancel":
        return await this.cancel(id);
      case "pause":
        return await this.pauseOrResume(id, "pause");
      case "resume":
        return await this.pauseOrResume(id, "resume");
      case "restart":
        if (action.at !== "afterFinish") await this.restart(action.root, action.from, action.startAsync);
        return;
      case "staleReplay": {
        const gen = this.gen.get(id)!;
        const stale = gen > 0 ? gen - 1 : gen + 1;
        const r = await this.atomic([id], (ctx) =>
          ctx.runMutation(this.replayRef(id), { workflowId: id, generationNumber: stale } as never),
        );
        if (r.error) this.violation(`stale replay of ${id} (generation ${stale}, current ${gen}) threw: ${r.error}`);
        else if (r.before !== r.after)
          this.violation(`stale replay of ${id} (generation ${stale}, current ${gen}) changed data`);
        return;
      }
      case "redeliverReplay": {
        // The same replay delivered twice (e.g. a retried scheduled call): harmless either way.
        const gen = this.gen.get(id)!;
        for (let i = 0; i < 2; i++) {
          try {
            await this.t.mutation(this.replayRef(id), { workflowId: id, generationNumber: gen } as never);
          } catch (error) {
            this.violation(`re-delivered replay #${i + 1} of ${id} (generation ${gen}) threw: ${message(error)}`);
          }
        }
        return;
      }
      case "cleanupEarly": {
        // Only while it runs (checked in the same transaction): cleanup must refuse, changing nothing.
        const r = await this.atomic([id], async (ctx) =>
          isRunning(await this.m.status(ctx, id)) ? await this.m.cleanup(ctx, id) : "skipped",
        );
        if (r.value === "skipped") return;
        if (r.value !== false || r.error)
          this.violation(`cleanup of running ${id} returned ${String(r.value)} ${r.error ?? ""}`);
        if (r.before !== r.after) this.violation(`cleanup of running ${id} changed data`);
        return;
      }
    }
  }

  async setFlag(tag: string): Promise<void> {
    if (this.flagsSet.has(tag)) return;
    this.flagsSet.add(tag);
    await this.t.mutation(internal.chaosWorkflows.setFlag, { key: tag });
    const owner = this.resolve(tag.slice(0, tag.lastIndexOf("/")));
    if (owner) await this.t.mutation((ctx) => this.m.notify(ctx, owner as WorkflowId));
  }

  async cancel(id: string): Promise<void> {
    const r = await this.atomic([id], (ctx) => this.m.cancel(ctx, id as WorkflowId));
    if (!r.wasRunning) return this.expectRejected(`cancel of finished ${id}`, id, /not running/, r);
    if (r.error) return this.violation(`cancel of running ${id} threw: ${r.error}`);
    this.gen.set(id, this.gen.get(id)! + 1);
    const status = await this.status(id);
    if (status.type !== "canceled") this.violation(`cancel of ${id}: status is ${status.type} right after`);
  }

  /**
   * Pause (or resume) a root: a running one is paused (a paused one resumed); a queued one
   * cannot be paused, a finished one neither paused nor resumed (clear errors, nothing
   * changed); anything else is a no-op.
   */
  async pauseOrResume(id: string, action: "pause" | "resume"): Promise<void> {
    const r = await this.atomic([id], (ctx) =>
      action === "pause" ? this.m.pause(ctx, id as WorkflowId) : this.m.resume(ctx, id as WorkflowId),
    );
    const was = (type: string) => r.before.includes(`"type":"${type}"`);
    if (!r.wasRunning) return this.expectRejected(`${action} of finished ${id}`, id, /not running/, r);
    if (action === "pause" && was("queued")) return this.expectRejected(`pause of queued ${id}`, id, /is queued/, r);
    if (r.error) return this.violation(`${action} of ${id} threw: ${r.error}`);
    const changes = action === "pause" ? was("inProgress") : was("paused");
    if (!changes && r.before !== r.after) this.violation(`${action} of ${id}: a no-op, but data changed`);
    if (changes) this.pauses[action === "pause" ? "paused" : "resumed"]++;
    const status = (await this.status(id)).type;
    const expected = action === "pause" ? "paused" : "inProgress";
    if (changes && status !== expected && status !== "canceled")
      this.violation(`${action} of ${id}: status is ${status} right after`);
  }

  async restart(r: number, from: "none" | "number" | "name" | "last", startAsync: boolean): Promise<void> {
    const id = this.rootIds[r]!;
    const status = await this.status(id);
    if (isRunning(status)) {
      const res = await this.atomic([id], (ctx) => this.m.restart(ctx, id as WorkflowId, { from: 0 }));
      return this.expectRejected(`restart of running ${id}`, id, /still running/, res);
    }
    const steps = await this.steps(id);
    let fromArg: number | string | undefined;
    let fromNumber = Number.POSITIVE_INFINITY;
    if (from === "number") fromArg = fromNumber = this.rng.int(0, steps.length);
    if (from === "last" && steps.length > 0) fromArg = fromNumber = steps.length - 1;
    if (from === "name" && steps.length > 0) {
      fromArg = this.rng.pick(steps).name;
      fromNumber = Math.max(...steps.filter((s) => s.name === fromArg).map((s) => s.stepNumber));
    }
    // What the restart deletes: successful mutation runs stay counted in the ledger.
    const ledger = new Map<string, { ok: number; canceled: number }>();
    const gone: string[] = [];
    let goneSteps = 0;
    const account = async (workflowId: string, entries: WorkflowStep[]) => {
      goneSteps += entries.length;
      for (const entry of entries) {
        if (entry.kind === "function" && entry.name === "chaosWorkflows:chaosMutation") {
          const k = `${workflowId}|${(entry.args as { key: string }).key}`;
          const n = ledger.get(k) ?? { ok: 0, canceled: 0 };
          if (entry.runResult?.kind === "success") n.ok++;
          if (entry.runResult?.kind === "canceled") n.canceled++;
          ledger.set(k, n);
        }
        if (entry.kind === "event" && entry.eventId) this.eventIds.add(entry.eventId);
        if (entry.kind === "workflow" && entry.nestedWorkflowId) {
          const child = entry.nestedWorkflowId as string;
          if (!this.info.has(child)) {
            const leaf = childLeaf(this.info.get(workflowId)!.program, entry.name);
            const parent = this.info.get(workflowId)!;
            if (leaf)
              this.register(child, {
                tag: `${parent.tag}/${leaf.key}`,
                program: leaf.program,
                isRoot: false,
                root: r,
                parent: workflowId,
              });
          }
          gone.push(child);
          await account(child, await this.steps(child));
        }
      }
    };
    await account(
      id,
      steps.filter((s) => s.stepNumber >= fromNumber),
    );
    const res = await this.atomic([id], (ctx) => this.m.restart(ctx, id as WorkflowId, { from: fromArg, startAsync }));
    if (res.error) return this.violation(`restart of finished ${id} from ${String(fromArg)} threw: ${res.error}`);
    this.earlierRuns.get(id)!.push(statusToResult(status)!);
    for (const [k, n] of ledger) {
      const total = this.ledger.get(k) ?? { ok: 0, canceled: 0 };
      this.ledger.set(k, { ok: total.ok + n.ok, canceled: total.canceled + n.canceled });
    }
    for (const child of gone) this.deleted.add(child);
    this.deletedSteps += goneSteps;
    this.gen.set(id, this.gen.get(id)! + 1);
    this.restartedRoots.add(r);
  }

  /** Let `ms` of fake time pass in chunks, letting what fired run in between. */
  async advance(ms: number): Promise<void> {
    const chunk = this.plan.mode === "standard" ? 50 : 100;
    let left = ms;
    do {
      const d = Math.min(chunk, left);
      await vi.advanceTimersByTimeAsync(d);
      if (this.plan.mode === "standard") await this.t.finishInProgressScheduledFunctions();
      else for (let i = 0; i < 3; i++) await realTick();
      left -= d;
    } while (left > 0);
  }

  /** True if a scheduled function (an executor, say) is still running after a few real turns. */
  async inFlight(): Promise<boolean> {
    let done = false;
    void this.t.finishInProgressScheduledFunctions().then(() => (done = true));
    for (let i = 0; i < 3 && !done; i++) await realTick();
    return !done;
  }

  /**
   * Executor mode's drain. `drain(t)` fires every timer at once (vi.runAllTimers), which
   * jumps the clock past the watchdog's next run while an executor (a long-running action)
   * is still between two awaits: the watchdog then finds it silent and starts another,
   * forever. Here time moves smoothly (50 ms at a time) while anything runs, and jumps to the
   * next timer only when nothing does.
   */
  async drainSmoothly(maxSteps = 30_000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      if (await this.inFlight()) {
        await vi.advanceTimersByTimeAsync(50);
        continue;
      }
      if (vi.getTimerCount() === 0) return;
      await vi.advanceTimersToNextTimerAsync();
    }
    throw new Error(`drainSmoothly: still busy after ${maxSteps} steps`);
  }

  /** `drain`, with the state of every workflow and shard in the error if it does not settle. */
  async drain(): Promise<void> {
    try {
      if (this.plan.mode === "standard") {
        // `drain(t)` in bounded chunks: an error inside a scheduled function surfaces here
        // instead of leaving the backend waiting forever.
        for (let chunk = 0; ; chunk++) {
          try {
            await this.t.finishAllScheduledFunctions(vi.runAllTimers, 200);
            break;
          } catch (e) {
            if (!/too many iterations/.test(message(e)) || chunk >= 50) throw e;
          }
        }
      } else await this.drainSmoothly();
    } catch (error) {
      const state = await Promise.race([
        this.describeState(),
        realDelay(3_000).then(() => ["(the backend no longer answers)"]),
      ]);
      throw new Error(`${message(error)}\n  state at the failed drain:\n  ${state.join("\n  ")}`);
    }
  }

  async describeState(): Promise<string[]> {
    {
      const state: string[] = [];
      for (const id of this.live()) {
        const status = await this.status(id).catch((e: unknown) => message(e));
        const steps = await this.steps(id).catch(() => []);
        state.push(
          `${this.info.get(id)!.tag} ${canonical(status).slice(0, 200)} steps ${steps.map((s) => `${s.stepNumber}:${s.name}:${s.runResult?.kind ?? "running"}`).join(",")}`,
        );
      }
      if (this.plan.mode === "executor")
        state.push(`shards ${canonical(await this.t.query((ctx) => chaosExec.diagnose(ctx)))}`);
      state.push(
        `control ${canonical({ ...chaosControl, killClaimAt: [...chaosControl.killClaimAt], killFlushAt: [...chaosControl.killFlushAt], failMutationGroupAt: [...chaosControl.failMutationGroupAt], onCompleteCalls: [...chaosControl.onCompleteCalls] })}`,
      );
      return state;
    }
  }

  /**
   * Drive every workflow to its end: drain; send the events awaits still wait for; run the
   * restarts planned for after the finish; repeat. After a drain nothing may be waiting on
   * anything but an event (that would be a stranded workflow).
   */
  async endGame(): Promise<void> {
    // Conditions without a deadline would wait forever: set their flags now.
    for (const root of this.plan.roots) {
      for (const { tag, op } of leavesOf(root.tag, root.program)) {
        if (op.t === "wait" && op.timeout === undefined) await this.setFlag(`${tag}/${op.key}`);
      }
    }
    const restarts = this.plan.interference.filter((a) => a.kind === "restart" && a.at === "afterFinish");
    for (let round = 0; round < 20; round++) {
      trace(`endGame round ${round}: drain`);
      await this.drain();
      await this.checkFlowLimits(`endGame round ${round}`);
      await this.discover();
      // Settled: every running workflow must be waiting for an event (which we then send).
      const blocked: string[] = [];
      for (const id of this.live()) {
        const status = await this.status(id).catch((e: unknown) => ({ type: "missing", error: message(e) }) as const);
        if (status.type === "missing") {
          this.violation(`endGame: ${this.info.get(id)!.tag} (${id}) vanished: ${status.error}`);
          this.deleted.add(id);
          continue;
        }
        if (status.type !== "inProgress") continue;
        const all = await this.steps(id);
        const running = all.filter((s) => !s.runResult);
        // Waiting is fine only for an event, or for a nested workflow that is itself still running.
        const waitingOk = async (s: WorkflowStep) =>
          s.kind === "event" ||
          (s.kind === "workflow" &&
            (await this.status(s.nestedWorkflowId).then(
              (c) => c.type === "inProgress",
              () => false,
            )));
        const ok = await Promise.all(running.map(waitingOk));
        if (running.length === 0 || ok.includes(false)) {
          this.violation(
            `stranded: ${this.info.get(id)!.tag} (${id}) is running after a drain, waiting on ` +
              (running.length ? running.map((s) => `${s.kind} "${s.name}"`).join(", ") : "nothing") +
              `; journal: ${all.map((s) => `${s.stepNumber}:${s.name}:${s.runResult?.kind ?? "running"}@${s.startedAt}-${s.completedAt ?? ""}`).join(", ")}`,
          );
          continue;
        }
        blocked.push(id);
      }
      const sendsBefore = this.sendCounter;
      await this.sendDue(Number.MAX_SAFE_INTEGER); // planned sends first
      await this.callWebhooksDue(Number.MAX_SAFE_INTEGER);
      for (const id of blocked) {
        const steps = await this.steps(id);
        for (const e of steps.filter((s) => !s.runResult && s.kind === "event")) {
          const made = steps.find((s) => hookResult(s)?.name === e.name);
          if (made) await this.callWebhook(id, e.name.slice("hook:".length), hookResult(made)!.url, 1);
          else await this.send(id, { name: e.name, error: false, duplicate: "none" });
        }
      }
      let acted = this.sendCounter > sendsBefore;
      for (const action of restarts.splice(0)) {
        if (action.kind !== "restart") continue;
        const id = this.rootIds[action.root];
        if (!id) continue;
        if (isRunning(await this.status(id))) {
          restarts.push(action);
          continue;
        }
        this.interferenceDone++;
        await this.restart(action.root, action.from, action.startAsync);
        acted = true;
      }
      if (!acted) return;
    }
    this.violation("endGame: did not settle in 20 rounds");
  }

  async checkFinal(): Promise<void> {
    trace("checkFinal");
    const workflows: FinalWorkflow[] = [];
    for (const id of this.live()) {
      const info = this.info.get(id)!;
      let status: Status;
      try {
        status = await this.status(id);
      } catch (error) {
        this.violation(`final: ${info.tag} (${id}) vanished: ${message(error)}`);
        continue;
      }
      // Flow control: every queued workflow eventually begins or is canceled.
      if (status.type === "queued") this.violation(`final: ${info.tag} (${id}) is still queued`);
      const steps = await this.steps(id);
      for (const s of steps) if (s.kind === "event" && s.eventId) this.eventIds.add(s.eventId);
      this.finalSteps += steps.length;
      const onComplete = info.isRoot ? this.plan.roots[info.root].onComplete : null;
      workflows.push({
        id,
        tag: info.tag,
        program: info.program,
        isRoot: info.isRoot,
        status,
        steps,
        earlierRuns: this.earlierRuns.get(id) ?? [],
        onComplete,
        restartedLineage: this.restartedRoots.has(info.root),
      });
    }
    const app = (await this.t.query(internal.chaosWorkflows.snapshot, {})) as {
      effects: FinalState["effects"];
      attempts: FinalState["attempts"];
      completions: FinalState["completions"];
    };
    const faults = new Map(this.plan.faults.map((f) => [f.key, f.failTimes]));
    const state: FinalState = {
      mode: this.plan.mode,
      workflows,
      everSeen: new Set(this.info.keys()),
      ...app,
      onCompleteCalls: chaosControl.onCompleteCalls,
      ledger: this.ledger,
      faults,
      sent: this.sent,
      webhookCalls: this.hookCalls,
      executorDisruptions: chaosControl.claimKills + chaosControl.flushKills + this.executorRestarts,
    };
    this.violations.push(...(await checkAll(state)));

    // Faults that actually fired.
    for (const a of app.attempts) this.faultsHit += Math.min(a.count, faults.get(a.key) ?? 0);
    for (const w of workflows) {
      for (const s of w.steps) {
        if (
          s.runResult?.kind === "failed" &&
          /chaosQuery|chaosMutation/.test(s.name) &&
          s.runResult.error.includes("planned fault")
        ) {
          this.faultsHit++;
        }
      }
      if (w.onComplete)
        this.faultsHit += w.onComplete.throwOn.filter((n) => n <= (chaosControl.onCompleteCalls.get(w.id) ?? 0)).length;
    }
    this.faultsHit += chaosControl.claimKills + chaosControl.flushKills + chaosControl.mutationGroupFails;

    // A replay of a finished workflow in its current generation is a no-op.
    for (const w of workflows) {
      if (isRunning(w.status)) continue;
      const gen = w.isRoot ? this.gen.get(w.id)! : w.status.type === "canceled" ? 1 : 0;
      const r = await this.atomic([w.id], (ctx) =>
        ctx.runMutation(this.replayRef(w.id), { workflowId: w.id, generationNumber: gen } as never),
      );
      if (r.error) this.violation(`replay of finished ${w.tag} (${w.id}) threw: ${r.error}`);
      else if (r.value !== w.id) this.violation(`replay of finished ${w.tag} (${w.id}) returned ${canonical(r.value)}`);
      if (r.before !== r.after) this.violation(`replay of finished ${w.tag} (${w.id}) changed data`);
    }

    // Counts by status agree with the workflows.
    const counts = await this.t.query((ctx) => this.m.counts(ctx));
    const tally = { running: 0, success: 0, failed: 0, canceled: 0, queued: 0, paused: 0 };
    for (const w of workflows)
      tally[
        w.status.type === "queued" || w.status.type === "paused"
          ? w.status.type
          : (statusToResult(w.status)?.kind ?? "running")
      ]++;
    if (!sameValue(counts.total, tally))
      this.violation(`counts: ${canonical(counts.total)} but the workflows are ${canonical(tally)}`);

    if (this.plan.mode === "executor") await this.checkQueueEmpty("finished");
  }

  /** No journal entry still carries a `task` (diagnose counts them per shard's queue). */
  async checkQueueEmpty(when: string): Promise<void> {
    const shards = await this.t.query((ctx) => chaosExec.diagnose(ctx));
    const queued = shards.reduce((n, s) => n + s.queued, 0);
    if (queued > 0)
      this.violation(
        `taskQueue: ${queued} journal entr${queued === 1 ? "y" : "ies"} still with a task once every workflow ${when}`,
      );
  }

  /** Cleanup after the end: nothing of any workflow may remain. */
  async cleanupAndCheck(): Promise<void> {
    trace("cleanupAndCheck");
    for (const id of this.rootIds) {
      if (!id) continue;
      const done = await this.t.mutation((ctx) => this.m.cleanup(ctx, id));
      if (done !== true) this.violation(`cleanup of finished root ${id} returned ${String(done)}`);
    }
    await this.drain();
    const listed = await this.t.query((ctx) => this.m.list(ctx));
    if (listed.page.length > 0)
      this.violation(
        `cleanup: ${listed.page.length} workflow(s) still listed: ${listed.page.map((w) => w.workflowId).join(", ")}`,
      );
    for (const id of this.info.keys()) {
      await this.status(id).then(
        () => this.violation(`cleanup: status of ${id} still readable`),
        (e: unknown) =>
          /not found/i.test(message(e)) || this.violation(`cleanup: status of ${id}: unexpected error ${message(e)}`),
      );
      const steps = await this.t.query((ctx) => this.m.listSteps(ctx, id as WorkflowId));
      if (steps.page.length > 0) this.violation(`cleanup: ${steps.page.length} step(s) of ${id} remain`);
    }
    for (const eventId of this.eventIds) {
      const r = await this.atomic([], (ctx) => this.m.sendEvent(ctx, { id: eventId as never, value: "after cleanup" }));
      if (r.error === null) this.violation(`cleanup: event ${eventId} still accepts a send`);
      else if (!/not found/i.test(r.error) || !r.error.includes(eventId))
        this.violation(`cleanup: send to event ${eventId}: unclear error "${r.error}"`);
    }
    // Every webhook URL is closed with its workflow: 410 (its row stays, holding only the token's hash), or 404.
    for (const url of new Set(this.hookCalls.map((c) => c.url))) {
      const response = await this.t.fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify("after cleanup"),
      });
      if (response.status !== 410 && response.status !== 404)
        this.violation(`cleanup: a webhook URL of a cleaned-up workflow answered ${response.status}`);
    }
    // A late send by name to a cleaned-up workflow fails and names it.
    const root = this.rootIds.find((id) => id !== undefined);
    if (root) {
      const r = await this.atomic([], (ctx) => this.m.sendEvent(ctx, { workflowId: root, name: "late", value: 1 }));
      this.expectRejected(`late send to cleaned-up ${root}`, root, /not found/i, r);
    }
    const counts = await this.t.query((ctx) => this.m.counts(ctx));
    if (!sameValue(counts.total, { running: 0, success: 0, failed: 0, canceled: 0, queued: 0, paused: 0 })) {
      this.violation(`cleanup: counts still ${canonical(counts.total)}`);
    }
    if (this.plan.mode === "executor") await this.checkQueueEmpty("was cleaned up");
  }
}

function childLeaf(program: Program, stepName: string): Extract<Leaf, { t: "child" }> | undefined {
  for (const op of program.ops) {
    for (const leaf of op.t === "parallel" ? op.ops : [op]) {
      if (leaf.t === "child" && `child:${leaf.key}` === stepName) return leaf;
    }
  }
  return undefined;
}

/** Summary lines for a set of seed results. */
export function summarize(results: SeedResult[]): string {
  const sum = (f: (r: SeedResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const failing = results.filter((r) => r.violations.length > 0);
  const byMode = (mode: Mode) => results.filter((r) => r.mode === mode).length;
  const lines = [
    `chaos: ${results.length} seed runs (${byMode("standard")} standard, ${byMode("executor")} executor) in ${(sum((r) => r.ms) / 1000).toFixed(1)} s`,
    `  workflows ${sum((r) => r.workflows)}, steps ${sum((r) => r.steps)}, faults injected ${sum((r) => r.faults)} ` +
      `(executor deaths ${sum((r) => r.kills)}), interference ${sum((r) => r.interference)}`,
    `  webhook calls ${
      Object.entries(
        results.reduce<Record<string, number>>((n, r) => {
          for (const [k, c] of Object.entries(r.webhookCalls)) n[k] = (n[k] ?? 0) + c;
          return n;
        }, {}),
      )
        .map(([k, c]) => `${c}×${k}`)
        .join(", ") || "none"
    }`,
    `  flow control: ${sum((r) => r.flow?.gatedRoots ?? 0)} gated roots, seen queued ${sum((r) => r.flow?.queuedSeen ?? 0)} times`,
    `  pause: ${sum((r) => r.pauses?.paused ?? 0)} running workflows paused, ${sum((r) => r.pauses?.resumed ?? 0)} paused ones resumed`,
    `  invariant violations: ${sum((r) => r.violations.length)} in ${failing.length} run(s)`,
  ];
  for (const r of failing.slice(0, 20)) {
    lines.push(`  FAIL seed ${r.seed} (${r.mode}) — reproduce: npm run chaos -- --seed ${r.seed} --mode ${r.mode}`);
    for (const v of r.violations.slice(0, 5)) lines.push(`    - ${v.split("\n")[0].slice(0, 400)}`);
  }
  return lines.join("\n");
}
