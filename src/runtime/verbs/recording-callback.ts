// The recordingStatusCallback of <Record> and <Dial record>: its URL hears of the recording with
// RecordingSid, RecordingUrl, RecordingStatus, RecordingDuration, RecordingChannels and
// RecordingSource, for the events asked for (recordingStatusCallbackEvent, default `completed`;
// `absent` when nothing was recorded). https://www.twilio.com/docs/voice/twiml/record,
// https://www.twilio.com/docs/voice/twiml/dial (reference §2.2)
import type { Projected } from '../../grammar/index.js';
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
