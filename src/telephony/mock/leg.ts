// One mock call: the CallLeg the session drives, the caller's script it plays against, and the
// transcript of everything that happened. Verb behaviour lives in the modules beside this one;
// the leg holds the call's state (answered, ended, whose turn in the caller's script).
import type { Clock } from '../../clock.js';
import type {
  BridgeResult,
  CallLeg,
  CollectOptions,
  CollectResult,
  ConnectResult,
  DialOptions,
  DialResult,
  PlayPrompt,
  RecordOptions,
  RecordResult,
  ReferOptions,
  ReferResult,
  RejectReason,
  SayPrompt,
  StreamOptions,
} from '../adapter.js';
import { bridge } from './bridge.js';
import { collect } from './collect.js';
import { conference, type ConferenceOptions } from './conference.js';
import { dial } from './dial.js';
import { playPrompt, sendDigits } from './media.js';
import type { InputListener, LegContext } from './operation.js';
import { record } from './record.js';
import { saveRecording } from './recordings.js';
import { refer } from './refer.js';
import { ms, type CallerAction, type CallerOpportunity, type MockCallScript, type TimedAction } from './script.js';
import { connectStream, startStream, stopStream } from './stream.js';
import { CallRecording } from './call-recording.js';
import { CallSound } from './call-sound.js';
import type { BackendEvent, TranscriptEvent } from './transcript.js';
import type { HostPolicy } from '../../webhook/hosts.js';

export type EndedBy = 'caller' | 'app' | 'backend';

export interface MockLegDeps {
  clock: Clock;
  script: MockCallScript;
  callId: string;
  /** What the inbound INVITE said (recorded as the first event); none for a dialled callee's leg. */
  inbound?: Extract<BackendEvent, { type: 'inbound' }>;
  /** A dialled callee's leg: answered already (it sent the 200). */
  answered?: boolean;
  newCallId(): string;
  newRecordingSid(): string;
  recordingsDir?: string;
  onEvent(event: TranscriptEvent, leg: MockCallLeg): void;
  /** Asked for the caller's next action once the script has run out (undefined: silence). */
  ask?: (at: CallerOpportunity, leg: MockCallLeg) => Promise<CallerAction | undefined>;
  /** Which hosts a real agent's websocket may be on. */
  hosts?: HostPolicy;
}

/** Why every operation of an ended call stops. */
const GONE = new Error('the call ended');

export class MockCallLeg implements CallLeg {
  readonly callId: string;
  readonly backend = 'mock';
  /** Two instances' mock legs bridge as two of one instance do: no media flows on the mock. */
  readonly remoteBridge = 'any';
  readonly script: MockCallScript;
  readonly clock: Clock;
  readonly ended: Promise<{ by: EndedBy; reason?: string }>;
  /** Clock time the call arrived; transcript times count from here. */
  readonly startedAt: number;

  readonly #deps: MockLegDeps;
  readonly #events: TranscriptEvent[] = [];
  readonly #gone = new AbortController();
  readonly #actions: CallerAction[];
  readonly #ctx: LegContext;
  readonly #recording: CallRecording;
  #answered = false;
  #endedBy: EndedBy | undefined;
  #resolveEnded!: (v: { by: EndedBy; reason?: string }) => void;
  #cancelHangupTimer: (() => void) | undefined;
  /** What listens to timed input now, the innermost last. */
  readonly #listeners: InputListener[] = [];
  /** Timeline entries still to come, with the timers that make them happen. */
  readonly #timeline = new Map<TimedAction, () => void>();

