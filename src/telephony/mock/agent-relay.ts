// <Connect><ConversationRelay> to a real agent on the mock, in Twilio's text protocol
// (src/media/conversation-relay.ts): the caller's `speech` turns become `prompt`s, keys `dtmf`
// (with dtmfDetection); the agent's text tokens, up to one with `last`, become a say the caller
// hears (in the session's voice and language), `play` a play, `sendDigits` keys sent, `language`
// a switch of the voice and recogniser's language, `end` the end of the <Connect>, whose action
// gets the session's parameters (relayActionParams). Tokens gather into utterances by the rules
// the drachtio backend shares (src/media/relay-talk.ts); a preemptible talk cycle followed by
// another in the same turn is not heard; partialPrompts and reportInputDuringAgentSpeech are the
// scripted caller's.
import { ConversationRelaySession, RELAY_CONNECT_FAILED, RELAY_WEBSOCKET_ENDED, relayActionParams, type RelayAppMessage } from '../../media/conversation-relay.js';
import { RelayTalk, type RelayOutput } from '../../media/relay-talk.js';
import type { RelaySettings, StreamOptions } from '../adapter.js';
import { AgentInbox } from './agent-inbox.js';
import { agentUrl, converse, type AgentLink } from './agent.js';
import { promptMs } from './media.js';
import type { LegContext } from './operation.js';
import type { BackendEvent } from './transcript.js';
import { DTMF_MS, SAY_MS_PER_CHAR, type AgentScript } from './script.js';

/** Most messages one agent turn may hold. */
export const MAX_TURN_MESSAGES = 10_000;

