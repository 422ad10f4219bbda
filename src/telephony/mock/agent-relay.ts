// <Connect><ConversationRelay> to a real agent on the mock, in Twilio's text protocol
// (src/media/conversation-relay.ts): the caller's `speech` turns become `prompt`s, keys `dtmf`
// (with dtmfDetection); the agent's text tokens, up to one with `last`, become a say the caller
// hears (in the session's voice and language), `play` a play, `sendDigits` keys sent, `language`
// a switch of the voice and recogniser's language, `end` the end of the <Connect>, whose action
// gets HandoffData.
import { ConversationRelaySession, type RelayAppMessage } from '../../media/conversation-relay.js';
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
  /** What the caller last heard (a turn's words, or the greeting), for an interruption; and whether a token forbade one. */
  let heard = '';
  let uninterruptible = false;
  /** Text tokens waiting for the one with `last`. */
  let tokens: string[] = [];
  let tokenLang: string | undefined;
  return {
    inbox,
    opening() {
      if (relay.welcomeGreeting === undefined || relay.welcomeGreeting === '') return undefined;
      ctx.emit({ type: 'say', text: relay.welcomeGreeting, voice: voiceFor(tts), language: tts, loop: 1, welcomeGreeting: true });
      heard = relay.welcomeGreeting;
      uninterruptible = false;
      return relay.welcomeGreeting.length * SAY_MS_PER_CHAR;
    },
    callerTurn(turn) {
      if ('speech' in turn) {
        ctx.emit({ type: 'speech', text: turn.speech, confidence: turn.confidence ?? 0.9 });
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
      uninterruptible = false;
      const said: string[] = [];
      const say = (complete: boolean) => {
        if (!tokens.length) return;
        const text = tokens.join('');
        const language = tokenLang ?? tts;
        tokens = [];
        tokenLang = undefined;
        said.push(text);
        details.push({ type: 'say', text, voice: voiceFor(language), language, loop: 1, agent: true, ...(complete ? {} : { last: false }) });
        total += text.length * SAY_MS_PER_CHAR;
      };
      const played: string[] = [];
      let digits = '';
      let end: { handoffData?: string } | undefined;
      if (flooded) {
        ctx.emit({ type: 'script', warning: `the agent sent more than ${MAX_TURN_MESSAGES} messages in one turn: the ${flooded} past that were dropped` });
        flooded = 0;
      }
      for (const m of queue.splice(0)) {
        if ('invalid' in m) {
          // Twilio answers with an error message (64107) and the session goes on.
          details.push({ type: 'relay-error', code: 64107, message: m.invalid, received: m.raw });
          continue;
        }
        switch (m.type) {
          case 'text':
            if (m.interruptible === false) uninterruptible = true;
            if (!tokens.length && m.lang) tokenLang = m.lang;
            tokens.push(m.token);
            if (m.last) say(true);
            break;
          case 'play':
            say(false);
            played.push(m.source);
            details.push({ type: 'play', url: m.source, loop: m.loop, agent: true });
            total += promptMs({ kind: 'play', url: m.source, loop: m.loop }, ctx.script);
            break;
          case 'sendDigits':
            say(false);
            digits += m.digits;
            details.push({ type: 'send-digits', digits: m.digits, agent: true });
            total += [...m.digits].reduce((n, d) => n + (d === 'w' ? 500 : d === 'W' ? 1000 : DTMF_MS), 0);
            break;
          case 'language':
            if (m.ttsLanguage) tts = m.ttsLanguage;
            if (m.transcriptionLanguage) stt = m.transcriptionLanguage;
            details.push({ type: 'relay-language', ttsLanguage: tts, transcriptionLanguage: stt });
            break;
          case 'end':
            say(false);
            handoff = m.handoffData ?? '';
            end = m.handoffData !== undefined ? { handoffData: m.handoffData } : {};
            break;
        }
      }
      // The agent went quiet in the middle of a sentence (no token with last): what it sent is said.
      say(false);
      heard = said.join(' ');
      ctx.emit({
        type: 'agent',
        ...(said.length ? { said: said.join(' ') } : {}),
        ...(played.length ? { played } : {}),
        ...(digits ? { digits } : {}),
        ...(end ? { end: true, ...end } : {}),
      });
      for (const d of details) ctx.emit(d);
      return total;
    },
    played() {},
    interrupt(atMs, opening) {
      // Speech barges in where the session lets it (interruptible, welcomeGreetingInterruptible,
      // a token's own interruptible: false); the agent hears how far its words got.
      const mode = opening ? relay.welcomeGreetingInterruptible : relay.interruptible;
      if (mode === 'none' || mode === 'dtmf' || uninterruptible || !heard) return false;
      const utterance = heard.slice(0, Math.floor(atMs / SAY_MS_PER_CHAR));
      session.interrupt(utterance, atMs);
      ctx.emit({ type: 'agent-interrupted', utteranceUntilInterrupt: utterance, durationUntilInterruptMs: atMs });
      return true;
    },
    stop() {
      session.stop();
    },
    result(): Record<string, string> {
      return handoff !== undefined ? { HandoffData: handoff } : {};
    },
  };
}

/** <Connect><ConversationRelay> to the script's agent. */
export function connectAgentRelay(ctx: LegContext, o: StreamOptions & { relay: RelaySettings }, agent: AgentScript, signal?: AbortSignal) {
  const inbox = new AgentInbox();
  return converse({ ctx, o, agent, inbox, ...(signal ? { signal } : {}), open: (timeoutMs) => openRelayLink(ctx, o, o.relay, agent, timeoutMs, inbox) });
}
