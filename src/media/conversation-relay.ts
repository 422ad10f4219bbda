// The platform's side of `<Connect><ConversationRelay>`, as Twilio speaks it to the app's
// websocket: text, not audio. To the app: `setup` (once, the call and customParameters),
// `prompt` (what the caller said, `voicePrompt`, with `lang` and `last`), `dtmf` (with
// dtmfDetection), `interrupt`, `error` (a message that failed validation: Twilio's 64107, and
// the session goes on). From the app: `text` tokens (`token`, `last`, `lang`, `interruptible`,
// `preemptible`), `play` (`source`, `loop`), `sendDigits` (`digits`), `language`
// (`ttsLanguage`, `transcriptionLanguage`) and `end` (`handoffData`, handed to the <Connect>
// action as HandoffData). https://www.twilio.com/docs/voice/conversationrelay/websocket-messages
import { WebSocket } from 'undici';
import type { HostPolicy } from '../webhook/hosts.js';
import { openWebSocket } from './websocket.js';

export interface RelaySetup {
  sessionId: string;
  accountSid: string;
  callSid: string;
  from: string;
  to: string;
  direction: string;
  callerName?: string;
  customParameters: Record<string, string>;
}

/** What the app sent, checked: the shapes Twilio's reference gives. */
export type RelayAppMessage =
  | { type: 'text'; token: string; last: boolean; lang?: string; interruptible?: boolean; preemptible?: boolean }
  | { type: 'play'; source: string; loop: number; lang?: string; interruptible?: boolean; preemptible?: boolean }
  | { type: 'sendDigits'; digits: string }
  | { type: 'language'; ttsLanguage?: string; transcriptionLanguage?: string }
  | { type: 'end'; handoffData?: string };

const isStr = (v: unknown): v is string => typeof v === 'string';
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const isBool = (v: unknown) => typeof v === 'boolean';

