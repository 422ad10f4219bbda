// The media verbs on a media server endpoint, as Twilio runs them:
// - Say/Play loop (0 means "until hung up", bounded at 1000 as Twilio does); a prompt that fails on
//   the media server (a URL it cannot fetch) is logged and skipped, the call goes on.
// - Gather: prompts in order; a key during them stops them (bargeIn) or is kept for after them;
//   `timeout` runs from the prompts' end and again after each key; the finishing key is not part
//   of the digits; numDigits ends it at once. https://www.twilio.com/docs/voice/twiml/gather
//   Speech (with drachtio.asr): the recogniser listens from the first prompt; the caller starting
//   to talk stops the prompts (bargeIn), and what it heard ends the Gather.
// - Record: a beep, then until silence (`timeout`), maxLength, a finishing key or the caller hanging
//   up (digits "hangup"). https://www.twilio.com/docs/voice/twiml/record
// Every operation ends as soon as the call does or the session aborts it.
import { DidmlError } from '../../errors.js';
import type { BridgeResult, CollectOptions, CollectResult, Prompt, RecordOptions, RecordResult } from '../adapter.js';
import type { LegCore } from './core.js';
import type { MediaEndpoint } from './media.js';

const MAX_LOOPS = 1000;

/** Resolves after `ms` (never, for Infinity), or when the call ends or `signal` aborts. */
export function sleep(core: LegCore, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (core.gone.aborted || signal?.aborted) return resolve();
    const done = () => {
      cancel();
      core.gone.removeEventListener('abort', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const cancel = Number.isFinite(ms) ? core.clock.timer(ms, done) : () => undefined;
    core.gone.addEventListener('abort', done, { once: true });
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `work`, or (stopping the endpoint) as soon as the call ends or `signal` aborts. */
async function stoppable(core: LegCore, ep: MediaEndpoint, work: () => Promise<unknown>, signal?: AbortSignal): Promise<void> {
  if (core.gone.aborted || signal?.aborted) return;
  const stop = () => void ep.stop().catch(() => undefined);
  core.gone.addEventListener('abort', stop, { once: true });
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await Promise.race([work(), sleep(core, Infinity, signal)]);
  } finally {
    core.gone.removeEventListener('abort', stop);
    signal?.removeEventListener('abort', stop);
  }
}

async function playOne(core: LegCore, ep: MediaEndpoint, p: Prompt, signal: AbortSignal | undefined): Promise<void> {
  if (p.kind === 'pause') return sleep(core, p.seconds * 1000, signal);
  const loops = p.loop === 0 ? MAX_LOOPS : Math.min(p.loop, MAX_LOOPS);
  for (let i = 0; i < loops && !core.gone.aborted && !signal?.aborted; i++) {
    try {
      await stoppable(core, ep, () => (p.kind === 'say' ? ep.speak(p.text, p.voice, p.language) : ep.play(p.url)), signal);
    } catch (e) {
      core.log.warn(`${p.kind === 'say' ? '<Say>' : '<Play>'} failed on the media server; going on`, {
        callId: core.callId,
        ...(p.kind === 'play' ? { url: p.url } : {}),
        error: (e as Error).message,
      });
      return;
    }
  }
}

export async function playPrompts(core: LegCore, ep: MediaEndpoint, prompts: Prompt[], signal?: AbortSignal): Promise<void> {
  for (const p of prompts) {
    if (core.gone.aborted || signal?.aborted) return;
    await playOne(core, ep, p, signal);
  }
}

/** The longest a caller may talk in one <Gather> before it ends with what was heard so far (none). */
export const MAX_UTTERANCE_MS = 60_000;

export async function collect(core: LegCore, ep: MediaEndpoint, o: CollectOptions, signal?: AbortSignal): Promise<CollectResult> {
  const speech = o.speech && core.config.asr !== undefined;
  if (o.speech && !speech) {
    if (!o.dtmf) throw new DidmlError('DIDML_TELEPHONY', '<Gather input="speech"> needs a speech recogniser on the media server: set drachtio.asr (the detect_speech engine, e.g. "unimrcp:my-profile"), or use input="dtmf"');
    core.log.warn('<Gather input="dtmf speech">: only keys are collected; set drachtio.asr for speech', { callId: core.callId });
  }
  let digits = '';
  let prompting = true;
  let talking = false;
  let settled = false;
  let cancelTimer: () => void = () => undefined;
  let stopListening: (() => Promise<void>) | undefined;
  const stopPrompts = new AbortController();
  let resolve!: (r: CollectResult) => void;
  const result = new Promise<CollectResult>((r) => (resolve = r));
  const finish = (finishedOnKey: string, heard?: { text: string; confidence: number }) => {
    if (settled) return;
    settled = true;
    cancelTimer();
    off();
    stopPrompts.abort();
    core.gone.removeEventListener('abort', onEnd);
    signal?.removeEventListener('abort', onEnd);
    const stopped = stopListening?.().catch(() => undefined);
    void Promise.resolve(stopped).then(() =>
      resolve({ digits, finishedOnKey, ...(heard ? { speech: heard } : {}), callerHungUp: core.endedBy === 'caller' && core.gone.aborted }),
    );
  };
  const arm = (ms = o.timeout * 1000) => {
    cancelTimer();
    cancelTimer = core.clock.timer(ms, () => finish(''));
  };
  const onEnd = () => finish('');
  core.gone.addEventListener('abort', onEnd, { once: true });
  signal?.addEventListener('abort', onEnd, { once: true });
  const off = o.dtmf
    ? ep.onDtmf((key) => {
        if (settled) return;
        if (prompting && o.bargeIn) stopPrompts.abort();
        if (o.finishOnKey !== '' && o.finishOnKey.includes(key)) return finish(key);
        digits += key;
        if (o.numDigits !== undefined && digits.length >= o.numDigits) return finish('');
        if (!prompting || o.bargeIn) arm();
      })
    : () => undefined;
  if (core.gone.aborted || signal?.aborted) {
    finish('');
    return result;
  }
  if (speech) {
    try {
      stopListening = await ep.recognize(
        { language: o.language, ...(o.hints ? { hints: o.hints } : {}) },
        {
          // The caller talks: the prompts stop (bargeIn) and the recogniser decides when they are
          // done; `timeout` no longer runs, a bound on the utterance does.
          speaking: () => {
            if (settled) return;
            talking = true;
            if (prompting && o.bargeIn) stopPrompts.abort();
            arm(MAX_UTTERANCE_MS);
          },
          heard: (r) => (r ? finish('', r) : finish('')),
        },
      );
    } catch (e) {
      finish('');
      await result;
      throw new DidmlError('DIDML_TELEPHONY', `<Gather input="speech">: the media server did not start recognising: ${(e as Error).message}`, { cause: e });
    }
    if (settled) void stopListening();
  }
  void playPrompts(core, ep, o.prompts, stopPrompts.signal).then(() => {
    prompting = false;
    if (!settled && !talking) arm();
  });
  return result;
}

export async function record(core: LegCore, ep: MediaEndpoint, o: RecordOptions, signal?: AbortSignal): Promise<RecordResult> {
  const where = core.config.recordings;
  if (!where) throw new DidmlError('DIDML_TELEPHONY', '<Record> needs drachtio.recordings {dir, baseUrl}: where the media server writes recordings and where they are served');
  const sid = core.newRecordingSid();
  const file = `${where.dir.replace(/\/$/, '')}/${sid}.wav`;
  const url = `${where.baseUrl.replace(/\/$/, '')}/${sid}.wav`;
  let key = '';
  const off = ep.onDtmf((k) => {
    if (o.finishOnKey.includes(k) && !key) {
      key = k;
      void ep.stop().catch(() => undefined);
    }
  });
  const t0 = core.clock.now();
  let seconds: number | undefined;
  let finished: Promise<void> | undefined;
  try {
    await stoppable(core, ep, async () => {
      seconds = (await ep.record(file, { maxLength: o.maxLength, silenceSeconds: o.timeout, beep: o.playBeep }, (f) => (finished = f))).seconds;
    }, signal);
  } finally {
    off();
  }
  // The call may have ended under the recording: its file is complete once the media server closed it.
  if (finished) await completed(core, finished);
  const hungUp = core.endedBy === 'caller' && core.gone.aborted;
  const duration = seconds ?? Math.round((core.clock.now() - t0) / 1000);
  return { url, duration, digits: hungUp ? 'hangup' : key, callerHungUp: hungUp };
}

/** How long to wait for the media server to close a recording's file before reporting it anyway. */
export const RECORDING_CLOSE_MS = 5000;

/** `finished` (a recording's file closed), or RECORDING_CLOSE_MS, whichever comes first. */
export async function completed(core: LegCore, finished: Promise<void>): Promise<void> {
  let cancel: () => void = () => undefined;
  const late = new Promise<void>((resolve) => (cancel = core.clock.timer(RECORDING_CLOSE_MS, resolve)));
  await Promise.race([finished, late]);
  cancel();
}

/** Two callers' endpoints bridged until one side hangs up or the session aborts. */
export async function bridgeLegs(core: LegCore, mine: MediaEndpoint, theirs: MediaEndpoint | string, otherEnded: Promise<unknown>, signal?: AbortSignal): Promise<BridgeResult> {
  const t0 = core.clock.now();
  await mine.bridge(theirs);
  let other = false;
  const untilOther = new AbortController();
  void otherEnded.then(() => {
    other = true;
    untilOther.abort();
  });
  await sleep(core, Infinity, AbortSignal.any([untilOther.signal, ...(signal ? [signal] : [])]));
  if (!core.gone.aborted) await mine.unbridge().catch(() => undefined);
  const duration = Math.round((core.clock.now() - t0) / 1000);
  return { endedBy: core.gone.aborted ? 'caller' : other ? 'other' : 'abort', duration };
}

export async function conference(
  core: LegCore,
  ep: MediaEndpoint,
  name: string,
  o: { muted: boolean; startOnEnter: boolean; endOnExit: boolean; hangupOnStar?: boolean; out?: AbortSignal },
  signal?: AbortSignal,
): Promise<{ callerHungUp: boolean; duration: number }> {
  const t0 = core.clock.now();
  // startConferenceOnEnter=false: wait for a moderator (one who starts it), FreeSWITCH's wait-mod.
  const { left } = await ep.join(name, { mute: o.muted, moderator: o.startOnEnter, waitMod: !o.startOnEnter });
  // Until the caller hangs up, the session stops it, or the caller is out of the room (the
  // conference ended: a participant with endConferenceOnExit left; or * with hangupOnStar, which
  // takes the member out); then the document goes on.
  const out = new AbortController();
  let inRoom = true;
  void left.then(() => {
    inRoom = false;
    out.abort();
  });
  // The runtime's room is over for this participant (ended on another instance, or removed by the
  // API): out of FreeSWITCH's room too, as at *.
  let removed = false;
  const onOut = () => {
    removed = inRoom;
    out.abort();
  };
  if (o.out?.aborted) onOut();
  else o.out?.addEventListener('abort', onOut, { once: true });
  let starred = false;
  const offStar = o.hangupOnStar
    ? ep.onDtmf((key) => {
        if (key !== '*' || starred) return;
        starred = true;
        out.abort();
      })
    : () => undefined;
  await sleep(core, Infinity, AbortSignal.any([out.signal, ...(signal ? [signal] : [])]));
  offStar();
  o.out?.removeEventListener('abort', onOut);
  if ((starred || removed) && !core.gone.aborted) {
    await ep.leave().catch((e: unknown) => core.log.warn(starred ? 'leaving the conference on * failed' : 'leaving the conference (ended, or removed through the API) failed', { callId: core.callId, conference: name, error: (e as Error).message }));
  }
  // endConferenceOnExit: this participant leaving (hanging up, or the session moving on) ends it for all.
  if (o.endOnExit && !out.signal.aborted) {
    await core.media('<Conference endConferenceOnExit>').endConference(name).catch((e: unknown) =>
      core.log.warn('ending the conference failed', { callId: core.callId, conference: name, error: (e as Error).message }),
    );
  }
  return { callerHungUp: core.endedBy === 'caller' && core.gone.aborted, duration: Math.round((core.clock.now() - t0) / 1000) };
}