async function openRelayLink(ctx: LegContext, o: StreamOptions, relay: RelaySettings, agent: AgentScript, timeoutMs: number, inbox: AgentInbox): Promise<AgentLink> {
  const queue: (RelayAppMessage | { invalid: string; raw: string })[] = [];
  let tts = relay.ttsLanguage ?? relay.language;
  let stt = relay.transcriptionLanguage ?? relay.language;
  let handoff: string | undefined;
  let ended = false;
  const voiceFor = (lang: string) => relay.languages[lang]?.voice ?? relay.voice ?? '';
  const session = await ConversationRelaySession.open({
    url: agentUrl(o, agent),
    connectTimeoutMs: timeoutMs,
    ...(ctx.hosts ? { hosts: ctx.hosts } : {}),
    setup: {
      sessionId: relay.sessionId,
      accountSid: o.accountSid ?? '',
      callSid: o.callSid ?? '',
      from: relay.from,
      to: relay.to,
      direction: 'inbound',
      customParameters: o.parameters,
    },
    onMessage: (m) => {
      if (ended) return;
      // A peer that floods cannot exhaust memory: past MAX_TURN_MESSAGES a turn's messages are dropped, and said.
      if (queue.length >= MAX_TURN_MESSAGES) {
        flooded++;
        inbox.note();
        return;
      }
      queue.push(m);
      inbox.note();
      // `end` is the session's last word: nothing after it is heard.
      if (!('invalid' in m) && m.type === 'end') {
        ended = true;
        inbox.close();
      }
    },
  });
  void session.closed.then(() => inbox.close());
  let flooded = 0;
  const opened = ctx.clock.now();
  /** What the caller last heard (a turn's words, or the greeting), for an interruption; and what its tokens said of being interrupted. */
  let heard = '';
  let tokensInterruptible: boolean | undefined;
  /** Tokens wait for the one with `last`, across turns. */
  let pending: RelayOutput[] = [];
  const talk = new RelayTalk((out) => pending.push(out));
  const mayInterrupt = (opening: boolean, by: 'speech' | 'dtmf') => {
    const mode = opening ? relay.welcomeGreetingInterruptible : tokensInterruptible === false ? 'none' : tokensInterruptible === true ? 'any' : relay.interruptible;
    return mode === 'any' || mode === by;
  };
  return {
    inbox,
    opening() {
      if (relay.welcomeGreeting === undefined || relay.welcomeGreeting === '') return undefined;
      ctx.emit({ type: 'say', text: relay.welcomeGreeting, voice: voiceFor(tts), language: tts, loop: 1, welcomeGreeting: true });
      heard = relay.welcomeGreeting;
      tokensInterruptible = undefined;
      // What a fork of the call hears outbound while it is said (call-sound.ts).
      ctx.sound.tone('outbound', relay.welcomeGreeting.length * SAY_MS_PER_CHAR);
      return relay.welcomeGreeting.length * SAY_MS_PER_CHAR;
    },
    callerTurn(turn) {
      if ('speech' in turn) {
        ctx.emit({ type: 'speech', text: turn.speech, confidence: turn.confidence ?? 0.9 });
        // partialPrompts: the words as the recogniser would have them so far, then the whole.
        if (relay.partialPrompts) {
          const words = turn.speech.trim().split(/\s+/);
          for (let i = 1; i < words.length; i++) session.prompt(words.slice(0, i).join(' '), stt, false);
        }
        session.prompt(turn.speech, stt);
        return Promise.resolve({ ms: turn.speech.length * SAY_MS_PER_CHAR, answer: true });
      }
      if ('digits' in turn) {
        if (!relay.dtmfDetection) {
          ctx.emit({ type: 'digits', digits: turn.digits, ignored: true });
          return Promise.resolve({ ms: turn.digits.length * DTMF_MS, answer: false });
        }
        ctx.emit({ type: 'digits', digits: turn.digits });
        for (const key of turn.digits) session.dtmf(key);
        return Promise.resolve({ ms: turn.digits.length * DTMF_MS, answer: true });
      }
      if ('silence' in turn) {
        ctx.emit({ type: 'caller-silence', seconds: turn.silence });
        return Promise.resolve({ ms: Math.round(turn.silence * 1000), answer: false });
      }
      ctx.emit({ type: 'script', warning: `agent.caller: ${turn.audio} is audio, which ConversationRelay turns into words before the agent hears them; give the words ({"speech": "..."})` });
      return Promise.resolve({ ms: 0, answer: false });
    },
    agentTurn() {
      // The turn's summary (what a scenario's `agent` step matches) goes first, then each thing the caller hears.
      const details: BackendEvent[] = [];
      let total = 0;
      tokensInterruptible = undefined;
      const said: string[] = [];
      const played: string[] = [];
      let digits = '';
      let end: { handoffData?: string } | undefined;
      if (flooded) {
        ctx.emit({ type: 'script', warning: `the agent sent more than ${MAX_TURN_MESSAGES} messages in one turn: the ${flooded} past that were dropped` });
        flooded = 0;
      }
      const outs: (RelayOutput | { kind: 'invalid'; message: string; raw: string })[] = [];
      for (const m of queue.splice(0)) {
        // Twilio answers a message it refuses with an error message (64107) and the session goes on.
        if ('invalid' in m) outs.push({ kind: 'invalid', message: m.invalid, raw: m.raw });
        else talk.take(m);
        outs.push(...pending.splice(0));
      }
      // The agent went quiet in the middle of a sentence (no token with last): what it sent is said.
      talk.flush(false);
      outs.push(...pending.splice(0));
      // The turn's messages reach the call at one instant: a preemptible talk cycle with a later one
      // after it in the same turn is cut before it is heard (`preemptible`, a token's own first).
      const lastCycle = Math.max(-1, ...outs.map((x) => (x.kind === 'say' || x.kind === 'play' ? x.cycle : -1)));
      const preempted = (x: { cycle: number; preemptible?: boolean }) => x.cycle < lastCycle && (x.preemptible ?? relay.preemptible);
      for (const x of outs) {
        switch (x.kind) {
          case 'invalid':
            details.push({ type: 'relay-error', code: 64107, message: x.message, received: x.raw });
            break;
          case 'say': {
            if (preempted(x)) {
              details.push({ type: 'agent-preempted', said: x.text });
              break;
            }
            const language = x.lang ?? tts;
            tokensInterruptible = x.interruptible === false || tokensInterruptible === false ? false : (x.interruptible ?? tokensInterruptible);
            said.push(x.text);
            details.push({ type: 'say', text: x.text, voice: voiceFor(language), language, loop: 1, agent: true, ...(x.complete ? {} : { last: false }) });
            total += x.text.length * SAY_MS_PER_CHAR;
            break;
          }
          case 'play':
            if (preempted(x)) {
              details.push({ type: 'agent-preempted', played: x.source });
              break;
            }
            tokensInterruptible = x.interruptible === false || tokensInterruptible === false ? false : (x.interruptible ?? tokensInterruptible);
            played.push(x.source);
            details.push({ type: 'play', url: x.source, loop: x.loop, agent: true });
            total += promptMs({ kind: 'play', url: x.source, loop: x.loop }, ctx.script);
            break;
          case 'digits':
            digits += x.digits;
            details.push({ type: 'send-digits', digits: x.digits, agent: true });
            total += [...x.digits].reduce((n, d) => n + (d === 'w' ? 500 : d === 'W' ? 1000 : DTMF_MS), 0);
            break;
          case 'language':
            if (x.ttsLanguage) tts = x.ttsLanguage;
            if (x.transcriptionLanguage) stt = x.transcriptionLanguage;
            details.push({ type: 'relay-language', ttsLanguage: tts, transcriptionLanguage: stt });
            break;
          case 'end':
            handoff = x.handoffData ?? '';
            end = x.handoffData !== undefined ? { handoffData: x.handoffData } : {};
            break;
        }
      }
      heard = said.join(' ');
      ctx.emit({
        type: 'agent',
        ...(said.length ? { said: said.join(' ') } : {}),
        ...(played.length ? { played } : {}),
        ...(digits ? { digits } : {}),
        ...(end ? { end: true, ...end } : {}),
      });
      for (const d of details) ctx.emit(d);
      if (total > 0) ctx.sound.tone('outbound', total);
      return total;
    },
    played() {},
    interrupt(atMs, opening) {
      // Speech barges in where the session lets it (interruptible, welcomeGreetingInterruptible,
      // a token's own interruptible); the agent hears how far its words got.
      if (!heard || !mayInterrupt(opening, 'speech')) return false;
      const utterance = heard.slice(0, Math.floor(atMs / SAY_MS_PER_CHAR));
      session.interrupt(utterance, atMs);
      talk.clear();
      ctx.sound.silence('outbound');
      ctx.emit({ type: 'agent-interrupted', utteranceUntilInterrupt: utterance, durationUntilInterruptMs: atMs });
      return true;
    },
    overlap() {
      // reportInputDuringAgentSpeech: the caller's words reach the agent while it goes on talking.
      return relay.reportInputDuringAgentSpeech;
    },
    stop() {
      session.stop();
      ctx.sound.silence('outbound');
    },
    result(end) {
      const ms = ctx.clock.now() - opened;
      if (handoff !== undefined) return relayActionParams(relay.sessionId, ms, { status: 'completed', handoffData: handoff });
      if (end.by === 'far-end') return relayActionParams(relay.sessionId, ms, { status: 'failed', errorCode: RELAY_WEBSOCKET_ENDED, errorMessage: 'the app closed the websocket without an end message' });
      if (end.by === 'error') return relayActionParams(relay.sessionId, ms, { status: 'failed', errorMessage: end.error });
      return relayActionParams(relay.sessionId, ms, { status: 'completed' });
    },
  };
}

/** <Connect><ConversationRelay> to the script's agent. */
export function connectAgentRelay(ctx: LegContext, o: StreamOptions & { relay: RelaySettings }, agent: AgentScript, signal?: AbortSignal) {
  const inbox = new AgentInbox();
  return converse({
    ctx,
    o,
    agent,
    inbox,
    ...(signal ? { signal } : {}),
    open: (timeoutMs) => openRelayLink(ctx, o, o.relay, agent, timeoutMs, inbox),
    // The websocket did not open (Twilio's 64102), or the call ended before it did.
    unopened: (end) => relayActionParams(o.relay.sessionId, 0, 'error' in end ? { status: 'failed', errorCode: RELAY_CONNECT_FAILED, errorMessage: end.error } : { status: 'completed' }),
  });
}