/** Checks one message from the app; the reason it is invalid, as the `error` message says it. */
export function readAppMessage(data: unknown): RelayAppMessage | { invalid: string } {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(String(data)) as Record<string, unknown>;
  } catch {
    return { invalid: 'the message is not JSON' };
  }
  if (m === null || typeof m !== 'object') return { invalid: 'the message is not a JSON object' };
  const flags = optional(m['lang'], isStr) && optional(m['interruptible'], isBool) && optional(m['preemptible'], isBool);
  switch (m['type']) {
    case 'text':
      if (!isStr(m['token'])) return { invalid: 'a text message needs a string token' };
      if (!optional(m['last'], isBool) || !flags) return { invalid: 'text: last, interruptible and preemptible are booleans, lang a string' };
      return { ...(m as object), type: 'text', token: m['token'], last: m['last'] === true } as RelayAppMessage;
    case 'play':
      if (!isStr(m['source']) || !URL.canParse(m['source'])) return { invalid: 'a play message needs the source URL of the media' };
      if (!optional(m['loop'], (v) => Number.isInteger(v) && (v as number) >= 0) || !flags) return { invalid: 'play: loop is a whole number, interruptible and preemptible booleans' };
      return { ...(m as object), type: 'play', source: m['source'], loop: (m['loop'] as number | undefined) ?? 1 } as RelayAppMessage;
    case 'sendDigits':
      if (!isStr(m['digits']) || !/^[0-9*#wW]+$/.test(m['digits'])) return { invalid: 'sendDigits needs digits: 0-9, *, #, w and W' };
      return { type: 'sendDigits', digits: m['digits'] };
    case 'language':
      if (!optional(m['ttsLanguage'], isStr) || !optional(m['transcriptionLanguage'], isStr) || (m['ttsLanguage'] === undefined && m['transcriptionLanguage'] === undefined)) {
        return { invalid: 'a language message names ttsLanguage, transcriptionLanguage or both' };
      }
      return { type: 'language', ...(isStr(m['ttsLanguage']) ? { ttsLanguage: m['ttsLanguage'] } : {}), ...(isStr(m['transcriptionLanguage']) ? { transcriptionLanguage: m['transcriptionLanguage'] } : {}) };
    case 'end':
      if (!optional(m['handoffData'], isStr)) return { invalid: 'end: handoffData is a string (JSON in a string, as a rule)' };
      return { type: 'end', ...(isStr(m['handoffData']) ? { handoffData: m['handoffData'] } : {}) };
    default:
      return { invalid: `unknown message type ${JSON.stringify(m['type'])}: text, play, sendDigits, language or end` };
  }
}

/**
 * How a session ended, for the <Connect action>: `completed` (the app's `end`, the caller hanging
 * up, the call moving on) or `failed` (Twilio's 64102: the websocket could not be opened; 64105:
 * the app closed it without `end`; no code for didml's own limits, such as the mock's agent timeout).
 */
export type RelayOutcome = { status: 'completed'; handoffData?: string } | { status: 'failed'; errorCode?: number; errorMessage: string };

export const RELAY_CONNECT_FAILED = 64102;
export const RELAY_WEBSOCKET_ENDED = 64105;

/**
 * The parameters Twilio's <Connect action> request carries after a ConversationRelay session
 * (besides the call's own): SessionId, SessionStatus, SessionDuration (whole seconds), HandoffData
 * when the app's `end` ended it, ErrorCode and ErrorMessage when it failed.
 * https://www.twilio.com/docs/voice/twiml/connect/conversationrelay
 */
export function relayActionParams(sessionId: string, durationMs: number, outcome: RelayOutcome): Record<string, string> {
  return {
    SessionId: sessionId,
    SessionStatus: outcome.status,
    SessionDuration: String(Math.max(0, Math.round(durationMs / 1000))),
    ...(outcome.status === 'completed' && outcome.handoffData !== undefined ? { HandoffData: outcome.handoffData } : {}),
    ...(outcome.status === 'failed' ? { ...(outcome.errorCode !== undefined ? { ErrorCode: String(outcome.errorCode) } : {}), ErrorMessage: outcome.errorMessage } : {}),
  };
}

export interface RelayOptions {
  url: string;
  hosts?: HostPolicy;
  connectTimeoutMs?: number;
  setup: RelaySetup;
  /** Every message from the app, checked (an invalid one has been answered with `error`). */
  onMessage(m: RelayAppMessage | { invalid: string; raw: string }): void;
}

export class ConversationRelaySession {
  readonly #ws: WebSocket;
  /** Resolves when the app closes the websocket (or it fails). */
  readonly closed: Promise<void>;

  private constructor(ws: WebSocket, o: RelayOptions) {
    this.#ws = ws;
    this.closed = new Promise((resolve) => {
      ws.addEventListener('close', () => resolve());
      ws.addEventListener('error', () => resolve());
    });
    ws.addEventListener('message', (e) => {
      const m = readAppMessage(e.data);
      if ('invalid' in m) {
        const raw = String(e.data).slice(0, 200);
        this.#send({ type: 'error', description: `Invalid message received: ${m.invalid}: ${raw}` });
        o.onMessage({ ...m, raw });
      } else {
        o.onMessage(m);
      }
    });
  }

  /** Opens the websocket and sends `setup`; rejects when it cannot connect. */
  static async open(o: RelayOptions): Promise<ConversationRelaySession> {
    const ws = await openWebSocket(o.url, { ...(o.hosts ? { hosts: o.hosts } : {}), ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}), what: "ConversationRelay's websocket" });
    const session = new ConversationRelaySession(ws, o);
    const s = o.setup;
    session.#send({
      type: 'setup',
      sessionId: s.sessionId,
      accountSid: s.accountSid,
      parentCallSid: '',
      callSid: s.callSid,
      from: s.from,
      to: s.to,
      forwardedFrom: '',
      callType: 'PSTN',
      callerName: s.callerName ?? '',
      direction: s.direction,
      callStatus: 'IN-PROGRESS',
      customParameters: s.customParameters,
    });
    return session;
  }

  #send(message: object): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  /** What the caller said: the recogniser's final result (`last`), or a partial one (partialPrompts). */
  prompt(text: string, lang: string, last = true): void {
    this.#send({ type: 'prompt', voicePrompt: text, lang, last });
  }

  dtmf(digit: string): void {
    this.#send({ type: 'dtmf', digit });
  }

  /** The caller spoke over the agent: what had been said of its words, and for how long. */
  interrupt(utteranceUntilInterrupt: string, durationUntilInterruptMs: number): void {
    this.#send({ type: 'interrupt', utteranceUntilInterrupt, durationUntilInterruptMs });
  }

  /** Ends the session: the websocket is closed (the call moves on, or has ended). */
  stop(): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(1000);
  }
}
