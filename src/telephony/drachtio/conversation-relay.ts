// <Connect><ConversationRelay> on the media server: the caller's own endpoint, the configured
// recogniser (drachtio.asr, FreeSWITCH detect_speech) and TTS (drachtio.tts), and the app's
// websocket in Twilio's text protocol (src/media/conversation-relay.ts, the mock's too).
// - setup once the websocket opens; the welcome greeting spoken first.
// - What the recogniser hears becomes a `prompt` (final results only: `last: true`), in the
//   transcription language; keys become `dtmf` with dtmfDetection.
// - The app's tokens are spoken a sentence at a time (src/media/relay-talk.ts): at the token with
//   `last`, at the end of a sentence, or after TOKEN_IDLE_MS without another token; play, sendDigits
//   and language come in order with them; `end` lets what is queued finish, then ends the Connect.
// - The caller starting to talk (or a key) over speech that may be interrupted stops it, drops what
//   is queued, and the app gets `interrupt`: how far the talk cycle got, and for how long it had
//   played (FreeSWITCH does not say how far its TTS got: TTS_MS_PER_CHAR estimates it). Over speech
//   that may not be interrupted, what the caller says or presses reaches the app only with
//   reportInputDuringAgentSpeech. A preemptible talk cycle is cut by the app's next one.
// The Connect ends with the app's `end`, the websocket closing, the caller hanging up, or the
// session stopping it; its action hears SessionId, SessionStatus, SessionDuration and HandoffData.
import { DidmlError } from '../../errors.js';
import { ConversationRelaySession, RELAY_CONNECT_FAILED, RELAY_WEBSOCKET_ENDED, relayActionParams, type RelayOutcome } from '../../media/conversation-relay.js';
import { RelayTalk, type RelayOutput } from '../../media/relay-talk.js';
import type { ConnectResult, RelaySettings, StreamOptions } from '../adapter.js';
import type { LegCore } from './core.js';
import type { MediaEndpoint, SpeechListener } from './media.js';
import { playPrompts, sleep } from './media-ops.js';

/** How long tokens that end no sentence wait for the next before they are said anyway. */
export const TOKEN_IDLE_MS = 1000;
/** The longest the end of a session waits for the media server to stop listening and speaking. */
export const CLEANUP_MS = 2000;
/** What a character of TTS is taken to last, to say how far interrupted speech got. */
export const TTS_MS_PER_CHAR = 60;

type Output = Extract<RelayOutput, { kind: 'say' | 'play' | 'digits' }>;
interface Item {
  out: Output;
  /** The language it is said in, fixed when it was queued (a later language switch is for what follows). */
  language: string;
  greeting: boolean;
  dropped: boolean;
  stop: AbortController;
  since?: number;
}

