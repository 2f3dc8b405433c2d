import { describe, expect, test } from "vitest";
import {
  busyClaimWait,
  ClaimPacing,
  FOLLOW_UP_MIN_MS,
  followUpUntil,
  MIN_WAIT_MS,
  nextWait,
  type WaitInput,
} from "./pacing.js";

const o = { claimIntervalMs: 50, idleClaimIntervalMs: 1_000 };
const base = { now: 10_000, busy: false, expectWorkUntil: 0, emptyClaims: 0, due: [] as Array<number | null> };

describe("busyClaimWait", () => {
  test.each([
    [0, 50],
    [1, 100],
    [2, 200],
    [4, 800],
    [5, 1_000], // capped by the idle interval
    [1_000, 1_000], // no overflow however many
  ])("after %i empty claims: %i ms", (emptyClaims, wait) => {
    expect(busyClaimWait(emptyClaims, o)).toBe(wait);
  });

  test("an executor waiting on a 20 s step makes about 30 claims, not 400", () => {
    let claims = 0;
    for (let t = 0, empty = 0; t < 20_000; empty++, claims++) t += busyClaimWait(empty, o);
    expect(claims).toBeLessThan(30);
    expect(claims).toBeGreaterThan(20);
  });
});

describe("nextWait", () => {
  test.each([
    ["idle: the idle interval", {}, 1_000],
    ["busy, first claim: the claim interval", { busy: true }, 50],
    ["busy, 3 empty claims: doubled 3 times", { busy: true, emptyClaims: 3 }, 400],
    ["busy, many empty claims: capped at the idle interval", { busy: true, emptyClaims: 30 }, 1_000],
    ["follow-ups expected: the claim interval, even idle", { expectWorkUntil: 10_001 }, 50],
    ["follow-ups expected: even before a due flush", { expectWorkUntil: 10_001, due: [10_010] }, 50],
    ["follow-ups over: idle again", { expectWorkUntil: 10_000 }, 1_000],
    ["a due time sooner than the interval", { due: [10_300] }, 300],
    ["the soonest of several due times", { due: [10_300, null, 10_200, 12_000] }, 200],
    ["a due time later than the interval changes nothing", { due: [20_000] }, 1_000],
    ["a past due time: the least wait", { due: [9_000] }, MIN_WAIT_MS],
    ["a due time now: the least wait", { due: [10_000] }, MIN_WAIT_MS],
  ] as const)("%s", (_name, input, wait) => {
    expect(nextWait({ ...base, ...(input as Partial<WaitInput>) }, o)).toBe(wait);
  });

  test("never less than MIN_WAIT_MS, whatever the claim interval", () => {
    expect(nextWait({ ...base, expectWorkUntil: 20_000 }, { claimIntervalMs: 1, idleClaimIntervalMs: 1 })).toBe(
      MIN_WAIT_MS,
    );
    expect(nextWait({ ...base, busy: true }, { claimIntervalMs: 1, idleClaimIntervalMs: 0 })).toBe(MIN_WAIT_MS);
  });
});

describe("followUpUntil", () => {
  test.each([
    [50, FOLLOW_UP_MIN_MS], // six claims of 50 ms are less than the minimum
    [10, FOLLOW_UP_MIN_MS],
    [100, 600], // six claims
    [1_000, 6_000],
  ])("claimIntervalMs %i: %i ms", (claimIntervalMs, ms) => {
    expect(followUpUntil(1_000, { claimIntervalMs, idleClaimIntervalMs: 1_000 }) - 1_000).toBe(ms);
  });
});

describe("ClaimPacing", () => {
  test("empty claims back off; a claim that finds work starts over", () => {
    const pacing = new ClaimPacing(o);
    expect(pacing.nextWait(0, true, [])).toBe(50);
    pacing.claimed(0, null);
    pacing.claimed(0, null);
    expect(pacing.nextWait(0, true, [])).toBe(200);
    pacing.claimed(3, null);
    expect(pacing.nextWait(0, true, [])).toBe(50);
  });

  test("a flush that let workflows go on starts over and claims at the busy interval for a while", () => {
    const pacing = new ClaimPacing(o);
    for (let i = 0; i < 5; i++) pacing.claimed(0, null);
    pacing.expectFollowUps(1_000);
    expect(pacing.nextWait(1_000, false, [])).toBe(50);
    expect(pacing.nextWait(1_000 + FOLLOW_UP_MIN_MS - 1, false, [])).toBe(50);
    expect(pacing.nextWait(1_000 + FOLLOW_UP_MIN_MS, false, [])).toBe(1_000); // idle again
    expect(pacing.nextWait(1_000 + FOLLOW_UP_MIN_MS, true, [])).toBe(50); // the back-off started over
  });

  test("the next task becoming ready (runAt / runAfter) bounds the wait; each claim says it anew", () => {
    const pacing = new ClaimPacing(o);
    pacing.claimed(0, 1_250);
    expect(pacing.nextWait(1_000, false, [])).toBe(250);
    pacing.claimed(0, null);
    expect(pacing.nextWait(1_000, false, [])).toBe(1_000);
  });
});
