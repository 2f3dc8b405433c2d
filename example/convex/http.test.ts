// The app's HTTP routes (http.ts): the webhook route and the runs console are mounted (the
// console's own tests are console.test.ts); the old /timeline routes are gone. And the
// timeline data the console and the demo's timeline draw: a standard-mode step's attempts.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { internal } from "./_generated/api.js";
import { workflow } from "./example.js";
import { initConvexTest } from "./setup.testing.js";

describe("http routes", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("the console and the webhooks are mounted; /timeline is not", async () => {
    const t = initConvexTest();
    expect((await t.fetch("/workflow/console")).status).toBe(401);
    expect((await t.fetch("/workflow/webhooks/nope", { method: "POST", body: "x" })).status).toBe(404);
    for (const path of ["/timeline", "/timeline.json"]) expect((await t.fetch(path)).status).toBe(404);
  });

  test("a standard-mode step being retried shows its attempts while it runs", async () => {
    const t = initConvexTest();
    // The "accurate" model fails every attempt: 4 in all (MODEL_RETRY), then the step fails.
    const id = await t.mutation((ctx) =>
      workflow.start(ctx, internal.transcription.transcribe, {
        audioUrl: "https://example.com/a.mp3",
        flakyFailures: 10,
      }),
    );
    const accurateStep = async () => {
      const data = await t.query((ctx) =>
        workflow.timelinePage(ctx, { paginationOpts: { cursor: null, numItems: 10 }, order: "desc" }),
      );
      // Step 2 is the "accurate" model (step 1 the "fast" one, requested first).
      return data.page.find((w) => w.workflowId === id)?.steps.find((s) => s.stepNumber === 2);
    };
    const seen: number[] = [];
    for (let i = 0; i < 200 && (await accurateStep())?.outcome !== "failed"; i++) {
      const step = await accurateStep();
      if (step?.outcome === "running" && step.attempts !== null) seen.push(step.attempts);
      await vi.advanceTimersByTimeAsync(25);
    }
    const last = await accurateStep();
    expect(last?.outcome).toBe("failed");
    // Read from the workpool while it ran: counts that only grow, past the first attempt, up to 4.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...seen)).toBeLessThanOrEqual(4);
    // Once the workpool has reported the result it keeps no count: standard mode records none.
    expect(last?.attempts).toBeNull();
  });
});
