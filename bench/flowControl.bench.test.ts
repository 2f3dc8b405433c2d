// Flow control's cost per start (docs/flow-control.md#cost): documents written and functions
// scheduled by one start of the same workflow body without and with a concurrency limit (a
// free slot), counted by the embedded backend's transaction metrics (lib/instrument.ts).
// Run alone: `npx vitest run --config vitest.bench.config.ts bench/flowControl.bench.test.ts`.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "../example/convex/_generated/api.js";
import { flow } from "../example/convex/flowControlWorkflows.js";
import { initConvexTest } from "../example/convex/setup.testing.js";
import { startCounting, stopCounting } from "./lib/instrument.js";

type Cost = { written: number; read: number; scheduled: number };

describe("flow control: cost per start", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("a concurrency limit with a free slot adds at most 2 writes and no scheduled function", async () => {
    const t = initConvexTest();
    const measure = async (limited: boolean, key: string): Promise<Cost> => {
      const counters = startCounting();
      await t.mutation((ctx) =>
        flow.start(ctx, limited ? internal.flowControlWorkflows.costLimited : internal.flowControlWorkflows.costPlain, {
          key,
        }),
      );
      stopCounting();
      return { written: counters.documentsWritten, read: counters.documentsRead, scheduled: counters.scheduled };
    };
    // Warm both (first-use rows: counters, config, the key's slot row), then measure steady state.
    await measure(false, "warm");
    await measure(true, "warm");
    const plain = await measure(false, "k");
    const limited = await measure(true, "warm");
    const limitedNewKey = await measure(true, "fresh");
    const extra = {
      written: limited.written - plain.written,
      read: limited.read - plain.read,
      scheduled: limited.scheduled - plain.scheduled,
    };
    console.log(
      `flow control cost per start: plain ${JSON.stringify(plain)}, limited ${JSON.stringify(limited)}, ` +
        `extra ${JSON.stringify(extra)}; limited on a new key ${JSON.stringify(limitedNewKey)}`,
    );
    expect(extra.written).toBeLessThanOrEqual(2);
    expect(extra.scheduled).toBe(0);
  });
});
