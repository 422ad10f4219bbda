// What the far ends of a mock call do: plain JSON-able data, so that scenario files can carry it.
//
//   {
//     from: '+14155550100', to: '+14155550199',       // or SIP URIs; callerName, headers (INVITE), sourceIp
//     caller: [                                        // one action per input opportunity, in order:
//       { digits: '1234#', after: 2 },                 //   Gather, Record, and Dial with hangupOnStar
//       { speech: 'sales', confidence: 0.8 },
//       { silence: true },
//       { record: 12, digits: '#' },
//       { hangup: true, after: 3 },
//     ],
//     hangupAfter: 90,                                 // the caller hangs up 90 s into the call, whatever runs
//     timeline: [{ at: 12, digits: '*' }],             // keys or speech at a second of the call, whatever runs
//     callees: {                                       // key: number, SIP URI without headers, client identity; '*' for any other
//       '+14155550111': { response: 'busy' },
//       'sip:agent@pbx.example.com': { ring: 3, talk: 60, headers: { 'X-Agent': '7' },
//                                      requireAuth: { username: 'u', password: 'p' } },
//       '*': { response: 'no-answer' },
//     },
//     refer: { response: 202, notify: [100, 200] },
//     media: { 'https://example.com/hold.mp3': 30 },   // seconds one loop of a Play lasts
//     streamDuration: 10, conferenceDuration: 60,
//   }
//
// Times are seconds. `after` counts from the start of the verb that consumes the action; without
// it the caller acts as soon as it can: when a Gather's prompts end, when a Record beeps, when a
// Dial bridges. When the caller's actions run out, the caller stays silent (Gathers time out).
//
// At a Gather: `digits` are pressed together at one instant (keys after a finishing key, or past
// numDigits, are dropped); `speech` is spoken for 60 ms a character; `hangup` hangs up.
// At a Record: `record: N` talks N s from the beep, then presses `digits` if given (a key not in
// finishOnKey is ignored); `digits` alone = `record: after ?? 0`; `speech` talks for its length.
// What a <Record transcribe> makes of it: `transcription` on a record action, or the words of a
// `speech` one; with neither the transcription fails, as an unintelligible message would.
// At a Dial (only with hangupOnStar, the only time Twilio listens to the caller during a Dial):
// `digits` containing `*` pressed while bridged ends the bridge (in a <Conference>: leaves the
// room, and the document goes on); `hangup` hangs up mid-dial.
// `timeline` is not asked for: each entry happens at its second of call time, and goes to what
// listens then (a Gather, a Record, a Dial or Conference with hangupOnStar); with nothing listening it is
// recorded as ignored (a key during a Dial without hangupOnStar). So "this key does nothing" can
// be tested. An entry past the end of the call never happens.
import { DidmlError } from '../../errors.js';
import type { AnsweredBy, DialTarget } from '../adapter.js';

export type CallerAction =
  | { digits: string; after?: number }
  | { speech: string; confidence?: number; after?: number }
  | { silence: true }
  | { hangup: true; after?: number }
  | { record: number; digits?: string; transcription?: string };

/** Caller input at a moment of the call (seconds from its start), whether or not the app listens. */
export type TimedAction = ({ digits: string } | { speech: string; confidence?: number }) & { at: number };

/** Where the caller is asked to act: a Gather, a Record, or a Dial with hangupOnStar. */
export type CallerOpportunity = 'gather' | 'record' | 'dial';

export type CallerActionKind = 'digits' | 'speech' | 'silence' | 'hangup' | 'record';

export interface CalleeBehaviour {
  /**
   * The far end's final answer: 'answer' (200), 'busy' (486), 'no-answer' (rings until the Dial's
   * timeout, then we CANCEL), or a final SIP failure code such as 404, 480, 503 (status failed).
   * Default 'answer'.
   */
  response?: 'answer' | 'busy' | 'no-answer' | number;
  /** Seconds of ringing before that response. Default 5 for an answer, 0 for busy or a failure. */
  ring?: number;
  /** Seconds of talk after which the callee hangs up. Default 30. */
  talk?: number;
  /** Headers of the callee's 200 OK (the app sees X- ones as DialSipHeader_X-…). */
  headers?: Record<string, string>;
  /**
   * Digest credentials the far end demands of a <Sip> INVITE (RFC 3261 §22.2): no credentials
   * → 401 and the attempt fails; wrong ones → 403; matching ones → the behaviour above.
   */
  requireAuth?: { username: string; password: string };
  /**
   * What the callee does while the app screens it (`<Number url>`), as a caller's actions: keys
   * or speech at a <Gather>, a hang-up. Default: silence.
   */
  actions?: CallerAction[];
  /**
   * Who answers, for answering machine detection on a call the runtime places
   * (`MachineDetection`): 'human' (default), or a machine ('machine_start', 'machine_end_beep',
   * 'machine_end_silence', 'machine_end_other'), 'fax', 'unknown'.
   */
  answeredBy?: AnsweredBy;
}

