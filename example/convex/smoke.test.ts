import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api.js";
import { workflow } from "./example.js";
import { drain, initConvexTest } from "./setup.testing.js";

describe("smoke", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  test("greeting runs to completion", async () => {
    const t = initConvexTest();
    const id = await t.mutation(async (ctx) =>
      workflow.start(
        ctx,
        internal.example.greeting,
        { name: "Ada" },
        { onComplete: internal.example.onDone, context: { n: 1 } },
      ),
    );
    await drain(t);
    const status = await t.query(async (ctx) => workflow.status(ctx, id));
    expect(status).toEqual({ type: "completed", result: "HELLO, ADA!" });
    const completions = await t.run((ctx) => ctx.db.query("completions").collect());
    expect(completions).toHaveLength(1);
    expect(completions[0].context).toEqual({ n: 1 });
    const effects = await t.run((ctx) => ctx.db.query("effects").collect());
    expect(effects.map((e) => e.value)).toEqual(["HELLO, ADA!AGAIN!"]);
  });
});
