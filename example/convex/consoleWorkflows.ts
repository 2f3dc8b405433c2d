// Workflows the console's tests drive (console.test.ts, example/viz/console.browser.test.ts):
// one that fails on a bad argument (restart it from the failing step with new args), one that
// waits for an event (send it from the console), and one whose error repeats its input (the
// escaping tests feed it markup).
import { v } from "convex/values";
import { defineEvent } from "convex-workflow";
import { internal } from "./_generated/api.js";
import { internalMutation } from "./_generated/server.js";
import { workflow } from "./example.js";

export const approval = defineEvent({ name: "approval", validator: v.object({ ok: v.boolean() }) });

export const check = internalMutation({
  args: { name: v.string() },
  returns: v.string(),
  handler: async (_ctx, { name }) => {
    if (name.startsWith("bad")) throw new Error(`cannot greet ${name}`);
    return `Hello, ${name}`;
  },
});

/**
 * Step 0 does not depend on the args (so a restart from step 1 with new args replays it as
 * journaled); step 1 fails for names starting with "bad".
 */
export const greetChecked = workflow.define({
  args: { name: v.string() },
  returns: v.string(),
  handler: async (step, { name }): Promise<string> => {
    await step.runMutation(internal.example.record, { key: "console", value: "started" });
    return await step.runMutation(internal.consoleWorkflows.check, { name });
  },
});

/** Waits for an "approval" event, then finishes with it. */
export const awaitApproval = workflow.define({
  args: { request: v.string() },
  returns: v.boolean(),
  handler: async (step, { request }): Promise<boolean> => {
    await step.runMutation(internal.example.record, { key: "request", value: request });
    const { ok } = await step.awaitEvent(approval);
    return ok;
  },
});
