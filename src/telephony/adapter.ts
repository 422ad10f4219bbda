// The one seam between the runtime and a telephony backend. The session turns verbs into calls
// on a CallLeg; drachtio (real SIP + FreeSWITCH) and mock (scripted, virtual time) implement
// all of it, so a test cannot tell which ran except by the transcript.
//
// Conventions every backend keeps:
// - Operations resolve with an outcome; they do not throw because the caller hung up. A caller
//   hanging up ends whatever is in progress: say/play/pause resolve early, collect/record/dial/
//   refer resolve with `callerHungUp: true`, and `leg.ended` resolves.
// - They throw a DidmlError (code DIDML_TELEPHONY) only when the backend cannot do the operation
//   at all (a media verb with no media server).
// - Every operation takes an optional AbortSignal; the session aborts it when the call must end
//   (a limit was reached). An aborted operation resolves as soon as it can.
// - Time comes from the Clock the backend was given.
import type { Clock } from '../clock.js';
import { resolveSipText } from '../sip/target.js';

export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

/** A call arriving at the runtime, as the backend saw it. */
export type RejectReason = 'busy' | 'rejected' | 'unavailable' | 'not-found';

export interface InboundCall {
  /** The backend's id for the call (the SIP Call-ID under drachtio). */
  callId: string;
  /** Caller: the user part of the From URI (`+14155550100`), or the whole URI when it has none. */
  from: string;
  /** Callee: the user part of the Request-URI. */
  to: string;
  /** The From and Request-URIs as received, when the call came over SIP. */
  fromUri?: string;
  toUri?: string;
  /** Display name in From, when there is one (becomes CallerName). */
  callerName?: string;
  /** Every header of the INVITE, names as received (the session passes `X-` ones on as SipHeader_X-…). */
  headers: Record<string, string>;
  /** Address the INVITE came from. */
  sourceIp?: string;
  leg: CallLeg;
}

export interface SayPrompt {
  kind: 'say';
  text: string;
  voice: string;
  language: string;
  /** 0 means "until hung up", which backends bound at 1000 as Twilio does. */
  loop: number;
}
export interface PlayPrompt {
  kind: 'play';
  url: string;
  loop: number;
}
export interface PausePrompt {
  kind: 'pause';
  seconds: number;
}
export type Prompt = SayPrompt | PlayPrompt | PausePrompt;

export interface CollectOptions {
  /** Played in order until the caller starts to answer (barge-in). */
  prompts: Prompt[];
  dtmf: boolean;
  speech: boolean;
  /** Seconds to wait for the first input after the prompts end. */
  timeout: number;
  /** Stop after this many digits. */
  numDigits?: number;
  /** Keys that end input; '' for none. One key in Gather. */
  finishOnKey: string;
  /** Seconds of silence that end speech; 'auto' lets the recogniser decide. */
  speechTimeout?: number | 'auto';
  language: string;
  hints?: string;
  /** Whether input may interrupt the prompts (default true). */
  bargeIn: boolean;
}

export interface CollectResult {
  /** Digits pressed, without the finishing key. */
  digits: string;
  /** The key that ended input, '' when numDigits or the timeout did. */
  finishedOnKey: string;
  speech?: { text: string; confidence: number };
  callerHungUp: boolean;
}

export interface RecordOptions {
  /** Seconds. */
  maxLength: number;
  /** Seconds of silence that end the recording; 0: never. */
  timeout: number;
  finishOnKey: string;
  playBeep: boolean;
  trim: 'trim-silence' | 'do-not-trim';
  /** Transcribe what was said (`<Record transcribe>`), on a backend that can. */
  transcribe?: boolean;
}

export interface RecordResult {
  /** Where the recording can be fetched (file:// under the mock, http(s) when served). */
  url: string;
  /** Seconds of audio kept. */
  duration: number;
  /** The key that ended it, or 'hangup'; '' when it ended on silence or maxLength. */
  digits: string;
  callerHungUp: boolean;
  /**
   * With `transcribe`: what the backend's speech-to-text made of the recording, or why it could
   * not (`url`: where the text can be fetched). Absent: the backend does not transcribe.
   */
  transcription?: { status: 'completed'; text: string; url: string } | { status: 'failed'; reason: string; url: string };
}

