// <Record>: record the caller; the action (default: this document) gets RecordingUrl,
// RecordingDuration, Digits ('hangup' when the caller hung up; Twilio still requests the action
// then). An empty recording goes on with the next verb, the idiomatic "I did not receive a
// recording" fallback. With transcribe, the transcription goes to transcribeCallback.
// https://www.twilio.com/docs/voice/twiml/record (reference §1.5)
import { actionOutcome, bool, CONTINUE, num, str, type Verb } from '../verb.js';
import { notifyRecording, notifyTranscription } from './recording-callback.js';

export const record: Verb = {
  names: ['Record'],
  async run(node, ctx) {
    await ctx.answer();
    const trim = str(node, 'trim', 'trim-silence') === 'do-not-trim' ? 'do-not-trim' : 'trim-silence';
    const transcribe = bool(node, 'transcribe', false);
    if (!transcribe && str(node, 'transcribeCallback')) {
      // Twilio: "you will also need to specify transcribe=true"; it is no longer implicit.
      ctx.emit({ type: 'warning', element: 'Record', attribute: 'transcribeCallback', message: '<Record transcribeCallback> without transcribe="true" is never requested (as on Twilio, which no longer implies it): add transcribe="true"' });
    }
    const result = await ctx.leg.record(
      {
        maxLength: num(node, 'maxLength', 3600),
        timeout: num(node, 'timeout', 5),
        finishOnKey: str(node, 'finishOnKey', '1234567890*#'),
        playBeep: bool(node, 'playBeep', true),
        trim,
        ...(transcribe ? { transcribe } : {}),
      },
      ctx.signal,
    );
    const sid = ctx.newSid('RE');
    const recording = { sid, url: result.url, duration: result.duration, channels: 1 as const };
    notifyRecording(node, ctx, recording, 'RecordVerb');
    if (transcribe) notifyTranscription(node, ctx, recording, result.transcription);
    if (result.duration <= 0 && !result.callerHungUp) return CONTINUE;
    const params = {
      RecordingUrl: result.url,
      RecordingSid: sid,
      RecordingDuration: String(Math.round(result.duration)),
      Digits: result.callerHungUp ? 'hangup' : result.digits,
    };
    return actionOutcome(node, ctx, params, result.callerHungUp, true);
  },
};