  constructor(deps: MockLegDeps) {
    this.#deps = deps;
    this.callId = deps.callId;
    this.script = deps.script;
    this.clock = deps.clock;
    this.startedAt = deps.clock.now();
    this.#actions = [...(deps.script.caller ?? [])];
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    const leg = this;
    this.#ctx = {
      clock: deps.clock,
      script: deps.script,
      ...(deps.hosts ? { hosts: deps.hosts } : {}),
      gone: this.#gone.signal,
      sound: new CallSound(() => deps.clock.now()),
      get answered() {
        return leg.#answered;
      },
      get endedBy() {
        return leg.#endedBy;
      },
      emit: (event) => this.#emit(event),
      nextAction: (at) => {
        const scripted = this.#actions.shift();
        if (scripted) return scripted;
        const ask = deps.ask;
        return ask ? () => deps.clock.io(ask(at, this)).then((a) => a ?? { silence: true }) : { silence: true };
      },
      hear: (listener) => {
        this.#listeners.push(listener);
        return () => {
          const i = this.#listeners.lastIndexOf(listener);
          if (i >= 0) this.#listeners.splice(i, 1);
        };
      },
      callerHangup: () => this.callerHangup(),
      answerNow: () => this.#answer(),
      newCallId: deps.newCallId,
      saveRecording: (seconds) => saveRecording(deps.clock, deps.recordingsDir, deps.newRecordingSid(), seconds),
      calleeLeg: (callId, actions) =>
        new MockCallLeg({
          ...deps,
          // The callee's own keys and speech at a screening <Gather> (CalleeBehaviour.actions).
          script: { ...deps.script, caller: actions, hangupAfter: undefined, timeline: undefined },
          callId,
          answered: true,
          inbound: undefined,
          // Its events go into this call's transcript, marked with the callee's leg.
          onEvent: (event) => this.log({ ...event, leg: callId }),
        }),
    };
    this.#recording = new CallRecording(this.#ctx);
    if (deps.inbound) this.#emit(deps.inbound);
    this.#answered = deps.answered ?? false;
    if (deps.script.hangupAfter !== undefined) {
      this.#cancelHangupTimer = deps.clock.timer(ms(deps.script.hangupAfter), () => this.callerHangup());
    }
    for (const entry of deps.script.timeline ?? []) this.#timeline.set(entry, deps.clock.timer(ms(entry.at), () => this.#timed(entry)));
  }

  /** A timeline entry's moment: to whatever listens, or recorded as ignored. */
  #timed(entry: TimedAction): void {
    this.#timeline.delete(entry);
    if (this.isEnded) return;
    const listener = this.#listeners.at(-1);
    if ('digits' in entry) {
      if (listener?.digits) listener.digits(entry.digits);
      else this.#emit({ type: 'digits', digits: entry.digits, ignored: true });
    } else {
      const confidence = entry.confidence ?? 0.9;
      if (listener?.speech) listener.speech(entry.speech, confidence);
      else this.#emit({ type: 'speech', text: entry.speech, confidence, ignored: true });
    }
  }

  get answered(): boolean {
    return this.#answered;
  }

  get isEnded(): boolean {
    return this.#endedBy !== undefined;
  }

  /** Everything that happened so far, oldest first. */
  get transcript(): readonly TranscriptEvent[] {
    return this.#events;
  }

  /** Caller actions not yet used (a scenario can check that the app asked for all of them). */
  get unusedActions(): readonly CallerAction[] {
    return this.#actions;
  }

  /** Adds an event from outside the backend (the runtime's webhooks) to the transcript. */
  log(event: { type: string; [detail: string]: unknown }): TranscriptEvent {
    const t = this.clock.now() - this.startedAt;
    // `t` first for readable JSON, and never taken from the event.
    const timed: TranscriptEvent = Object.assign({ t }, event, { t });
    this.#events.push(timed);
    this.#deps.onEvent(timed, this);
    return timed;
  }

  #emit(event: BackendEvent): void {
    this.log(event);
  }

  #answer(): void {
    if (this.#answered || this.isEnded) return;
    this.#answered = true;
    this.#emit({ type: 'answer' });
  }

  #end(by: EndedBy, reason: string | undefined, event: BackendEvent | undefined): void {
    if (this.isEnded) return;
    this.#endedBy = by;
    if (event) this.#emit(event);
    this.#cancelHangupTimer?.();
    // What the script meant to happen later cannot: said, so a scenario's author sees why.
    for (const [entry, cancel] of this.#timeline) {
      cancel();
      this.#emit({ type: 'script', warning: `timeline: ${'digits' in entry ? `keys ${entry.digits}` : `"${entry.speech}"`} at ${entry.at} s never happened: the call ended first` });
    }
    this.#timeline.clear();
    // Everything in progress settles on this abort, and with it cancels its timers.
    this.#gone.abort(GONE); // a reason of our own: a DOMException (with its stack) per call is costly
    this.#resolveEnded(reason !== undefined ? { by, reason } : { by });
  }

  /** The caller hangs up now. */
  callerHangup(): void {
    this.#end('caller', undefined, { type: 'hangup', by: 'caller' });
  }

  /** The backend drops the call (network failure, adapter closed). */
  drop(reason: string): void {
    this.#end('backend', reason, { type: 'hangup', by: 'backend', reason });
  }

  answer(): Promise<void> {
    this.#answer();
    return Promise.resolve();
  }

  reject(reason: RejectReason): Promise<void> {
    // An answered call can no longer get a final error response: it is hung up instead.
    if (this.#answered) return this.hangup(`reject (${reason}) after answer`);
    // Twilio's codes for a SIP call: busy → 486, rejected → 404 (reference §1.1).
    const sipResponseCode = reason === 'busy' ? 486 : reason === 'unavailable' ? 503 : 404; // rejected, not-found
    this.#end('app', reason, { type: 'reject', reason, sipResponseCode });
    return Promise.resolve();
  }

  hangup(reason?: string): Promise<void> {
    this.#end('app', reason, { type: 'hangup', by: 'app', ...(reason !== undefined ? { reason } : {}) });
    return Promise.resolve();
  }

  say(prompt: SayPrompt, signal?: AbortSignal): Promise<void> {
    return playPrompt(this.#ctx, prompt, signal);
  }

  play(prompt: PlayPrompt, signal?: AbortSignal): Promise<void> {
    return playPrompt(this.#ctx, prompt, signal);
  }

  pause(seconds: number, signal?: AbortSignal): Promise<void> {
    return playPrompt(this.#ctx, { kind: 'pause', seconds }, signal);
  }

  sendDigits(digits: string, signal?: AbortSignal): Promise<void> {
    return sendDigits(this.#ctx, digits, signal);
  }

  collect(options: CollectOptions, signal?: AbortSignal): Promise<CollectResult> {
    return collect(this.#ctx, options, signal);
  }

  record(options: RecordOptions, signal?: AbortSignal): Promise<RecordResult> {
    return record(this.#ctx, options, signal);
  }

  dial(options: DialOptions, signal?: AbortSignal): Promise<DialResult> {
    return dial(this.#ctx, options, signal);
  }

  refer(options: ReferOptions, signal?: AbortSignal): Promise<ReferResult> {
    return refer(this.#ctx, options, signal);
  }

  startCallRecording(options: { channels: 1 | 2 }): Promise<void> {
    this.#answer();
    this.#recording.start(options.channels);
    return Promise.resolve();
  }

  stopCallRecording(): Promise<{ url: string; duration: number } | undefined> {
    return this.#recording.stop();
  }

  startStream(options: StreamOptions): Promise<void> {
    return startStream(this.#ctx, options);
  }

  stopStream(name: string): Promise<void> {
    return stopStream(this.#ctx, name);
  }

  connectStream(options: StreamOptions, signal?: AbortSignal): Promise<ConnectResult> {
    return connectStream(this.#ctx, options, signal);
  }

  bridge(other: CallLeg, signal?: AbortSignal): Promise<BridgeResult> {
    return bridge(this.#ctx, other, signal);
  }

  conference(name: string, options: ConferenceOptions, signal?: AbortSignal): Promise<{ callerHungUp: boolean; duration: number }> {
    return conference(this.#ctx, name, options, signal);
  }
}