/** A SIP URI split from its `?headers`: the headers go onto the INVITE/REFER. */
export interface SipTarget {
  kind: 'sip';
  /** The URI without its header part: `sip:alice@example.com;transport=tcp`. */
  uri: string;
  headers: Record<string, string>;
  /** Digest credentials for a 401/407 from the far end. */
  auth?: { username: string; password: string };
  /** Outbound proxy (`host[:port]`), transport, from a route string or the URI. */
  proxy?: string;
  transport?: 'udp' | 'tcp' | 'tls';
}
export interface NumberTarget {
  kind: 'number';
  number: string;
  /** DTMF sent once the party answers (`w` waits 0.5 s). */
  sendDigits?: string;
}
export interface ClientTarget {
  kind: 'client';
  identity: string;
}
export type DialTarget = SipTarget | NumberTarget | ClientTarget;

/** A dial target's address as the call's parameters and transcripts name it: its SIP URI,
 *  its number, or client:identity. Takes the loose shape so JSON transcript events fit too. */
export const targetAddress = (t: { uri?: string; number?: string; identity?: string }): string =>
  t.uri ?? t.number ?? `client:${t.identity ?? ''}`;

/**
 * The inverse: a placed call's `To` (the Calls API's, a scenario's `outbound.to`) as the target
 * its INVITE goes to: `client:identity`, a `sip:`/`sips:` URI (its passed-through headers go on
 * the INVITE; `dropped` names the others, `error` a URI that does not parse), or a number.
 */
export function targetOfAddress(to: string): { target: DialTarget; dropped: string[]; error?: string } {
  if (/^client:/i.test(to)) return { target: { kind: 'client', identity: to.slice('client:'.length) }, dropped: [] };
  if (!/^sips?:/i.test(to)) return { target: { kind: 'number', number: to }, dropped: [] };
  const sip = resolveSipText(to, { dialled: '', bareHostMeansDialled: false });
  const target: SipTarget = { kind: 'sip', uri: sip.uri, headers: sip.headers, ...(sip.transport ? { transport: sip.transport } : {}) };
  return { target, dropped: sip.dropped, ...(sip.error ? { error: sip.error } : {}) };
}

export interface DialOptions {
  targets: DialTarget[];
  /** Ring all at once (default) or one after another. */
  sequential: boolean;
  /** Seconds to ring before giving up. */
  timeout: number;
  /** Longest the bridged call may last, seconds. */
  timeLimit: number;
  callerId: string;
  /** The caller may press * to end the bridged call and go on. */
  hangupOnStar: boolean;
  /** Keep the caller unanswered until the callee answers (no early 200 to the caller). */
  answerOnBridge: boolean;
  /** Record the call (`record="record-from-answer-dual"`...): both parties, on one channel or two, from the answer or from ringing. */
  record?: { channels: 1 | 2; from: 'answer' | 'ringing' };
  /** Run on the callee's leg once it answers, before bridging (`<Number url>`): return false to drop it. */
  screen?: (callee: AnsweredCallee) => Promise<boolean>;
  /** Told how each attempt (by its index in `targets`) goes: its INVITE out, ringing, answered, over. */
  onProgress?: (attempt: number, progress: DialProgress) => void;
}

/** The call-progress events of one dialled leg, as Twilio reports them on a noun's statusCallback. */
export type DialProgress =
  | { event: 'initiated'; callId: string }
  | { event: 'ringing' }
  | { event: 'answered' }
  | { event: 'completed'; status: DialStatus; sipResponseCode?: number; duration: number };

export interface AnsweredCallee {
  target: DialTarget;
  callId: string;
  /** Headers of the callee's final response (DialSipHeader_X-…). */
  headers: Record<string, string>;
  /**
   * The callee's side of the call while it is screened (DialOptions.screen): the app's document
   * for it (`<Number url>`) plays, gathers and hangs up on this leg. Absent where the backend
   * cannot run media on a callee (drachtio without a media server).
   */
  leg?: CallLeg;
}

export type DialStatus = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export interface DialResult {
  status: DialStatus;
  /** The target that answered, when one did. */
  answered?: AnsweredCallee;
  /** Seconds the parties were bridged. */
  duration: number;
  /** The final SIP response code of the winning (or last failing) INVITE. */
  sipResponseCode?: number;
  /** What the call leg answered for each target, in the order given. */
  attempts: { target: DialTarget; sipResponseCode?: number; status: DialStatus }[];
  recording?: { url: string; duration: number };
  /** Who ended the bridged call. */
  endedBy?: 'caller' | 'callee' | 'hangup-on-star' | 'time-limit';
  callerHungUp: boolean;
}

export interface ReferOptions {
  /** Refer-To URI without headers. */
  uri: string;
  /** X- headers from the URI, sent on the REFER. */
  headers: Record<string, string>;
}

export interface ReferResult {
  /** Response to the REFER itself (202, 405, 403...). */
  referSipResponseCode: number;
  /** Last status line carried by a NOTIFY sipfrag, when one came. */
  notifySipResponseCode?: number;
  callerHungUp: boolean;
}

