/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import workflowTest from "convex-workflow/test";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api.js";
import schema from "./schema.js";
import { workflow } from "./example.js";

const modules = import.meta.glob("./**/*.ts");

function setup() {
  const t = convexTest({ schema, modules, transactionLimits: true } as never);
  workflowTest.register(t);
  return t;
}

describe("smoke", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  test("greeting runs to completion", async () => {
    const t = setup();
    const id = await t.mutation(async (ctx) =>
      workflow.start(ctx, internal.example.greeting, { name: "Ada" }, { onComplete: internal.example.onDone, context: { n: 1 } }),
    );
    await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
    const status = await t.query(async (ctx) => workflow.status(ctx, id));
    expect(status).toEqual({ type: "completed", result: "HELLO, ADA!" });
    const completions = await t.run((ctx) => ctx.db.query("completions").collect());
    expect(completions).toHaveLength(1);
    expect(completions[0].context).toEqual({ n: 1 });
    const effects = await t.run((ctx) => ctx.db.query("effects").collect());
    expect(effects.map((e) => e.value)).toEqual(["HELLO, ADA!AGAIN!"]);
  });
});
