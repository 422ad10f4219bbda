// A call driven step by step from a test (Vitest, node:test, anything that awaits): start it
// against an app, let it run to the moment it needs the caller, check what happened, act as the
// caller, and so on to its end. No server process, no real time: the call runs on the mock
// backend in virtual time, and while it waits for the caller (the mock's `ask` hook) virtual time
// stands still, so a test can look at it for as long as it likes.
//
//   const call = await startCall({ app: 'fixtures/ivr', from: '+14155550100' });
//   await call.expectSay(/For sales press 1/);
//   await call.press('1');
//   await call.expectDial({ to: 'sip:sales@pbx.example.com', headers: { 'X-Department': 'sales' } });
//   await call.expectStatus('completed');
//
// An expectation looks after the previous one, and after the caller's last action: "after I
// pressed 1, the next thing said is…". Its semantics are those of a scenario step (match.ts).
//
// The runtime can place the call instead (`outbound`, the party called scripted in `callees`),
// and the test can change the live call as the Calls API does, at a moment it chooses:
//
//   const call = await startCall({ app: 'fixtures/agent', outbound: { to: '+14155550123' }, callees: { '+14155550123': { ring: 3 } } });
//   await call.runUntil(12);                        // 12 s into the call, held there
//   await call.update({ twiml: '<Response><Dial>+14155550150</Dial></Response>' });
//   await call.expectDial('+14155550150');
import { fileURLToPath } from 'node:url';
import type { Limits } from '../runtime/limits.js';
import { sequentialIds } from '../ids.js';
import type { CallSummary } from '../runtime/session.js';
import { simulateCall, type CallInstruction, type CallScript, type LiveCall, type SimulateOptions, type SimulatedCall } from '../runtime/simulate.js';
import type { CallerAction, CallerOpportunity, TranscriptEvent } from '../telephony/mock/index.js';
import type { DialStatus } from '../telephony/adapter.js';
import type { WebhookHandler } from '../webhook/handler.js';
import { endOf, excerpt, matchSteps, seconds, type Failure } from './match.js';
import { formatFailure } from './report.js';
import { resolveApp } from './apps.js';
import type { AppSpec, Pattern, Step, StepKind, StepModifiers } from './scenario.js';
import { checkScenario } from './validate.js';

/** Text to match: a string exactly, a RegExp, or `{contains}` / `{regex}` as in scenario files. */
export type TextLike = string | number | boolean | RegExp | { contains: string } | { regex: string; flags?: string };
/** Fields to match (headers, params): `null` means absent. */
export type FieldsLike = Record<string, TextLike | null>;

export interface SayExpectation { text?: TextLike; voice?: TextLike; language?: TextLike; loop?: number }
export interface GatherExpectation {
  input?: TextLike; timeout?: TextLike; numDigits?: TextLike; finishOnKey?: TextLike; bargeIn?: boolean;
  digits?: TextLike | null; speech?: TextLike | null; confidence?: TextLike;
  endedBy?: 'key' | 'num-digits' | 'timeout' | 'speech' | 'hangup' | 'abort';
}
export interface RecordExpectation {
  maxLength?: TextLike; timeout?: TextLike; finishOnKey?: TextLike; playBeep?: boolean; trim?: TextLike;
  duration?: TextLike; digits?: TextLike; endedBy?: 'key' | 'silence' | 'max-length' | 'hangup' | 'abort'; url?: TextLike;
}
export interface DialExpectation {
  /** One target that must be among the dial's; a list: exactly these targets, in order. */
  to?: TextLike | TextLike[];
  headers?: FieldsLike; username?: TextLike | null; transport?: TextLike | null; callerId?: TextLike;
  timeout?: TextLike; timeLimit?: TextLike; sequential?: boolean; record?: boolean; hangupOnStar?: boolean; answerOnBridge?: boolean;
  /** Every final SIP response to the dial's INVITEs, in order (401 for a challenge). */
  responses?: number[];
  status?: DialStatus; sipResponseCode?: TextLike; duration?: TextLike; endedBy?: TextLike;
  /** With record: the recording's `{url, duration}`; null: none. */
  recording?: { url?: TextLike; duration?: TextLike } | null;
}
export interface ReferExpectation { to?: TextLike; headers?: FieldsLike; response?: TextLike; notify?: TextLike | null }
/** A <Connect><Stream> or <ConversationRelay>, where it ended (scenario step `stream`). */
export interface StreamExpectation {
  url?: TextLike; name?: TextLike | null; track?: TextLike; parameters?: FieldsLike; protocol?: 'media-streams' | 'conversation-relay'; agent?: boolean;
  endedBy?: 'far-end' | 'hangup' | 'abort' | 'error'; error?: TextLike | null; callerTurns?: number; agentTurns?: number;
}
/**
 * A <Start><Stream> fork (scenario step `fork`); with a real agent, where it ended: how
 * (`endedBy`: stop, hangup, far-end, error) and the media frames it sent on each track.
 */