export interface MockCallScript {
  /** Number or SIP URI of the caller. Default +14155550100. */
  from?: string;
  /** Number or SIP URI called. Default +14155550199. */
  to?: string;
  callerName?: string;
  /** Headers of the inbound INVITE, names as sent. */
  headers?: Record<string, string>;
  sourceIp?: string;
  caller?: CallerAction[];
  /** Seconds of call time after which the caller hangs up. */
  hangupAfter?: number;
  /** Keys or speech at given seconds of call time, whatever runs then (see above). */
  timeline?: TimedAction[];
  callees?: Record<string, CalleeBehaviour>;
  /** How the far end treats a REFER: its response, then the NOTIFY sipfrag codes, 1 s apart. */
  refer?: { response: number; notify?: number[] };
  /** Seconds one loop of a Play of this URL lasts. Default 5. */
  media?: Record<string, number>;
  /** Seconds a Connect/Stream lasts before the far end closes it. Default 10. */
  streamDuration?: number;
  /**
   * A real agent behind the document's <Stream> and <ConversationRelay> (agent.ts): the mock
   * opens its websocket and the caller takes these turns; without it streams are simulated.
   */
  agent?: AgentScript;
  /** Seconds until a conference ends without the caller (the others leave). Default 60. */
  conferenceDuration?: number;
  /**
   * Seconds this caller talks once bridged to another call (taking a caller from a queue),
   * then hangs up. Default 30, as a dialled party's talk.
   */
  bridgeDuration?: number;
}

/** One turn of the caller talking to a real agent. */
export type AgentTurn =
  | { audio: string }
  | { silence: number }
  | { digits: string }
  /** `interrupt`: the caller starts saying it this many seconds into the agent's answer before it (ConversationRelay barge-in). */
  | { speech: string; confidence?: number; interrupt?: number }
  | { hangup: true };

export const AGENT_TURN_KINDS = ['audio', 'silence', 'digits', 'speech', 'hangup'] as const;

export interface AgentScript {
  /** The agent's websocket, in place of the document's url (a local agent for a production document). */
  url?: string;
  /** What the caller does, in order. `audio` is a WAV file (Media Streams), `speech` words (ConversationRelay). */
  caller?: AgentTurn[];
  /**
   * Who talks first: the agent (a greeting; the default: the caller waits up to `timeout` for it,
   * then begins), or the caller (the default after a ConversationRelay welcomeGreeting).
   */
  first?: 'agent' | 'caller';
  /** Real seconds the call waits for the agent (to open, to answer a turn) before the stream fails. Default 5. */
  timeout?: number;
  /** Real seconds without a message that end the agent's turn. Default 0.4. */
  quiet?: number;
  /** Where to save everything the agent said (Media Streams) as a WAV file. */
  saveAudio?: string;
}

// Nominal durations: round numbers that keep transcripts readable, not measurements.
/** A Say (and caller speech) lasts this long per character, per loop. */
export const SAY_MS_PER_CHAR = 60;
export const PLAY_SECONDS = 5;
/** Twilio bounds loop="0" ("until hung up") at 1000 loops. */
export const LOOP_FOREVER = 1000;
/** One DTMF digit sent: 100 ms tone + 100 ms gap; `w` waits 0.5 s, `W` 1 s (Twilio's sendDigits). */
export const DTMF_MS = 200;
export const CALLEE_RING_SECONDS = 5;
export const CALLEE_TALK_SECONDS = 30;
export const STREAM_SECONDS = 10;
export const CONFERENCE_SECONDS = 60;
/** speechTimeout="auto": the recogniser hears the end of the utterance after this much silence. */
export const AUTO_SPEECH_TIMEOUT_MS = 1000;
export const NOTIFY_INTERVAL_MS = 1000;
export const DEFAULT_REFER = { response: 202, notify: [100, 200] } as const;
/** Seconds answering machine detection listens before it gives its verdict on the mock. */
export const MACHINE_DETECTION_SECONDS = 2;
export const DEFAULT_FROM = '+14155550100';
export const DEFAULT_TO = '+14155550199';

