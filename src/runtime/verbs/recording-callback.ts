// The recordingStatusCallback of <Record> and <Dial record>: its URL hears of the recording with
// RecordingSid, RecordingUrl, RecordingStatus, RecordingDuration, RecordingChannels and
// RecordingSource, for the events asked for (recordingStatusCallbackEvent, default `completed`;
// `absent` when nothing was recorded). https://www.twilio.com/docs/voice/twiml/record,
// https://www.twilio.com/docs/voice/twiml/dial (reference §2.2)
import type { Projected } from '../../grammar/index.js';
import type { RecordResult } from '../../telephony/adapter.js';
import { methodOf, str, type VerbContext } from '../verb.js';

export interface FinishedRecording {
  sid: string;
  url: string;
  /** Seconds; 0 means nothing was recorded (status `absent`). */
  duration: number;
  channels: 1 | 2;
}

export function notifyRecording(node: Projected, ctx: VerbContext, r: FinishedRecording, source: 'RecordVerb' | 'DialVerb' | 'StartCallRecordingTwiML'): void {
  const url = str(node, 'recordingStatusCallback');
  if (!url) return;
  const status = r.duration > 0 ? 'completed' : 'absent';
  const events = str(node, 'recordingStatusCallbackEvent', 'completed').split(/[\s,]+/);
  if (!events.includes(status)) return;
  ctx.notify(ctx.resolve(url), methodOf(node, 'recordingStatusCallbackMethod'), {
    RecordingSid: r.sid,
    RecordingUrl: r.url,
    RecordingStatus: status,
    RecordingDuration: String(Math.round(r.duration)),
    RecordingChannels: String(r.channels),
    RecordingSource: source,
  });
}

/** Twilio transcribes recordings "at most two minutes in length" (Recording Transcription resource). */
export const TRANSCRIBE_MAX_SECONDS = 120;

/**
 * `<Record transcribe="true">`: the transcription, in the transcript and, with transcribeCallback,
 * POSTed there (Twilio's method; the attribute has none) with TranscriptionSid, TranscriptionText,
 * TranscriptionStatus (completed|failed), TranscriptionUrl, RecordingSid and RecordingUrl beside the
 * call's parameters. Nothing recorded: nothing to transcribe. A backend that gave no transcription
 * cannot transcribe; the session said so when the document was loaded (grammar x-runtime).
 * https://www.twilio.com/docs/voice/twiml/record#transcribe
 */
export function notifyTranscription(node: Projected, ctx: VerbContext, r: FinishedRecording, t: RecordResult['transcription']): void {
  if (!t || r.duration <= 0) return;
  const sid = ctx.newSid('TR');
  const outcome =
    r.duration > TRANSCRIBE_MAX_SECONDS
      ? { status: 'failed' as const, reason: `the recording is ${Math.round(r.duration)} s long; Twilio transcribes recordings of at most ${TRANSCRIBE_MAX_SECONDS} s` }
      : t;
  ctx.emit({ type: 'transcription', sid, recordingSid: r.sid, ...(outcome.status === 'completed' ? { status: 'completed', text: outcome.text } : { status: 'failed', reason: outcome.reason }) });
  const url = str(node, 'transcribeCallback');
  if (!url) return;
  ctx.notify(ctx.resolve(url), 'POST', {
    TranscriptionSid: sid,
    ...(outcome.status === 'completed' ? { TranscriptionText: outcome.text } : {}),
    TranscriptionStatus: outcome.status,
    TranscriptionUrl: t.url,
    RecordingSid: r.sid,
    RecordingUrl: r.url,
  });
}
