// <Record>: record the caller; the action (default: this document) gets RecordingUrl,
// RecordingDuration, Digits ('hangup' when the caller hung up; Twilio still requests the action
// then). An empty recording goes on with the next verb, the idiomatic "I did not receive a
// recording" fallback. https://www.twilio.com/docs/voice/twiml/record (reference §1.5)
import { actionOutcome, bool, CONTINUE, num, str, type Verb } from '../verb.js';
import { notifyRecording } from './recording-callback.js';

export const record: Verb = {
  names: ['Record'],
  async run(node, ctx) {
    await ctx.answer();
    const trim = str(node, 'trim', 'trim-silence') === 'do-not-trim' ? 'do-not-trim' : 'trim-silence';
    const result = await ctx.leg.record(
      {
        maxLength: num(node, 'maxLength', 3600),
        timeout: num(node, 'timeout', 5),
        finishOnKey: str(node, 'finishOnKey', '1234567890*#'),
        playBeep: bool(node, 'playBeep', true),
        trim,
      },
      ctx.signal,
    );
    const sid = ctx.newSid('RE');
    notifyRecording(node, ctx, { sid, url: result.url, duration: result.duration, channels: 1 }, 'RecordVerb');
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