export async function connectRelay(core: LegCore, ep: MediaEndpoint, o: StreamOptions & { relay: RelaySettings }, signal?: AbortSignal): Promise<ConnectResult> {
  const r = o.relay;
  const callerHungUp = () => core.endedBy === 'caller' && core.gone.aborted;
  if (core.gone.aborted || signal?.aborted) return { callerHungUp: callerHungUp() };
  if (!core.config.asr) {
    throw new DidmlError('DIDML_TELEPHONY', '<Connect><ConversationRelay> needs a speech recogniser on the media server: set drachtio.asr (the detect_speech engine, e.g. "unimrcp:my-profile")');
  }
  const log = (msg: string, extra: Record<string, unknown> = {}) => core.log.debug(`<ConversationRelay> ${msg}`, { callId: core.callId, ...extra });
  let tts = r.ttsLanguage ?? r.language;
  let stt = r.transcriptionLanguage ?? r.language;
  const voiceFor = (lang: string) => r.languages[lang]?.voice ?? r.voice ?? '';
  const over = new AbortController();
  let outcome: RelayOutcome | undefined;
  const finish = (x: RelayOutcome) => {
    outcome ??= x;
    over.abort();
  };
  let session: ConversationRelaySession | undefined;
  let ending = false;

  // What the caller hears, in order: one item at a time on the endpoint.
  const items = new Set<Item>();
  let current: Item | undefined;
  let chain: Promise<void> = Promise.resolve();
  /** The talk cycle being spoken: its words said so far, and when it began, for an interruption. */
  let cycle: { n: number; said: string[]; since: number } | undefined;
  const perform = async (item: Item) => {
    if (item.dropped || over.signal.aborted) return;
    current = item;
    item.since = core.clock.now();
    const out = item.out;
    if (out.kind !== 'digits' && cycle?.n !== out.cycle) cycle = { n: out.cycle, said: [], since: item.since };
    const stop = AbortSignal.any([item.stop.signal, over.signal, ...(signal ? [signal] : [])]);
    try {
      if (out.kind === 'say') await playPrompts(core, ep, [{ kind: 'say', text: out.text, voice: voiceFor(item.language), language: item.language, loop: 1 }], stop);
      else if (out.kind === 'play') await playPrompts(core, ep, [{ kind: 'play', url: out.source, loop: out.loop }], stop);
      else if (!stop.aborted) await ep.sendDigits(out.digits);
    } finally {
      if (out.kind === 'say' && !item.dropped) cycle?.said.push(out.text);
      current = undefined;
      items.delete(item);
    }
  };
  const enqueue = (out: Output, greeting = false) => {
    // A preemptible talk cycle gives way to the next one as soon as it begins.
    if (out.kind !== 'digits') {
      for (const i of items) if (!i.greeting && i.out.cycle < out.cycle && i.out.kind !== 'digits' && (i.out.preemptible ?? r.preemptible)) drop(i);
    }
    const item: Item = { out, language: out.kind === 'say' ? (out.lang ?? tts) : tts, greeting, dropped: false, stop: new AbortController() };
    items.add(item);
    chain = chain.then(() => perform(item)).catch((e: unknown) => core.log.warn('<ConversationRelay>: the media server failed the agent\'s output; going on', { callId: core.callId, error: String(e) }));
  };
  const drop = (i: Item) => {
    i.dropped = true;
    i.stop.abort();
    items.delete(i);
  };

  const speaking = () => current !== undefined && current.out.kind !== 'digits';
  const mayInterrupt = (by: 'speech' | 'dtmf') => {
    if (!current || current.out.kind === 'digits') return false;
    const own = current.out.interruptible;
    const mode = current.greeting ? r.welcomeGreetingInterruptible : own === false ? 'none' : own === true ? 'any' : r.interruptible;
    return mode === 'any' || mode === by;
  };
  const interrupt = () => {
    const now = core.clock.now();
    const at = current;
    const partial = at?.out.kind === 'say' ? at.out.text.slice(0, Math.floor((now - (at.since ?? now)) / TTS_MS_PER_CHAR)) : '';
    const utterance = [...(cycle?.said ?? []), partial].filter(Boolean).join(' ');
    const ms = now - (cycle?.since ?? now);
    for (const i of [...items]) drop(i);
    talk.clear();
    log('interrupted', { utterance, ms });
    session?.interrupt(utterance, ms);
  };

  // The app's messages, as they come.
  let cancelIdle: () => void = () => undefined;
  const talk = new RelayTalk(
    (out) => {
      if (out.kind === 'language') {
        if (out.ttsLanguage) tts = out.ttsLanguage;
        if (out.transcriptionLanguage && out.transcriptionLanguage !== stt) {
          stt = out.transcriptionLanguage;
          void relisten();
        }
      } else if (out.kind === 'end') {
        // What is queued is heard, then the Connect ends.
        ending = true;
        const handoffData = out.handoffData ?? '';
        void chain.then(() => finish({ status: 'completed', handoffData }));
      } else {
        enqueue(out);
      }
    },
    { sentences: true },
  );

  // The recogniser: listening from the start, again after each result (and in a new language).
  let stopListening: (() => Promise<void>) | undefined;
  let listening: Promise<void> = Promise.resolve();
  /** The caller began talking over speech they may not interrupt. */
  let overSpeech = false;
  const listener: SpeechListener = {
    speaking: () => {
      if (over.signal.aborted) return;
      overSpeech = false;
      if (!speaking()) return;
      if (mayInterrupt('speech')) interrupt();
      else overSpeech = true;
    },
    heard: (res) => {
      if (over.signal.aborted) return;
      const unreported = overSpeech && !r.reportInputDuringAgentSpeech;
      overSpeech = false;
      if (res && unreported) log('speech over agent speech that may not be interrupted, not reported', { text: res.text });
      else if (res && !ending) session?.prompt(res.text, stt);
      void relisten();
    },
  };
  const listen = async () => {
    stopListening = await ep.recognize({ language: stt, ...(r.hints ? { hints: r.hints } : {}) }, listener);
  };
  const relisten = (): Promise<void> =>
    (listening = listening.then(async () => {
      const stop = stopListening;
      stopListening = undefined;
      await stop?.().catch(() => undefined);
      if (over.signal.aborted) return;
      await listen().catch((e: unknown) => core.log.warn('<ConversationRelay>: the recogniser did not start again; the caller is not heard', { callId: core.callId, error: String(e) }));
    }));
  try {
    await listen();
  } catch (e) {
    throw new DidmlError('DIDML_TELEPHONY', `<Connect><ConversationRelay>: the media server did not start recognising: ${(e as Error).message}`, { cause: e });
  }

  const offDtmf = ep.onDtmf((key) => {
    if (over.signal.aborted) return;
    if (speaking()) {
      if (mayInterrupt('dtmf')) interrupt();
      else if (!r.reportInputDuringAgentSpeech) return log('key over agent speech that may not be interrupted, not reported', { key });
    }
    if (r.dtmfDetection) session?.dtmf(key);
  });

  const t0 = core.clock.now();
  try {
    try {
      session = await ConversationRelaySession.open({
        url: o.url,
        ...(core.hosts ? { hosts: core.hosts } : {}),
        setup: { sessionId: r.sessionId, accountSid: o.accountSid ?? '', callSid: o.callSid ?? '', from: r.from, to: r.to, direction: 'inbound', customParameters: o.parameters },
        onMessage: (m) => {
          if (over.signal.aborted || ending) return;
          // A message Twilio refuses has had its `error` answer (64107); the session goes on.
          if ('invalid' in m) return log('message refused', { reason: m.invalid });
          cancelIdle();
          talk.take(m);
          if (talk.pending) cancelIdle = core.clock.timer(TOKEN_IDLE_MS, () => talk.flush(false));
        },
      });
    } catch (e) {
      // As Twilio: a websocket that cannot be opened ends the <Connect> (64102); the document goes on.
      const message = (e as Error).message;
      core.log.warn('<Connect><ConversationRelay>: the websocket could not be opened; the document goes on', { callId: core.callId, url: o.url, error: message });
      o.onStatus?.('stream-error', message);
      return { callerHungUp: callerHungUp(), params: relayActionParams(r.sessionId, 0, { status: 'failed', errorCode: RELAY_CONNECT_FAILED, errorMessage: message }) };
    }
    o.onStatus?.('stream-started');
    void session.closed.then(() => {
      if (!ending) finish({ status: 'failed', errorCode: RELAY_WEBSOCKET_ENDED, errorMessage: 'the app closed the websocket without an end message' });
    });
    if (r.welcomeGreeting) enqueue({ kind: 'say', text: r.welcomeGreeting, cycle: -1, complete: true }, true);
    await sleep(core, Infinity, AbortSignal.any([over.signal, ...(signal ? [signal] : [])]));
    // The caller hung up, or the session moved the call on.
    finish({ status: 'completed' });
    o.onStatus?.('stream-stopped');
    return { callerHungUp: callerHungUp(), params: relayActionParams(r.sessionId, core.clock.now() - t0, outcome!) };
  } finally {
    over.abort();
    cancelIdle();
    offDtmf();
    for (const i of [...items]) drop(i);
    session?.stop();
    // A media server that never completes an application must not hold the call: bounded.
    let cancel: () => void = () => undefined;
    const late = new Promise<void>((resolve) => (cancel = core.clock.timer(CLEANUP_MS, resolve)));
    await Promise.race([Promise.all([listening.then(() => stopListening?.().catch(() => undefined)), chain]), late]);
    cancel();
  }
}
