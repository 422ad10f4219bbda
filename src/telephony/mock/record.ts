// Record on the mock, as Twilio's <Record>: https://www.twilio.com/docs/voice/twiml/record
// The caller talks from the beep for as long as the script says; the recording then ends on a
// finishing key, after `timeout` seconds of silence (never when 0), at `maxLength`, or when the
// call ends (digits 'hangup'). trim-silence keeps only the talk; do-not-trim keeps all of it.
import type { RecordOptions, RecordResult } from '../adapter.js';
import { Operation, type LegContext } from './operation.js';
import { SAY_MS_PER_CHAR, ms } from './script.js';
import { saveTranscription } from './recordings.js';

type EndedBy = 'key' | 'silence' | 'max-length' | 'hangup' | 'abort';

export async function record(ctx: LegContext, o: RecordOptions, signal?: AbortSignal): Promise<RecordResult> {
  if (ctx.gone.aborted || signal?.aborted) {
    return { url: '', duration: 0, digits: ctx.gone.aborted ? 'hangup' : '', callerHungUp: ctx.endedBy === 'caller' };
  }
  ctx.emit({ type: 'record', maxLength: o.maxLength, timeout: o.timeout, finishOnKey: o.finishOnKey, playBeep: o.playBeep, trim: o.trim });
  // The beep takes no time: it keeps "a 2-minute recording" at exactly 120 s in the transcript.
  if (o.playBeep) ctx.emit({ type: 'beep' });

  // What the caller does: talk for talkMs from the beep, then maybe press keys or hang up.
  const next = ctx.nextAction('record');
  const action = typeof next === 'function' ? await next() : next;
  let talkMs = 0;
  let keys: string | undefined;
  let hangsUp = false;
  let words: string | undefined;
  if ('record' in action) [talkMs, keys, words] = [ms(action.record), action.digits, action.transcription];
  else if ('digits' in action) [talkMs, keys] = [ms(action.after ?? 0), action.digits];
  else if ('speech' in action) [talkMs, words] = [ms(action.after ?? 0) + action.speech.length * SAY_MS_PER_CHAR, action.speech];
  else if ('hangup' in action) [talkMs, hangsUp] = [ms(action.after ?? 0), true];

  const keptMs = (at: number) => (o.trim === 'trim-silence' ? Math.min(at, talkMs) : at);
  type Outcome = { endedBy: EndedBy; digits: string; keptMs: number; callerHungUp: boolean };
  const op: Operation<Outcome> = new Operation<Outcome>(ctx, signal, (why): Outcome => ({
    endedBy: why,
    digits: why === 'hangup' ? 'hangup' : '',
    keptMs: keptMs(op.elapsed),
    callerHungUp: why === 'hangup' && ctx.endedBy === 'caller',
  }));
  const finish = (endedBy: EndedBy, digits = '') => op.settle({ endedBy, digits, keptMs: keptMs(op.elapsed), callerHungUp: false });

  op.at(ms(o.maxLength), () => finish('max-length'));
  if (o.timeout > 0) op.at(talkMs + ms(o.timeout), () => finish('silence'));
  if (hangsUp) op.at(talkMs, () => ctx.callerHangup());
  const press = (pressed: string) => {
    const key = [...pressed].find((k) => o.finishOnKey.includes(k));
    if (key === undefined) return ctx.emit({ type: 'digits', digits: pressed, ignored: true });
    ctx.emit({ type: 'digits', digits: pressed });
    finish('key', key);
  };
  if (keys !== undefined) {
    const pressed = keys;
    op.at(talkMs, () => press(pressed));
  }
  // Keys from the script's timeline count as pressed here too: a finishing key ends the recording.
  const off = ctx.hear({ digits: press });
  void op.promise.then(off);

  const outcome = await op.promise;
  const duration = Math.round(outcome.keptMs / 1000);
  const url = await ctx.saveRecording(duration);
  ctx.emit({ type: 'record-end', url, duration, digits: outcome.digits, endedBy: outcome.endedBy });
  const result: RecordResult = { url, duration, digits: outcome.digits, callerHungUp: outcome.callerHungUp };
  return o.transcribe ? { ...result, transcription: await transcribe(ctx, url, duration, words) } : result;
}

/** The mock's speech-to-text: the words the script says the caller spoke, kept beside the recording. */
async function transcribe(ctx: LegContext, recordingUrl: string, seconds: number, words: string | undefined): Promise<NonNullable<RecordResult['transcription']>> {
  const url = recordingUrl.replace(/\.wav$/, '.txt');
  if (seconds <= 0) return { status: 'failed', reason: 'nothing was recorded', url };
  if (words === undefined || words.trim() === '') {
    return { status: 'failed', reason: 'the caller\'s script gives no words for this recording (add "transcription" to its record action)', url };
  }
  await saveTranscription(ctx.clock, url, words);
  return { status: 'completed', text: words, url };
}
