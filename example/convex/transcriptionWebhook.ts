// Waiting for an outside service to call back: the webhook pattern (docs/webhooks.md).
//
//   createWebhook ── submitJob(audioUrl, callbackUrl) ──▶ the transcription service
//        │                                                        │  (minutes later)
//        └────────── awaitEvent({ id, validator, timeout }) ◀──── POST callbackUrl { jobId, ... }
//
// The service is simulated (`simulatedService` below): `submitJob` hands it the audio and the
// callback URL, and whoever plays the service (the test, or `simulateCallback` in a demo)
// POSTs the result to that URL. The HTTP route is mounted by `registerWebhooks` in http.ts.
//
// The safe pattern, which this module follows:
//   - The callback URL is a bearer secret: whoever has it can deliver the result once. Never
//     log it, never return it to a client, and pass it only to the step that hands it to the
//     service (it is in the journal as that step's argument, and as createWebhook's result).
//   - Validate the callback's body: the webhook's validator refuses a malformed body with a
//     400 (the webhook stays open for a correct one), and the await checks it again.
//   - Check what the callback says against what you asked for (here: the job id).
//   - Bound the wait: a service that never calls back must not leave the workflow waiting
//     forever. At the deadline the await throws a timeout error; a later call gets a 410.
import { type Infer, v } from "convex/values";
import { isTimeoutError } from "convex-workflow";
import type { Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation } from "./_generated/server.js";
import { workflow } from "./example.js";

/** How long the service gets to call back. Real services: minutes to hours. */
export const CALLBACK_TIMEOUT_MS = 15 * 60 * 1000;

/** What the service POSTs to the callback URL. */
export const vTranscriptCallback = v.union(
  v.object({ jobId: v.string(), status: v.literal("completed"), text: v.string(), confidence: v.number() }),
  v.object({ jobId: v.string(), status: v.literal("failed"), error: v.string() }),
);
export type TranscriptCallback = Infer<typeof vTranscriptCallback>;

const vOutcome = v.union(
  v.object({ status: v.literal("done"), transcriptId: v.id("transcripts"), text: v.string(), confidence: v.number() }),
  v.object({ status: v.literal("failed"), error: v.string() }),
  v.object({ status: v.literal("timedOut") }),
);
type Outcome = Infer<typeof vOutcome>;

export const transcribeViaService = workflow.define({
  args: { audioUrl: v.string() },
  returns: vOutcome,
  handler: async (step, { audioUrl }): Promise<Outcome> => {
    // A journaled step: on every replay the workflow gets the same URL and event id back.
    const { url, eventId } = await step.createWebhook({ name: "transcriptReady", validator: vTranscriptCallback });
    const jobId: string = await step.runAction(internal.transcriptionWebhook.submitJob, { audioUrl, callbackUrl: url });
    let callback: TranscriptCallback;
    try {
      // The service may call back before the workflow gets here: the value waits for it.
      callback = await step.awaitEvent({ id: eventId, validator: vTranscriptCallback, timeout: CALLBACK_TIMEOUT_MS });
    } catch (error) {
      if (!isTimeoutError(error)) throw error;
      // The webhook is closed now: a late callback gets 410 and changes nothing.
      await step.runMutation(internal.transcriptionWebhook.recordTimeout, { workflowId: step.workflowId, jobId });
      return { status: "timedOut" };
    }
    if (callback.jobId !== jobId) {
      // Only the holder of the URL can call it, but check the payload is for this job anyway.
      return { status: "failed", error: `the callback was for job ${callback.jobId}, not ${jobId}` };
    }
    if (callback.status === "failed") return { status: "failed", error: callback.error };
    const transcriptId: Id<"transcripts"> = await step.runMutation(internal.transcription.saveTranscript, {
      workflowId: step.workflowId,
      audioUrl,
      model: "service",
      text: callback.text,
      confidence: callback.confidence,
    });
    return { status: "done", transcriptId, text: callback.text, confidence: callback.confidence };
  },
});

// ---------------------------------------------------------------------------------------
// The simulated service. In a real app `submitJob` calls the provider's API, e.g.
//   await fetch("https://api.provider.example/v1/jobs", { method: "POST",
//     headers: { Authorization: `Bearer ${process.env.PROVIDER_API_KEY}` },
//     body: JSON.stringify({ audio_url: audioUrl, callback_url: callbackUrl }) });
// and the provider calls `callbackUrl` when it is done.

type Job = { jobId: string; audioUrl: string; callbackUrl: string };

/**
 * The service's queue of accepted jobs. It lives in module memory, which the functions and
 * the test share under convex-test; a test takes jobs from it and calls back with `t.fetch`.
 */
export const simulatedService = {
  jobs: [] as Job[],
  /** Takes the oldest job (the service starting on it). */
  take(): Job {
    const job = simulatedService.jobs.shift();
    if (!job) throw new Error("simulatedService: no job was submitted");
    return job;
  },
};

/** Hands the job to the service; returns the service's job id. Logs the job, never the URL. */
export const submitJob = internalAction({
  args: { audioUrl: v.string(), callbackUrl: v.string() },
  returns: v.string(),
  handler: (_ctx, { audioUrl, callbackUrl }) => {
    if (!audioUrl.startsWith("https://")) throw new Error(`Not an https URL: ${audioUrl}`);
    const jobId = `job_${crypto.randomUUID()}`;
    simulatedService.jobs.push({ jobId, audioUrl, callbackUrl });
    console.info(`transcription job ${jobId} submitted for ${audioUrl}`);
    return Promise.resolve(jobId);
  },
});

/** What the app does when the service never called back: here, a row for support to look at. */
export const recordTimeout = internalMutation({
  args: { workflowId: v.string(), jobId: v.string() },
  returns: v.null(),
  handler: async (ctx, { workflowId, jobId }) => {
    await ctx.db.insert("effects", { key: `transcription timed out: ${jobId}`, workflowId });
    return null;
  },
});
