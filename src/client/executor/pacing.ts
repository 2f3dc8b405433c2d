// When the executor claims next: how long its loop sleeps before the next turn. Pure: the
// loop passes in the clock and what it holds. docs/executor-mode.md#from-a-result-to-the-next-step.

/**
 * After recording results that let workflows go on, claim at the busy interval for this many
 * more claims (and for at least FOLLOW_UP_MIN_MS): their next steps land on this shard (a
 * workflow's steps share a shard) as soon as the coordinator has replayed them, usually within
 * tens of ms.
 */
export const FOLLOW_UP_CLAIMS = 6;
export const FOLLOW_UP_MIN_MS = 300;
/** The shortest sleep between turns of the executor's loop. */
export const MIN_WAIT_MS = 5;
/** Empty claims past this many no longer double the busy wait (it is capped by the idle interval anyway). */
const MAX_DOUBLINGS = 20;

export type PacingOptions = { claimIntervalMs: number; idleClaimIntervalMs: number };

/** Until when to keep claiming at the busy interval after a flush that let workflows go on. */
export function followUpUntil(now: number, o: PacingOptions): number {
  return now + Math.max(FOLLOW_UP_MIN_MS, FOLLOW_UP_CLAIMS * o.claimIntervalMs);
}

/**
 * The wait before the next claim while the executor has work in hand: `claimIntervalMs`,
 * doubled per claim in a row that came back empty, up to `idleClaimIntervalMs`.
 */
export function busyClaimWait(emptyClaims: number, o: PacingOptions): number {
  return Math.min(o.idleClaimIntervalMs, o.claimIntervalMs * 2 ** Math.min(emptyClaims, MAX_DOUBLINGS));
}

export type WaitInput = {
  now: number;
  /** The executor holds work: tasks running, waiting for a retry, or results to record. */
  busy: boolean;
  /** Until then, claim at the busy interval even when idle: follow-up steps are on their way. */
  expectWorkUntil: number;
  /** Claims in a row that found nothing. */
  emptyClaims: number;
  /** Times the loop must not sleep past (a due flush, a due retry, a task becoming ready); null for none. */
  due: Array<number | null>;
};

/**
 * How long to sleep before the next turn. While busy, the first claim comes after
 * `claimIntervalMs`, and each claim that comes back empty doubles the wait (up to
 * `idleClaimIntervalMs`), so an executor waiting on slow steps does not query its shard 20
 * times a second; a claim that finds work, or a flush that lets workflows go on, starts over.
 * Idle, it waits `idleClaimIntervalMs`. Never past a due time, never less than MIN_WAIT_MS.
 */
export function nextWait(input: WaitInput, o: PacingOptions): number {
  const { now } = input;
  if (now < input.expectWorkUntil) return Math.max(o.claimIntervalMs, MIN_WAIT_MS);
  let wait = input.busy ? busyClaimWait(input.emptyClaims, o) : o.idleClaimIntervalMs;
  for (const at of input.due) if (at !== null) wait = Math.min(wait, at - now);
  return Math.max(wait, MIN_WAIT_MS);
}

/** The claim pacing state of one executor. */
export class ClaimPacing {
  private expectWorkUntil = 0;
  private emptyClaims = 0;
  /** When the next not-yet-ready task (runAt / runAfter) on the shard becomes ready, if any. */
  private nextReadyAt: number | null = null;

  constructor(private readonly o: PacingOptions) {}

  /** A claim returned `found` tasks, and said when the next one becomes ready. */
  claimed(found: number, nextReadyAt: number | null): void {
    this.nextReadyAt = nextReadyAt;
    this.emptyClaims = found > 0 ? 0 : this.emptyClaims + 1;
  }

  /** Results were recorded that let workflows go on: their next steps come soon. */
  expectFollowUps(now: number): void {
    this.emptyClaims = 0;
    this.expectWorkUntil = followUpUntil(now, this.o);
  }

  nextWait(now: number, busy: boolean, due: Array<number | null>): number {
    const { expectWorkUntil, emptyClaims, nextReadyAt } = this;
    return nextWait({ now, busy, expectWorkUntil, emptyClaims, due: [...due, nextReadyAt] }, this.o);
  }
}
