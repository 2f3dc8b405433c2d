// A multi-step workflow with parallel actions and retries:
//
//   fetchAudio ──┬── transcribeWithModel("fast")     ──┬── saveTranscript
//                └── transcribeWithModel("accurate") ──┘
//
// The "accurate" model is flaky: it fails its first `flakyFailures` attempts with a
// transient error, and the step's `retry` policy runs it again with back-off until it
// succeeds. Failures are counted in the `attempts` table, so the flakiness is
// deterministic (tests and the demo know exactly what will happen).
import { type Infer, v } from "convex/values";
import type { Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation } from "./_generated/server.js";
import { workflow } from "./example.js";

/** Retry policy for the model calls. Real apps use longer back-offs (the default starts at 500 ms). */
const MODEL_RETRY = { maxAttempts: 4, initialBackoffMs: 100, base: 2 };

const vAudio = v.object({ audioUrl: v.string(), durationSec: v.number() });
const vTranscription = v.object({ model: v.string(), text: v.string(), confidence: v.number() });
type Transcription = Infer<typeof vTranscription>;
type TranscribeResult = Transcription & { transcriptId: Id<"transcripts"> };

export const transcribe = workflow.define({
  args: { audioUrl: v.string(), flakyFailures: v.optional(v.number()) },
  returns: v.object({
    transcriptId: v.id("transcripts"),
    model: v.string(),
    text: v.string(),
    confidence: v.number(),
  }),
  handler: async (step, { audioUrl, flakyFailures = 2 }): Promise<TranscribeResult> => {
    const audio: Infer<typeof vAudio> = await step.runAction(internal.transcription.fetchAudio, { audioUrl });
    // Requested together, these two run in parallel; the workflow resumes when both are done.
    const [fast, accurate]: Transcription[] = await Promise.all([
      step.runAction(
        internal.transcription.transcribeWithModel,
        { audio, model: "fast", attemptKey: `${step.workflowId}/fast`, failFirst: 0 },
        { retry: MODEL_RETRY },
      ),
      step.runAction(
        internal.transcription.transcribeWithModel,
        { audio, model: "accurate", attemptKey: `${step.workflowId}/accurate`, failFirst: flakyFailures },
        { retry: MODEL_RETRY },
      ),
    ]);
    const best = accurate.confidence >= fast.confidence ? accurate : fast;
    const transcriptId: Id<"transcripts"> = await step.runMutation(internal.transcription.saveTranscript, {
      workflowId: step.workflowId,
      audioUrl,
      ...best,
    });
    return { transcriptId, ...best };
  },
});

/** Stand-in for downloading the file and reading its metadata. */
export const fetchAudio = internalAction({
  args: { audioUrl: v.string() },
  returns: vAudio,
  handler: (_ctx, { audioUrl }) => {
    if (!audioUrl.startsWith("https://")) throw new Error(`Not an https URL: ${audioUrl}`);
    return { audioUrl, durationSec: 30 + (audioUrl.length % 60) };
  },
});

/** Stand-in for a speech-to-text model; fails its first `failFirst` attempts (per `attemptKey`). */
export const transcribeWithModel = internalAction({
  args: { audio: vAudio, model: v.string(), attemptKey: v.string(), failFirst: v.number() },
  returns: vTranscription,
  handler: async (ctx, { audio, model, attemptKey, failFirst }) => {
    const attempt: number = await ctx.runMutation(internal.attempts.countAttempt, { key: attemptKey });
    if (attempt <= failFirst) {
      throw new Error(`Model "${model}" is overloaded (503), attempt ${attempt}`);
    }
    const name = audio.audioUrl.split("/").pop() ?? "audio";
    return {
      model,
      text: `[${model}] transcript of ${name} (${audio.durationSec}s)`,
      confidence: model === "accurate" ? 0.97 : 0.82,
    };
  },
});

export const saveTranscript = internalMutation({
  args: { workflowId: v.string(), audioUrl: v.string(), ...vTranscription.fields },
  returns: v.id("transcripts"),
  handler: async (ctx, args) => await ctx.db.insert("transcripts", args),
});