export interface ForkExpectation {
  url?: TextLike; name?: TextLike | null; track?: TextLike; parameters?: FieldsLike; agent?: boolean;
  endedBy?: 'stop' | 'hangup' | 'far-end' | 'error'; frames?: { inbound?: TextLike; outbound?: TextLike }; capped?: boolean; error?: TextLike | null;
}
/** One turn of a real agent (scenario step `agent`). */
export interface AgentExpectation {
  said?: TextLike; audio?: TextLike; audioAtLeast?: number; mark?: TextLike; digits?: TextLike | null; end?: boolean; handoffData?: TextLike | null;
}
export interface OutboundExpectation {
  to?: TextLike; headers?: FieldsLike; from?: TextLike; timeout?: TextLike; machineDetection?: TextLike;
  status?: 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled'; sipResponseCode?: TextLike; answeredBy?: TextLike | null;
}
export interface WebhookExpectation { url?: TextLike; path?: TextLike; method?: 'GET' | 'POST'; params?: FieldsLike; status?: TextLike; error?: TextLike | null }
export type Options = Omit<StepModifiers, 'not'>;

/** An app for a test: a folder or file path, a URL, a file: URL, an in-process handler, or all the details. */
export type AppInput = string | URL | WebhookHandler | (Partial<AppSpec> & { handler?: WebhookHandler });

export interface StartCallOptions extends CallScript {
  app: AppInput;
  /** Sign every webhook with X-Twilio-Signature. */
  authToken?: string;
  limits?: Partial<Limits>;
}

/** Thrown when a call does not do what a test expects; the message is the report `didml test` prints. */
export class CallExpectationError extends Error {
  override name = 'CallExpectationError';
  constructor(
    message: string,
    readonly failure?: Failure,
  ) {
    super(message);
  }
}

const WAITING: Record<CallerOpportunity, string> = { gather: 'a <Gather>', record: 'a <Record>', dial: 'a <Dial hangupOnStar>' };

/** Plain data for the matcher: RegExps become `{regex, flags}`, everything else as it is. */
function toPattern(v: unknown): Pattern {
  if (v instanceof RegExp) {
    const flags = v.flags.replace(/[^imsu]/g, '');
    return flags ? { regex: v.source, flags } : { regex: v.source };
  }
  if (Array.isArray(v)) return v.map(toPattern);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toPattern(x)]));
  return v as Pattern;
}

export class TestCall {
  readonly #events: TranscriptEvent[] = [];
  readonly #wakers: (() => void)[] = [];
  #callSid = '';
  #position = 0;
  /** What the next expectation looks after, in words. */
  #since = 'from the start of the call';
  #expectations = 0;
  #waiting: { at: CallerOpportunity; answer: (a: CallerAction) => void; t: number } | undefined;
  /** Held by runUntil at a moment of call time: virtual time stands still until the test lets it go. */
  #held: { release: () => void; t: number } | undefined;
  #live: LiveCall | undefined;
  #result: SimulatedCall | undefined;
  #error: unknown;
  #settled = false;