export interface BridgeResult {
  /** Who ended the bridge: this leg's caller, the other leg, or the session (abort). */
  endedBy: 'caller' | 'other' | 'abort';
  /** Seconds the legs were bridged. */
  duration: number;
}

export interface StreamOptions {
  url: string;
  name?: string;
  track: string;
  parameters: Record<string, string>;
  /** Who the stream's `start` message names (Twilio Media Streams). */
  callSid?: string;
  accountSid?: string;
  streamSid?: string;
  /** Told when the stream has started, has stopped, or could not start (`error` says why). */
  onStatus?: (event: 'stream-started' | 'stream-stopped' | 'stream-error', error?: string) => void;
  /** `<Connect><ConversationRelay>`: the app speaks Twilio's text protocol, not Media Streams. */
  relay?: RelaySettings;
}

/** What a <ConversationRelay> asks of the platform (its attributes and <Language>s), and who is calling. */
export interface RelaySettings {
  sessionId: string;
  from: string;
  to: string;
  welcomeGreeting?: string;
  /** Default language of speech and recognition; ttsLanguage and transcriptionLanguage override it. */
  language: string;
  ttsLanguage?: string;
  transcriptionLanguage?: string;
  voice?: string;
  /** Keys go to the app as `dtmf` messages only with dtmfDetection. */
  dtmfDetection: boolean;
  /** What may interrupt the agent's speech, and the welcome greeting: any, speech, dtmf or none (Twilio's default any; true and false are any and none). */
  interruptible: 'any' | 'speech' | 'dtmf' | 'none';
  welcomeGreetingInterruptible: 'any' | 'speech' | 'dtmf' | 'none';
  /** The voice for each <Language code>. */
  languages: Record<string, { voice?: string }>;
  /** A talk cycle may be cut short by the app's next one (a token's own `preemptible` wins); Twilio's default false. */
  preemptible: boolean;
  /** The caller's words and keys during agent speech that may not be interrupted still reach the app (Twilio's default false). */
  reportInputDuringAgentSpeech: boolean;
  /** The caller's words also reach the app as they are recognised (`prompt` with `last: false`). */
  partialPrompts: boolean;
  /** Words and phrases for the recogniser. */
  hints?: string;
}

/** How a <Connect> ended: whether the party hung up, and the parameters its action request adds (HandoffData). */
export interface ConnectResult {
  callerHungUp: boolean;
  params?: Record<string, string>;
}

export interface CallLeg {
  readonly callId: string;
  /**
   * The backend the leg runs on (`mock`, `drachtio`): what it cannot honour is in the grammar per
   * backend (`x-runtime`), and reported when a document asks for it.
   */
  readonly backend?: string;
  readonly answered: boolean;
  /** Resolves when the call has ended, with who ended it. */
  readonly ended: Promise<{ by: 'caller' | 'app' | 'backend'; reason?: string }>;
  /** Whether the call has ended. */
  readonly isEnded: boolean;

  /** Send 200 OK (idempotent). */
  answer(): Promise<void>;
  /**
   * Refuse an unanswered call: busy → 486, rejected → the configured code (404 as Twilio does;
   * reference §1.1), unavailable → 503 (the runtime is full: the carrier may try elsewhere),
   * not-found → 404 always (no app serves the number called).
   */
  reject(reason: RejectReason): Promise<void>;
  /** End the call (BYE, or CANCEL/final response before answer). Idempotent. */
  hangup(reason?: string): Promise<void>;