/** Seconds to whole virtual milliseconds (so 0.1 * 3 does not drift). */
export const ms = (seconds: number): number => Math.round(seconds * 1000);

const KINDS: readonly CallerActionKind[] = ['digits', 'speech', 'silence', 'hangup', 'record'];

/** Throws a DidmlError naming the first caller action that is not exactly one kind. */
export function checkScript(script: MockCallScript): void {
  (script.caller ?? []).forEach((action, i) => {
    const present = KINDS.filter((k) => action !== null && typeof action === 'object' && k in action);
    const ok = present.length === 1 || (present.length === 2 && present.includes('record') && present.includes('digits'));
    if (!ok) {
      throw new DidmlError(
        'DIDML_CONFIG',
        `mock script: caller[${i}] must have exactly one of ${KINDS.join(', ')} (a record action may add digits); found ${present.join(', ') || 'none'}`,
      );
    }
  });
  checkAgent(script.agent);
  (script.timeline ?? []).forEach((entry, i) => {
    const e = entry as Partial<Record<string, unknown>> | null;
    if (e === null || typeof e !== 'object' || typeof e['at'] !== 'number' || !(e['at'] >= 0)) {
      throw new DidmlError('DIDML_CONFIG', `mock script: timeline[${i}].at must be the second of the call it happens at (a number, 0 or more)`);
    }
    if (('digits' in e) === ('speech' in e)) {
      throw new DidmlError('DIDML_CONFIG', `mock script: timeline[${i}] must have exactly one of digits, speech`);
    }
  });
}

/** The key a target is looked up by in `callees`. */
export function calleeKey(target: DialTarget): string {
  switch (target.kind) {
    case 'sip':
      return target.uri;
    case 'number':
      return target.number;
    case 'client':
      return target.identity;
  }
}

export function calleeFor(script: MockCallScript, target: DialTarget): CalleeBehaviour {
  const callees = script.callees ?? {};
  const key = calleeKey(target);
  return callees[key] ?? (target.kind === 'client' ? callees[`client:${key}`] : undefined) ?? callees['*'] ?? {};
}

function checkAgent(agent: AgentScript | undefined): void {
  if (agent === undefined) return;
  const bad = (what: string) => new DidmlError('DIDML_CONFIG', `mock script: agent.${what}`);
  if (agent === null || typeof agent !== 'object') throw bad('must be an object (url, caller, first, timeout, quiet, saveAudio)');
  if ('server' in agent) throw bad('server is started only by didml test (a scenario); here give agent.url, the websocket of an agent that is running');
  if (agent.url !== undefined && !/^wss?:\/\//i.test(String(agent.url))) throw bad(`url must be a ws:// or wss:// URL; found ${JSON.stringify(agent.url)}`);
  for (const k of ['timeout', 'quiet'] as const) {
    const v = agent[k];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && v <= 600)) throw bad(`${k} must be seconds of real time (more than 0, at most 600)`);
  }
  (agent.caller ?? []).forEach((turn, i) => {
    const present = AGENT_TURN_KINDS.filter((k) => turn !== null && typeof turn === 'object' && k in turn);
    if (present.length !== 1) throw bad(`caller[${i}] must have exactly one of ${AGENT_TURN_KINDS.join(', ')}; found ${present.join(', ') || 'none'}`);
    if ('silence' in turn && !(typeof turn.silence === 'number' && turn.silence >= 0)) throw bad(`caller[${i}].silence must be seconds (0 or more)`);
    if ('interrupt' in turn && !('speech' in turn && typeof turn.interrupt === 'number' && turn.interrupt >= 0)) throw bad(`caller[${i}].interrupt must be the seconds into the agent's answer at which this speech starts (0 or more)`);
  });
}