  /** @internal Use startCall(). */
  constructor(
    run: (hooks: { ask: NonNullable<SimulateOptions['ask']>; onEvent: (e: TranscriptEvent) => void; ids: (p: string) => string; onLive: (live: LiveCall) => void }) => Promise<SimulatedCall>,
  ) {
    const ids = sequentialIds();
    run({
      onLive: (live) => (this.#live = live),
      ask: (at, leg) =>
        new Promise<CallerAction>((answer) => {
          this.#waiting = { at, answer, t: leg.clock.now() - leg.startedAt };
          this.#wake();
        }),
      onEvent: (e) => void this.#events.push(e),
      ids: (prefix) => {
        const id = ids(prefix);
        if (prefix === 'CA' && !this.#callSid) this.#callSid = id;
        return id;
      },
    }).then(
      (r) => {
        this.#result = r;
        this.#settled = true;
        this.#wake();
      },
      (e: unknown) => {
        this.#error = e;
        this.#settled = true;
        this.#wake();
      },
    );
  }

  /** The call's CallSid (ids are counters in tests: `CA000…0` for the first call). */
  get callSid(): string {
    return this.#callSid;
  }

  /** What happened so far, in order (the transcript `didml call --json` prints). */
  get events(): readonly TranscriptEvent[] {
    return this.#events;
  }

  /** Where the call waits for the caller right now (after an await), or undefined. */
  get waitingFor(): CallerOpportunity | undefined {
    return this.#waiting?.at;
  }

  get ended(): boolean {
    return this.#settled;
  }

  /** How the call ended, once it has. */
  get summary(): CallSummary | undefined {
    return this.#result?.summary;
  }

  /** The transcript so far as `didml call` prints it. */
  transcript(): string {
    return excerpt(this.#events, undefined, 0, this.#events.length).map((l) => l.slice(2)).join('\n');
  }

  #wake(): void {
    for (const w of this.#wakers.splice(0)) w();
  }

  /** Until the call needs the caller, is held where the test asked, or has ended. */
  #settle(): Promise<void> {
    if (this.#waiting || this.#settled || this.#held) return Promise.resolve();
    return new Promise((resolve) => this.#wakers.push(resolve));
  }

  /** Lets a held call run on. */
  #release(): void {
    this.#held?.release();
    this.#held = undefined;
  }

  #note(): string {
    if (this.#waiting) return `\n  (the call is waiting for the caller at ${WAITING[this.#waiting.at]}: press, speak, stay silent or hang up to go on)`;
    if (this.#held) return `\n  (the call is held at ${seconds(this.#held.t)}: update it, or let it run on with runUntil or expectStatus)`;
    return '';
  }

  #liveCall(): LiveCall {
    if (!this.#live) throw new Error('the call has not started (use startCall())');
    return this.#live;
  }

  #fail(title: string, happened: string): never {
    const tail = excerpt(this.#events, undefined, this.#events.length - 1);
    throw new CallExpectationError(formatFailure({ title, expected: '', happened, excerpt: tail }));
  }

  #rethrow(): void {
    if (this.#error !== undefined) throw this.#error instanceof Error ? this.#error : new Error(String(this.#error));
  }

  // -------------------------------------------------------------------------------------------
  // The caller.

  async #act(action: CallerAction, what: string): Promise<void> {
    await this.#settle();
    this.#rethrow();
    const w = this.#waiting;
    if (!w && this.#held) this.#fail(`the caller cannot ${what} at ${seconds(this.#held.t)}`, 'the call is not waiting for the caller there (at a Gather, a Record or a Dial with hangupOnStar)');
    if (!w) this.#fail(`the caller cannot ${what}: the call is over`, endOf(this.#events));
    if (w.at === 'dial' && !('digits' in action || 'hangup' in action)) {
      this.#fail(`the caller cannot ${what} during a <Dial hangupOnStar>`, 'only keys (* ends the dial) or a hang-up mean anything there');
    }
    this.#waiting = undefined;
    // What the test expects next happens after this.
    this.#position = Math.max(this.#position, this.#events.length);
    this.#since = `after the caller's action (${what}, at ${seconds(w.t)})`;
    w.answer(action);
  }

  /** Presses keys at the Gather (or Record, or `*` during a Dial with hangupOnStar) the call waits at. */
  press(keys: string): Promise<void> {
    return this.#act({ digits: keys }, `press ${keys}`);
  }

  /** Says words at the Gather the call waits at. */
  speak(words: string, options: { confidence?: number } = {}): Promise<void> {
    return this.#act({ speech: words, ...(options.confidence !== undefined ? { confidence: options.confidence } : {}) }, `say "${words}"`);
  }

  /** Stays silent: the Gather times out, the Record ends on silence. */
  silence(): Promise<void> {
    return this.#act({ silence: true }, 'stay silent');
  }

  /**
   * Talks for `seconds` at the Record the call waits at, then presses `then` (a finishing key);
   * `transcription` is what a <Record transcribe> makes of it (without it, the transcription fails).
   */
  talk(seconds: number, options: { then?: string; transcription?: string } = {}): Promise<void> {
    return this.#act(
      { record: seconds, ...(options.then !== undefined ? { digits: options.then } : {}), ...(options.transcription !== undefined ? { transcription: options.transcription } : {}) },
      `talk for ${seconds} s`,
    );
  }

  /**
   * Hangs up at the place the call waits for the caller, or where runUntil holds it (on a placed
   * call: the party called hangs up), and waits for the call to wind up (actions requested with
   * Digits=hangup and the like). A call already over stays as it ended.
   */
  async hangup(): Promise<SimulatedCall> {
    await this.#settle();
    if (this.#waiting) await this.#act({ hangup: true }, 'hang up');
    else if (this.#held) {
      const t = this.#held.t;
      const from = this.#events.length;
      if (!this.#liveCall().hangup()) this.#fail(`nobody can hang up at ${seconds(t)}`, 'the call has not been answered yet');
      this.#position = Math.max(this.#position, from);
      this.#since = `after the hang-up (at ${seconds(t)})`;
    }
    return this.result();
  }

  // -------------------------------------------------------------------------------------------
  // The moment, and the Calls API's update.

  /**
   * Lets the call run until `at` seconds of call time and holds it there: virtual time stands
   * still while the test looks (expectations see what happened so far) and until it acts
   * (update, hangup, runUntil further on, expectStatus). Returns earlier when the call ends
   * first; fails when it waits for the caller before then, or is past that moment already.
   */
  async runUntil(at: number): Promise<void> {
    if (!(typeof at === 'number' && at >= 0)) throw new TypeError(`runUntil: give seconds of call time (0 or more), not ${String(at)}`);
    const live = this.#liveCall();
    this.#rethrow();
    if (this.#settled) return;
    const title = `the call cannot run on to ${seconds(at * 1000)}`;
    const wait = Math.round(at * 1000) - live.now();
    if (wait < 0) this.#fail(title, `it is at ${seconds(live.now())} already`);
    const waiting = () => this.#waiting && this.#fail(title, `it is waiting for the caller at ${WAITING[this.#waiting.at]} (at ${seconds(this.#waiting.t)})`);
    waiting();
    this.#release();
    const cancel = live.clock.timer(wait, () => {
      let release!: () => void;
      void live.clock.io(new Promise<void>((r) => (release = r)));
      this.#held = { release, t: live.now() };
      this.#wake();
    });
    await this.#settle();
    cancel();
    this.#rethrow();
    if (!this.#held) waiting();
  }

  /**
   * Changes the live call now, as the Calls API's update does: `{twiml}` or `{url, method?}`
   * (relative to the app) end the verb in progress and run the new document (an interrupted
   * Gather's action is never requested); `{status: 'completed'}` hangs the call up,
   * `{status: 'canceled'}` cancels a placed call still ringing. The call then runs on.
   */
  async update(instruction: CallInstruction): Promise<void> {
    const checked = checkScenario({ app: '.', pending: 'update', call: { updates: [{ at: 0, ...instruction }] } });
    if (!checked.ok) throw new TypeError(`not a valid update: ${checked.problems.map((p) => p.replace(/^call\.updates\[0\](?:\.|: )/, '')).join('; ')}`);
    const live = this.#liveCall();
    await this.#settle();
    this.#rethrow();
    if (this.#settled) this.#fail('the call cannot be updated: it is over', endOf(this.#events));
    const t = live.now();
    // What the update brings about (the interrupted verb's end, the new document) comes after this.
    const from = this.#events.length;
    live.update(instruction);
    // The verb that waited for the caller has ended; the question it asked is answered with nothing.
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.answer({ silence: true });
    this.#release();
    this.#position = Math.max(this.#position, from);
    const what = instruction.status !== undefined ? `status ${instruction.status}` : instruction.twiml !== undefined ? 'twiml' : `url ${instruction.url}`;
    this.#since = `after the update (${what}, at ${seconds(t)})`;
  }

  /** The whole call once it has ended on its own (a held call runs on); fails if it waits for the caller. */
  async result(): Promise<SimulatedCall> {
    this.#release();
    await this.#settle();
    this.#rethrow();
    if (!this.#result) this.#fail('the call did not end', `it is waiting for the caller at ${WAITING[this.#waiting!.at]}`);
    return this.#result;
  }

  // -------------------------------------------------------------------------------------------
  // Expectations.

  /** Any scenario step (`{say: …}`, `{dial: {…}}`, `{event: {type: …}}`), after the previous expectation. */
  async expect(step: Step | Record<string, unknown>): Promise<TranscriptEvent> {
    const data = toPattern(step) as Step;
    const checked = checkScenario({ app: '.', expect: [data] });
    if (!checked.ok) throw new TypeError(`not a valid expectation: ${checked.problems.map((p) => p.replace(/^expect\[0\](?:\.|: )/, '')).join('; ')}`);
    await this.#settle();
    this.#rethrow();
    const n = ++this.#expectations;
    const r = matchSteps(this.#events, [data], { from: this.#position, since: this.#since, label: () => `expectation ${n}` });
    const f = r.failures[0];
    if (f) throw new CallExpectationError(formatFailure(f) + this.#note(), f);
    const m = r.matched[0];
    if (r.position > this.#position) {
      this.#position = r.position;
      this.#since = `after expectation ${n} (${seconds(this.#events[r.position - 1]!.t)})`;
    }
    return m ? this.#events[m.event]! : this.#events[Math.max(0, this.#position - 1)]!;
  }

  /** That nothing like `step` happens after the previous expectation (to the end of what happened so far). */
  expectNo(step: Step | Record<string, unknown>): Promise<TranscriptEvent> {
    return this.expect({ ...step, not: true });
  }

  #kind(kind: StepKind, value: unknown, options: Options = {}): Promise<TranscriptEvent> {
    return this.expect({ [kind]: value === undefined ? true : value, ...options });
  }

  /** The call the runtime placed, where its attempt ended (answered, busy, no-answer…, or the detector's verdict). */
  expectOutbound(to?: TextLike | OutboundExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('outbound', to, options);
  }
  expectSay(text: TextLike | SayExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('say', text, options);
  }
  expectPlay(url: TextLike | { url?: TextLike; loop?: number }, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('play', url, options);
  }
  expectGather(fields?: GatherExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('gather', fields, options);
  }
  expectRecord(fields?: RecordExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('record', fields, options);
  }
  expectDial(to: TextLike | DialExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('dial', to, options);
  }
  expectRefer(to: TextLike | ReferExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('refer', to, options);
  }
  expectWebhook(path: TextLike | WebhookExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('webhook', path, options);
  }
  expectRedirect(path: TextLike | { url?: TextLike; path?: TextLike; method?: 'GET' | 'POST' }, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('redirect', path, options);
  }
  expectHangup(by?: 'caller' | 'app' | 'backend' | { by?: 'caller' | 'app' | 'backend'; reason?: TextLike }, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('hangup', by, options);
  }
  expectReject(reason?: 'busy' | 'rejected' | { reason?: 'busy' | 'rejected'; sipResponseCode?: TextLike }, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('reject', reason, options);
  }
  expectError(code: TextLike | { code?: TextLike; twilioCode?: TextLike; message?: TextLike; url?: TextLike }, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('error', code, options);
  }
  expectStream(url?: TextLike | StreamExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('stream', url, options);
  }
  /** A <Start><Stream> fork, matched once it has ended (a real agent's: with the frames it sent). */
  expectFork(url?: TextLike | ForkExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('fork', url, options);
  }
  /** The agent's next turn (a real agent: `agent` in the call's script); text is what it said. */
  expectAgent(said?: TextLike | AgentExpectation, options?: Options): Promise<TranscriptEvent> {
    return this.#kind('agent', said, options);
  }

  /** Waits for the call to end on its own and checks how (`completed`, `busy`…); fails if it waits for the caller. */
  async expectStatus(status: string | { status?: string; reason?: TextLike; duration?: TextLike }): Promise<TranscriptEvent> {
    await this.result();
    return this.#kind('status', status);
  }
}

/**
 * Starts a call against an app and returns it as soon as it runs; it goes on, in virtual time,
 * until it needs the caller (a Gather, a Record, a Dial with hangupOnStar) or ends.
 */
export async function startCall(options: StartCallOptions): Promise<TestCall> {
  const { app, authToken, limits, ...script } = options;
  let spec: string | AppSpec;
  let handler: WebhookHandler | undefined;
  if (typeof app === 'function') {
    handler = app;
    spec = { url: 'http://app.test/' };
  } else if (app instanceof URL) {
    spec = app.protocol === 'file:' ? fileURLToPath(app) : app.href;
  } else if (typeof app === 'string') {
    spec = app;
  } else {
    const { handler: h, ...rest } = app;
    handler = h;
    if (rest.url === undefined && !h) throw new TypeError('startCall: app needs a url (a folder, file or URL) or a handler');
    spec = { ...rest, url: rest.url ?? 'http://app.test/' };
  }
  const resolved = await resolveApp(spec, process.cwd(), handler);
  const webhooks = resolved.client(undefined, authToken);
  const call = new TestCall(({ ask, onEvent, ids, onLive }) =>
    simulateCall({ app: resolved.app, call: script, webhooks, ids, ask, onEvent, onLive, ...(limits ? { limits } : {}) }).finally(() => webhooks.close()),
  );
  // The call has started (its first request is on its way): the CallSid is known.
  return call;
}