  say(prompt: SayPrompt, signal?: AbortSignal): Promise<void>;
  play(prompt: PlayPrompt, signal?: AbortSignal): Promise<void>;
  pause(seconds: number, signal?: AbortSignal): Promise<void>;
  sendDigits(digits: string, signal?: AbortSignal): Promise<void>;
  collect(options: CollectOptions, signal?: AbortSignal): Promise<CollectResult>;
  record(options: RecordOptions, signal?: AbortSignal): Promise<RecordResult>;
  /** Ring targets, bridge the first that answers, and return when the bridged call ends. */
  dial(options: DialOptions, signal?: AbortSignal): Promise<DialResult>;
  refer(options: ReferOptions, signal?: AbortSignal): Promise<ReferResult>;
  /**
   * Record the whole call in the background (`<Start><Recording>`, DIDML `<Recording>`): both
   * parties, on one channel or two; returns once recording has begun. Stopped by
   * stopCallRecording, or by the end of the call.
   */
  startCallRecording(options: { channels: 1 | 2 }): Promise<void>;
  /** Stops the call recording; what was recorded (undefined when none was running). */
  stopCallRecording(): Promise<{ url: string; duration: number } | undefined>;
  /** Fork media to a websocket (Start/Stream); returns at once. */
  startStream(options: StreamOptions): Promise<void>;
  stopStream(name: string): Promise<void>;
  /** Bidirectional stream (Connect/Stream): returns when the stream ends or the caller hangs up. */
  connectStream(options: StreamOptions, signal?: AbortSignal): Promise<ConnectResult>;
  /**
   * Connect this leg's media to another leg of the same backend (a caller taken from a queue)
   * and return when either side hangs up or the session aborts.
   */
  bridge(other: CallLeg, signal?: AbortSignal): Promise<BridgeResult>;
  /**
   * Whether this leg can be bridged with a caller another instance runs (queues across
   * instances): `any` (the mock: no media flows), `media` (both on one media server, by the other
   * leg's `mediaChannel`); absent: it cannot (signalling only, no media path to another instance).
   */
  readonly remoteBridge?: 'any' | 'media';
  /** This leg's channel on its media server (a FreeSWITCH uuid), once it has one. */
  readonly mediaChannel?: string;
  /**
   * Put this leg in a named conference and return when it leaves. `out` is aborted when the room
   * is over for this leg (the runtime's rooms: it ended, reason `ended`, or the API removed the
   * participant, reason `kicked`): the leg leaves it then.
   */
  conference(name: string, options: { muted: boolean; startOnEnter: boolean; endOnExit: boolean; beep: string; hangupOnStar?: boolean; out?: AbortSignal }, signal?: AbortSignal): Promise<{ callerHungUp: boolean; duration: number }>;
  /**
   * Mutes or unmutes this leg in the conference it is in (the Participants API), where the backend
   * mixes the room's audio (drachtio: FreeSWITCH). Absent: the backend has no room audio to mute
   * (the mock records it), or cannot.
   */
  conferenceMute?(muted: boolean): Promise<void>;
}

/**
 * A call the runtime places itself (Twilio's Calls API, `POST .../Calls.json`): one INVITE to
 * one target, as a <Dial> leg goes out, but with no caller behind it. Once the far end answers,
 * the app's document runs on that leg.
 */
export interface OriginateOptions {
  /** Where the call goes (`To`): a number, a SIP URI with its headers and credentials, a client. */
  target: DialTarget;
  /** Caller ID (`From`): a number, or a SIP URI / client identity. */
  from: string;
  /** Seconds to ring before giving up (`Timeout`; Twilio's default 60). */
  timeout: number;
  /**
   * Answering machine detection (`MachineDetection`): only where the backend has a detector
   * (`machineDetection` in its capabilities); the result comes as `answeredBy`.
   */
  machineDetection?: { mode: 'Enable' | 'DetectMessageEnd'; timeout: number };
  /** Told as the attempt goes: its INVITE out (with the backend's call id), then ringing. */
  onProgress?: (progress: { event: 'initiated'; callId: string } | { event: 'ringing' }) => void;
  /** Aborted to cancel the attempt before it is answered (`Status=canceled`): a CANCEL goes out. */
  signal?: AbortSignal;
}

/** Twilio's AnsweredBy values (https://www.twilio.com/docs/voice/answering-machine-detection). */
export type AnsweredBy = 'human' | 'machine_start' | 'machine_end_beep' | 'machine_end_silence' | 'machine_end_other' | 'fax' | 'unknown';

export type OriginateResult =
  /** Answered: `call` is the far end's leg (answered already), ready for the app's document. */
  | { answered: true; call: InboundCall; answeredBy?: AnsweredBy }
  /** Not answered: the call's final status, the far end's final response, and why, in words. */
  | { answered: false; status: 'busy' | 'no-answer' | 'failed' | 'canceled'; sipResponseCode?: number; reason: string };

/** What a backend can do beyond the CallLeg seam, so the REST API can refuse what it cannot honour. */
export interface AdapterCapabilities {
  /** It can tell a person from an answering machine (`MachineDetection`). */
  machineDetection: boolean;
}

export interface TelephonyAdapter {
  readonly name: string;
  readonly clock: Clock;
  readonly capabilities: AdapterCapabilities;
  /** Start taking calls; `onCall` runs once per inbound call. */
  listen(onCall: (call: InboundCall) => void): Promise<void>;
  /**
   * Place a call (after `listen`): resolves once the far end answered or the attempt is over.
   * Never throws for the far end's refusal (that is a result); throws DIDML_TELEPHONY only when
   * the backend cannot place a call at all (not connected, no route for the target).
   */
  originate(options: OriginateOptions): Promise<OriginateResult>;
  close(): Promise<void>;
}
