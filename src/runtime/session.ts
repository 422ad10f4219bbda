// One call: request the app's document, run its verbs in order, follow actions and Redirects,
// end the call when a document runs out of verbs. What Twilio does with TwiML, on any backend.
//
// Failures never escape: a request or document that fails goes to the fallback URL (with
// ErrorCode and ErrorUrl), and when that fails too the caller hears that an application error
// occurred and the call ends (reference §2.4). Every failure is in the transcript with its code.
import type { Clock } from '../clock.js';
import type { AnsweredBy, CallLeg, CallStatus, InboundCall, OriginateOptions, OriginateResult } from '../telephony/adapter.js';
import type { FetchOutcome, HttpMethod, WebhookClient, WebhookRequest } from '../webhook/types.js';
import type { DialectName } from '../types.js';
import type { Projected } from '../grammar/index.js';
import { DidmlError } from '../errors.js';
import { compileDocument, plainTextDocument, type RunnableDocument, type Strictness } from './document.js';
import { Queues } from './queues.js';
import { Conferences } from './conferences.js';
import { CookieJar } from '../webhook/cookies.js';
import { documentKind } from '../webhook/content-type.js';
import { callTimeOf } from '../webhook/call-time.js';
import { API_VERSION, baseParams } from './params.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { randomIds, type IdGenerator } from '../ids.js';
import { verbByName } from './verbs/index.js';
import type { BeforeBridgeRun, VerbContext, VerbOutcome } from './verb.js';
import type { EventSink, RuntimeEvent, TimedEvent } from './events.js';
import { maskCredentials, redact } from '../log.js';
import { notHonoured, notHonouredMessage } from './support.js';

export type StatusEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

export interface AppConfig {
  /** The document for a new call: http(s) URL, or file: URL of a folder app. */
  url: string;
  method?: HttpMethod;
  fallbackUrl?: string;
  fallbackMethod?: HttpMethod;
  statusCallback?: string;
  statusCallbackMethod?: HttpMethod;
  /** Default: completed only, as Twilio. */
  statusCallbackEvents?: StatusEvent[];
  /** Dialect of the app's documents; auto picks per document. */
  dialect?: DialectName | 'auto';
  /** Whether a document recovered from malformed XML fails (default: as the dialect's engine does). */
  strictness?: Strictness;
}

export interface SessionOptions {
  app: AppConfig;
  webhooks: WebhookClient;
  clock: Clock;
  accountSid?: string;
  ids?: IdGenerator;
  limits?: Partial<Limits>;
  /** Largest document accepted, bytes. */
  maxDocumentBytes?: number;
  onEvent?: EventSink;
  /** What the caller hears when the app fails and there is no working fallback. */
  applicationErrorMessage?: string;
  /** Queues shared with the other calls of the runtime (<Enqueue>, <Dial><Queue>). */
  queues?: Queues;
  /** Conference rooms shared with the other calls of the runtime (<Dial><Conference>). */
  conferences?: Conferences;
  /**
   * This session runs an app's document on another leg before it is bridged: a dialled callee's
   * screening (`<Number url>`: Direction outbound-dial, ParentCallSid) or a dequeued caller's
   * (`<Queue url>`: QueueSid, QueueTime, DequeingCallSid). The leg's own CallSid; these
   * parameters on every request; no <Dial> in it (Twilio: "not allowed to contain the <Dial>
   * verb"); a document that runs out leaves the leg up for the bridge, and a <Hangup> (or the
   * party hanging up) takes it away.
   */
  screening?: BeforeBridge;
  /** The call's CallSid (a placed call has one before it exists: the Calls API answers with it). Default: a new one. */
  callSid?: string;
  /** The first document, given inline (the Calls API's `Twiml`) instead of fetched from `app.url`. */
  twiml?: string;
  /** A call the runtime places (Direction outbound-api): `call` is not given, this places it. */
  outbound?: OutboundCall;
  /** Told each time the call's status changes (the call registry keeps its record). */
  onStatus?: (change: StatusChange) => void;
}

/** How a placed call goes out: the backend's originate, with the rest of its options filled in by the session. */
export interface OutboundCall {
  from: string;
  to: string;
  originate(options: Pick<OriginateOptions, 'signal' | 'onProgress'>): Promise<OriginateResult>;
  /** Keys sent once the far end answers, before the app is requested (`SendDigits`). */
  sendDigits?: string;
  /** Record the whole call from the answer (`Record`, `RecordingChannels`), reported to `callback` at its end. */
  record?: { channels: 1 | 2; callback?: { url: string; method: HttpMethod; events: string[] } };
}

export interface StatusChange {
  status: CallStatus;
  /** Clock times (ms) of the answer and the end, once known. */
  answeredAt?: number;
  endedAt?: number;
  answeredBy?: AnsweredBy;
  /** The backend's id for the call (SIP Call-ID), once it has one. */
  callId?: string;
}

/** What a live call can be told to do next (the Calls API's update): a document by URL or inline. */
export type Instructions = { url: string; method?: HttpMethod; twiml?: undefined } | { twiml: string; url?: undefined };

/** What of its app a live call's update may change with new instructions (Twilio: the StatusCallback only with a Url or Twiml). */
export type AppChanges = Partial<Pick<AppConfig, 'fallbackUrl' | 'fallbackMethod' | 'statusCallback' | 'statusCallbackMethod'>>;

export interface BeforeBridge {
  callSid: string;
  direction: 'inbound' | 'outbound-dial';
  params: Record<string, string>;
}

export interface CallSummary {
  callSid: string;
  status: CallStatus;
  /** Seconds from the call's arrival to its end. */
  duration: number;
  /** Why the call ended, in words. */
  reason: string;
  documents: number;
  /** Failures along the way (webhooks, documents, limits), in order. */
  errors: { code: string; twilioCode?: number; message: string; url?: string }[];
}

export const APPLICATION_ERROR = 'We are sorry, an application error has occurred. Goodbye.';

/**
 * What a document run on a party about to be bridged may do (Twilio's whisper documents: no
 * <Dial>; nor anything that would hold that party elsewhere: a queue, a conference, a stream).
 */
const BEFORE_BRIDGE_VERBS = new Set(['Say', 'Play', 'Pause', 'Gather', 'Hangup', 'Reject', 'Redirect']);

/** Why a call ended when its last document simply had no more verbs. */
const RAN_OUT = 'the document ran out of verbs';

/** The next document: fetched from `url`, or given inline (`twiml`, with `url` as its base). */
type Next = WebhookRequest & { fallback: boolean; twiml?: string };

/** The base of an app that exists only as inline TwiML: its documents' relative URLs have nothing to resolve against. */
export const INLINE_APP_URL = 'twiml:inline';

/** Why a call that was placed and answered by no one ended, as Twilio's statuses say it. */
const NOT_ANSWERED = new Set<CallStatus>(['busy', 'no-answer', 'failed', 'canceled']);

export class Session {
  readonly callSid: string;
  readonly #o: SessionOptions;
  /** The call's app: its fallback and status callback may change mid-call (the Calls API's update). */
  #app: AppConfig;
  readonly #limits: Limits;
  #call: InboundCall;
  #leg: CallLeg;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #abort = new AbortController();
  readonly #started: number;
  readonly #errors: CallSummary['errors'] = [];
  readonly #postcalls: { url: string; method: HttpMethod }[] = [];
  readonly #atEnd: (() => Promise<void>)[] = [];
  readonly #queues: Queues;
  readonly #conferences: Conferences;
  /** The app's cookies, kept for the whole call as Twilio keeps them. */
  readonly #cookies = new CookieJar();
  /** What was said not to be honoured (document, element, attribute), to say it once per call. */
  readonly #reported = new Set<string>();
  #didml: boolean;
  #status: CallStatus = 'ringing';
  #answeredAt: number | undefined;
  #documents = 0;
  #redirectsInARow = 0;
  #sequence = 0;
  /** How a <Reject> ended the call, for the final status. */
  #rejectedAs: CallStatus | undefined;
  /** How the Calls API ended it (Status=completed or canceled), for the final status. */
  #endedAs: CallStatus | undefined;
  #answeredBy: AnsweredBy | undefined;
  /** Instructions from outside (the Calls API) waiting to take over from the current document. */
  #pending: Next | undefined;
  /** Aborted to end the document in progress (not the call) when instructions arrive. */
  #turn = new AbortController();
  /** The URL of the document in progress, the base of inline instructions' relative URLs. */
  #documentUrl: string | undefined;
  /** Why a placed call was not answered, and the far end's final response. */
  #unanswered: string | undefined;
  #sipResponseCode: number | undefined;

  /** `call`: the call that arrived; undefined for one the session places (`options.outbound`). */
  constructor(call: InboundCall | undefined, options: SessionOptions) {
    this.#o = options;
    this.#app = options.app;
    const placed = options.outbound;
    if (!call && !placed) throw new TypeError('a Session needs the call that arrived, or options.outbound to place one');
    // A placed call has no leg until it is answered: nothing reads it before then.
    this.#call = call ?? { callId: '', from: placed!.from, to: placed!.to, headers: {}, leg: undefined as unknown as CallLeg };
    this.#leg = this.#call.leg;
    this.#clock = options.clock;
    this.#ids = options.ids ?? randomIds;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#didml = options.app.dialect === 'didml';
    this.callSid = options.screening?.callSid ?? options.callSid ?? this.#ids('CA');
    this.#started = this.#clock.now();
    this.#queues = options.queues ?? new Queues(this.#clock, () => this.#ids('QU'));
    this.#conferences = options.conferences ?? new Conferences({ newSid: this.#ids });
    if (placed) this.#status = 'queued';
    this.#abort.signal.addEventListener('abort', () => this.#turn.abort(this.#abort.signal.reason), { once: true });
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get status(): CallStatus {
    return this.#status;
  }

  /** The call as its requests name it: From, To, the backend's call id, the SIP details. */
  get call(): Omit<InboundCall, 'leg'> {
    const { leg: _leg, ...rest } = this.#call;
    return rest;
  }

  /** Ends the call from outside (a shutting-down server); the session winds up as usual. */
  stop(reason: string): void {
    this.#abort.abort(new DidmlError('DIDML_LIMIT', reason));
  }

  /**
   * Ends the call as the Calls API's `Status` asks: `completed` hangs up a call (in progress, or
   * still ringing: then it ends canceled), `canceled` one not yet answered; on a call in progress
   * `canceled` does nothing, as on Twilio. False when nothing was done.
   */
  end(status: 'completed' | 'canceled', reason: string): boolean {
    if (this.#abort.signal.aborted) return false;
    this.#emit({ type: 'update', status });
    // Twilio: canceled "will not affect calls already in progress".
    if (status === 'canceled' && this.#answeredAt !== undefined) return false;
    this.#endedAs = this.#answeredAt !== undefined ? 'completed' : 'canceled';
    this.#abort.abort(new Error(reason));
    return true;
  }

  /**
   * New instructions for a live call (the Calls API's `Url` or `Twiml`): the verb in progress ends
   * (a <Say> mid-sentence, a <Gather>, a <Dial> and its callees, a queue wait) and the new document
   * runs, as on Twilio. Its answer to the interrupted verb's action is never requested.
   */
  redirect(next: Instructions, changes: AppChanges = {}): void {
    if (this.#abort.signal.aborted) return;
    this.#app = { ...this.#app, ...changes };
    this.#pending = next.twiml !== undefined
      ? { url: this.#documentUrl ?? this.#app.url, method: 'POST', params: {}, fallback: false, twiml: next.twiml }
      : { url: next.url, method: next.method ?? 'POST', params: {}, fallback: false };
    this.#emit({ type: 'update', ...(next.twiml !== undefined ? { twiml: next.twiml } : { url: next.url, method: next.method ?? 'POST' }) });
    this.#turn.abort(new Error('the call was given new instructions'));
  }

  /**
   * The signal a document's verbs stop on: the call's end, or new instructions. One controller
   * per turn, aborted by either (cheaper than AbortSignal.any on every document).
   */
  #documentSignal(): AbortSignal {
    if (this.#turn.signal.aborted && !this.#abort.signal.aborted) this.#turn = new AbortController();
    return this.#turn.signal;
  }

  #setStatus(status: CallStatus, extra: Omit<StatusChange, 'status'> = {}): void {
    this.#status = status;
    this.#o.onStatus?.({ status, ...extra, ...(this.#answeredBy ? { answeredBy: this.#answeredBy } : {}) });
  }

  /**
   * A placed call: queued → initiated → ringing → answered (in-progress), with the status
   * callbacks asked for; or over unanswered (busy, no-answer, failed, canceled). True once answered.
   */
  async #place(placed: OutboundCall): Promise<boolean> {
    this.#callback('initiated', { CallStatus: 'initiated' });
    const result = await placed.originate({
      signal: this.#abort.signal,
      onProgress: (p) => {
        if (p.event === 'initiated') {
          this.#call = { ...this.#call, callId: p.callId };
          this.#o.onStatus?.({ status: this.#status, callId: p.callId });
        } else if (this.#status === 'queued') {
          this.#setStatus('ringing');
          this.#callback('ringing');
        }
      },
    });
    if (!result.answered) {
      this.#emit({ type: 'outbound-end', status: result.status, reason: result.reason, ...(result.sipResponseCode ? { sipResponseCode: result.sipResponseCode } : {}) });
      this.#endedAs = result.status;
      this.#unanswered = result.reason;
      if (result.sipResponseCode !== undefined) this.#sipResponseCode = result.sipResponseCode;
      return false;
    }
    this.#call = { ...result.call, from: placed.from, to: placed.to };
    this.#leg = result.call.leg;
    this.#answeredBy = result.answeredBy;
    this.#answeredAt = this.#clock.now();
    this.#setStatus('in-progress', { answeredAt: this.#answeredAt, callId: result.call.callId });
    this.#callback('answered');
    if (placed.record) await this.#recordCall(placed.record);
    if (placed.sendDigits) await this.#leg.sendDigits(placed.sendDigits, this.#abort.signal);
    return true;
  }

  /** `Record=true` on a placed call: the whole call, its recordingStatusCallback told at the end (RecordingSource OutboundAPI). */
  async #recordCall(o: NonNullable<OutboundCall['record']>): Promise<void> {
    try {
      await this.#leg.startCallRecording({ channels: o.channels });
    } catch (e) {
      if (!(e instanceof DidmlError)) throw e;
      return this.#recordError(e);
    }
    this.#atEnd.push(async () => {
      const r = await this.#leg.stopCallRecording();
      const cb = o.callback;
      if (!r || !cb) return;
      const status = r.duration > 0 ? 'completed' : 'absent';
      if (!cb.events.includes(status)) return;
      this.#fire(cb.url, cb.method, {
        RecordingSid: this.#ids('RE'),
        RecordingUrl: r.url,
        RecordingStatus: status,
        RecordingDuration: String(Math.round(r.duration)),
        RecordingChannels: String(o.channels),
        RecordingSource: 'OutboundAPI',
      });
    });
  }

  async run(): Promise<CallSummary> {
    const limit = () =>
      this.#clock.timer(this.#limits.maxCallSeconds * 1000, () =>
        this.#fail(new DidmlError('DIDML_LIMIT', `the call reached its time limit of ${this.#limits.maxCallSeconds} s`), true),
      );
    // A placed call's TimeLimit counts from its answer; any other call's from its arrival.
    let cancelLimit = this.#o.outbound ? () => undefined : limit();
    let reason: string;
    try {
      if (this.#o.screening) {
        // A screened callee has answered already: its document runs on a call in progress.
        this.#status = 'in-progress';
        this.#answeredAt = this.#clock.now();
      } else if (this.#o.outbound) {
        this.#o.onStatus?.({ status: 'queued' });
      } else {
        this.#setStatus('ringing');
        this.#callback('initiated', { CallStatus: 'initiated' });
        this.#callback('ringing');
      }
      const answered = this.#o.outbound ? await this.#place(this.#o.outbound) : true;
      if (answered && this.#o.outbound) cancelLimit = limit();
      if (answered) {
        void this.#leg.ended.then(({ by, reason }) => {
          if (by === 'caller') this.#abort.abort(new Error(this.#o.outbound ? 'the called party hung up' : 'caller hung up'));
          // The backend lost the call (a dialog that died, the connection to drachtio gone): that is the reason.
          else if (by === 'backend') this.#abort.abort(new Error(reason ?? 'the telephony backend ended the call'));
        });
      }
      reason = answered ? await this.#loop() : this.#unanswered ?? 'not answered';
    } catch (e) {
      if (e instanceof DidmlError) {
        // The backend could not do what a verb needs (DIDML_TELEPHONY: a media verb with no media
        // server): the call ends with that reason, under its own code.
        this.#recordError(e);
        reason = e.message;
      } else {
        // A bug of ours, never the app's: still end the call cleanly and say what happened.
        const err = e instanceof Error ? e : new Error(String(e));
        this.#errors.push({ code: 'DIDML_INTERNAL', message: err.stack ?? err.message });
        this.#emit({ type: 'error', code: 'DIDML_INTERNAL', message: err.message });
        reason = `internal error: ${err.message}`;
      }
    } finally {
      cancelLimit();
    }
    reason = maskCredentials(reason);
    // A screened callee whose document ran out is accepted: it stays up for the bridge.
    const keepUp = this.#o.screening !== undefined && reason === RAN_OUT;
    if (this.#leg && !this.#leg.isEnded && !keepUp) await this.#leg.hangup(reason).catch(() => undefined);
    const final = this.#finalStatus();
    this.#setStatus(final, { endedAt: this.#clock.now() });
    for (const fn of this.#atEnd.splice(0)) {
      await fn().catch((e: unknown) => this.#emit({ type: 'error', code: 'DIDML_INTERNAL', message: `at the end of the call: ${String(e)}` }));
    }
    const duration = Math.round((this.#clock.now() - this.#started) / 1000);
    this.#emit({ type: 'end', status: final, reason });
    // A placed call's final response, as Twilio reports it on the completed callback.
    this.#callback('completed', { CallDuration: String(duration), ...(this.#sipResponseCode !== undefined ? { SipResponseCode: String(this.#sipResponseCode) } : {}) });
    for (const p of this.#postcalls) this.#fire(p.url, p.method, { CallDuration: String(duration) });
    return { callSid: this.callSid, status: final, duration, reason, documents: this.#documents, errors: this.#errors };
  }

  #finalStatus(): CallStatus {
    if (this.#endedAs && NOT_ANSWERED.has(this.#endedAs) && this.#answeredAt === undefined) return this.#endedAs;
    if (this.#answeredAt !== undefined || this.#leg?.answered) return 'completed';
    return this.#rejectedAs ?? (this.#abort.signal.aborted ? 'canceled' : 'completed');
  }

  async #loop(): Promise<string> {
    let next: Next | undefined = { url: this.#app.url, method: this.#app.method ?? 'POST', params: {}, fallback: false, ...(this.#o.twiml !== undefined ? { twiml: this.#o.twiml } : {}) };
    while (next) {
      if (this.#abort.signal.aborted) return this.#abortReason();
      // Instructions given while the call was still ringing replace its first document.
      if (this.#pending) next = this.#takePending();
      const loaded = await this.#load(next);
      if (this.#pending) {
        next = this.#takePending();
        continue;
      }
      if (loaded === 'ended') return this.#abortReason();
      if (loaded instanceof DidmlError) {
        // The app failed and so did its fallback (or it ran into a limit: too many documents): tell
        // the caller, as Twilio does for a fatal app error.
        await this.#applicationError();
        return loaded.message;
      }
      const outcome = await this.#runDocument(loaded.doc, loaded.url, loaded.method);
      // New instructions took over: whatever the interrupted verb would have done next is dropped.
      if (this.#pending && !this.#abort.signal.aborted) {
        next = this.#takePending();
        continue;
      }
      switch (outcome.kind) {
        case 'continue':
          // The call may have ended under the last verb (the backend lost it): that is the reason.
          return this.#abort.signal.aborted ? this.#abortReason() : RAN_OUT;
        case 'end':
          if (outcome.status) this.#rejectedAs = outcome.status;
          return outcome.reason;
        case 'report':
          await this.#report(outcome);
          return outcome.reason ?? 'caller hung up';
        case 'fetch':
          next = { url: outcome.url, method: outcome.method, params: outcome.params, fallback: false, purpose: 'action' };
      }
    }
    return 'no document';
  }

  #takePending(): Next {
    const next = this.#pending!;
    this.#pending = undefined;
    this.#redirectsInARow = 0;
    return next;
  }

  #abortReason(): string {
    const r: unknown = this.#abort.signal.reason;
    return r instanceof Error ? r.message : 'call ended';
  }

  /** Fetches and compiles a document, going to the fallback URL once when it fails. */
  async #load(req: Next): Promise<{ doc: RunnableDocument; url: string; method: HttpMethod } | DidmlError | 'ended'> {
    if (++this.#documents > this.#limits.maxDocuments) {
      return this.#limit(`the call fetched more than ${this.#limits.maxDocuments} documents`);
    }
    const foreign = req.twiml === undefined ? this.#foreign(req.url) : undefined;
    const result: FetchOutcome =
      req.twiml !== undefined
        ? this.#inline(req)
        : foreign
          ? { ok: false, failure: { url: req.url, error: foreign, elapsedMs: 0 } }
          : await this.#fetch(req);
    if (this.#abort.signal.aborted || this.#pending) return 'ended';
    let failure: { error: DidmlError; url: string };
    if (result.ok) {
      const dialect = this.#app.dialect ?? 'auto';
      const doc =
        documentKind(result.document.contentType) === 'text'
          ? plainTextDocument(result.document.body, dialect === 'auto' ? 'twiml' : dialect)
          : compileDocument(result.document.body, dialect, this.#o.maxDocumentBytes ?? 65536, this.#app.strictness, result.document.badByte);
      if (!(doc instanceof DidmlError)) {
        if (doc.dialect === 'didml') this.#didml = true;
        for (const d of doc.diagnostics) {
          this.#emit({ type: 'warning', url: result.document.url, line: d.line, column: d.column, rule: d.rule, message: d.message });
        }
        this.#notHonoured(doc, result.document.url);
        return { doc, url: result.document.url, method: req.method };
      }
      failure = { error: doc, url: result.document.url };
    } else {
      failure = { error: result.failure.error, url: result.failure.url };
    }
    this.#recordError(failure.error, failure.url);
    const fallback = this.#app.fallbackUrl;
    if (req.fallback || !fallback) return failure.error;
    return this.#load({
      url: fallback,
      method: this.#app.fallbackMethod ?? 'POST',
      params: { ...req.params, ErrorCode: String(failure.error.twilioCode ?? ''), ErrorUrl: failure.url },
      fallback: true,
      purpose: 'fallback',
    });
  }

  /** Attributes the document writes that this runtime (or backend) does not honour: said once per call, document and attribute. */
  #notHonoured(doc: RunnableDocument, url: string): void {
    const backend = this.#leg.backend;
    for (const n of notHonoured(doc.root, doc.dialect, backend)) {
      const key = `${url}\u0000${n.element}\u0000${n.attribute ?? `in ${n.parentTag}`}`;
      if (this.#reported.has(key)) continue;
      this.#reported.add(key);
      this.#emit({ type: 'warning', url, rule: 'runtime-support', element: n.tag, ...(n.attribute !== undefined ? { attribute: n.attribute } : {}), ...(n.parentTag !== undefined ? { parent: n.parentTag } : {}), message: notHonouredMessage(n, backend) });
    }
  }

  /** Inline instructions (the Calls API's `Twiml`): a document that needs no request. */
  #inline(req: Next): FetchOutcome {
    this.#emit({ type: 'twiml', base: req.url, body: req.twiml });
    return { ok: true, document: { url: req.url, status: 200, contentType: 'application/xml', body: req.twiml ?? '', elapsedMs: 0 } };
  }

  /**
   * A document may send the call only to URLs of the app's own kind: an app on the web cannot
   * make the runtime read local files (app:, file:), nor a folder app reach the network.
   */
  #foreign(url: string): DidmlError | undefined {
    const family = (u: string) => {
      const p = URL.canParse(u) ? new URL(u).protocol : '';
      return p === 'https:' ? 'http:' : p === 'file:' ? 'app:' : p;
    };
    const theirs = family(url);
    // An app given only inline (a placed call's Twiml) lives on the web: its URLs are http(s).
    const ours = this.#app.url === INLINE_APP_URL ? 'http:' : family(this.#app.url);
    if (theirs === ours || url === this.#app.fallbackUrl) return undefined;
    return new DidmlError('DIDML_URL_FORBIDDEN', `${url}: an app at ${this.#app.url} may not send the call to a ${theirs || 'non-URL'} address`);
  }

  /** `tied`: cancelled when the session's signal fires (every request but a report). */
  async #fetch(req: WebhookRequest, tied = true): Promise<FetchOutcome> {
    const params = { ...baseParams(this.#identity(), this.#status, this.#didml), ...this.#parent, ...req.params };
    const t = this.#clock.now();
    const signal = tied ? this.#documentSignal() : undefined;
    const out = await this.#clock.io(this.#o.webhooks.fetchDocument({ url: req.url, method: req.method, params, cookies: this.#cookies, ...(req.purpose ? { purpose: req.purpose } : {}) }, signal));
    // The caller waited that long (in silence, or ringing): in virtual time too.
    if (signal) await this.#clock.elapse(callTimeOf(out), signal);
    this.#emit({
      type: 'webhook',
      url: req.url,
      method: req.method,
      params,
      ...(out.ok ? { status: out.document.status } : { status: out.failure.status, error: out.failure.error.code, message: out.failure.error.message }),
      ...(this.#clock.now() !== t ? { elapsed: this.#clock.now() - t } : {}),
    });
    return out;
  }

  /**
   * The call is over, yet Twilio still requests the verb's action ("the caller hung up during the
   * Dial": DialCallStatus, Record's Digits=hangup) with the call's final status; its answer is not
   * run. The session's signal has fired by now (the caller is gone), so the request is not tied to it.
   */
  async #report(outcome: Extract<VerbOutcome, { kind: 'report' }>): Promise<void> {
    this.#status = this.#finalStatus();
    const foreign = this.#foreign(outcome.url);
    if (foreign) return this.#recordError(foreign, outcome.url);
    const out = await this.#fetch({ url: outcome.url, method: outcome.method, params: outcome.params, purpose: 'action' }, false);
    if (!out.ok) this.#recordError(out.failure.error, out.failure.url);
  }

  async #runDocument(doc: RunnableDocument, url: string, method: HttpMethod): Promise<VerbOutcome> {
    const verbs = doc.root.children;
    if (verbs.length > this.#limits.maxVerbsPerDocument) {
      await this.#appLimit(`the document at ${url} has ${verbs.length} verbs, more than ${this.#limits.maxVerbsPerDocument}`);
      return { kind: 'end', reason: 'too many verbs' };
    }
    this.#documentUrl = url;
    const ctx = this.#context(doc.dialect, url, method, this.#documentSignal());
    let tookTime = false;
    for (const node of verbs) {
      if (this.#pending) return { kind: 'continue' };
      if (this.#abort.signal.aborted || this.#leg.isEnded) return { kind: 'end', reason: this.#abortReason() };
      const verb = verbByName.get(node.def ?? node.name);
      if (!verb) {
        this.#emit({ type: 'warning', url, message: `<${node.name}> is not a verb this runtime knows; skipped` });
        continue;
      }
      if (this.#o.screening && !verb.names.some((n) => BEFORE_BRIDGE_VERBS.has(n))) {
        this.#emit({ type: 'warning', url, message: `<${node.name}> is not allowed in a document run before a bridge (<Number url>, <Queue url>: ${[...BEFORE_BRIDGE_VERBS].join(', ')}); skipped` });
        continue;
      }
      const before = this.#clock.now();
      const outcome = await verb.run(node, ctx);
      if (this.#clock.now() !== before || node.name !== 'Redirect') tookTime = true;
      if (outcome.kind === 'continue') continue;
      if (outcome.kind === 'fetch') {
        this.#redirectsInARow = tookTime ? 0 : this.#redirectsInARow + 1;
        if (this.#redirectsInARow > this.#limits.maxRedirects) {
          await this.#appLimit(`${this.#redirectsInARow} documents in a row did nothing but redirect (last: ${outcome.url})`);
          return { kind: 'end', reason: 'redirect loop' };
        }
        if (node.name === 'Redirect') this.#emit({ type: 'redirect', url: outcome.url, method: outcome.method });
      }
      return outcome;
    }
    return { kind: 'continue' };
  }

  #context(dialect: DialectName, documentUrl: string, documentMethod: HttpMethod, signal: AbortSignal): VerbContext {
    const ctx: VerbContext = {
      leg: this.#leg,
      clock: this.#clock,
      dialect,
      signal,
      documentUrl,
      documentMethod,
      call: { callSid: this.callSid, from: this.#call.from, to: this.#call.to, accountSid: this.#identity().accountSid },
      resolve: (u) => {
        if (documentUrl === INLINE_APP_URL && !URL.canParse(u.trim())) {
          throw new DidmlError('DIDML_DOCUMENT_INVALID', `"${u.trim()}" is a relative URL in TwiML given inline (Twiml), which has no URL to resolve it against: write it as an absolute URL`);
        }
        return new URL(u.trim(), documentUrl).href;
      },
      answer: () => this.#answer(),
      emit: (e) => this.#emit(e),
      notify: (url, method, params) => this.#fire(url, method, params),
      notifyChild: (url, method, params) => this.#send(url, method, { AccountSid: this.#identity().accountSid, ApiVersion: API_VERSION, ...params }),
      newSid: (prefix) => this.#ids(prefix),
      runVerb: (node: Projected) => {
        const verb = verbByName.get(node.def ?? node.name);
        return verb ? verb.run(node, ctx) : Promise.resolve({ kind: 'continue' } as const);
      },
      addPostcall: (url, method) => this.#postcalls.push({ url, method }),
      onCallEnd: (fn) => this.#atEnd.push(fn),
      queues: this.#queues,
      conferences: this.#conferences,
      runBeforeBridge: (o) => this.#runBeforeBridge(o),
      loadDocument: async (url, method, params) => {
        // A document the call waits on (an <Enqueue waitUrl>): no fallback, a failure is reported.
        const r = await this.#load({ url, method, params, fallback: true });
        if (r === 'ended') return new DidmlError('DIDML_LIMIT', this.#abortReason());
        return r instanceof DidmlError ? r : { url: r.url, root: r.doc.root };
      },
    };
    return ctx;
  }

  /** A session of its own on the other leg, sharing this one's client, clock, ids and limits; its events join this call's, marked with that leg. */
  async #runBeforeBridge(o: BeforeBridgeRun): Promise<CallSummary> {
    const { app, onEvent: _ownSink, ...shared } = this.#o;
    const other = new Session(
      { callId: o.leg.callId, from: o.from, to: o.to, headers: {}, leg: o.leg },
      {
        ...shared,
        app: { url: o.url, method: o.method, ...(app.dialect ? { dialect: app.dialect } : {}) },
        queues: this.#queues,
        conferences: this.#conferences,
        screening: { callSid: o.callSid, direction: o.direction, params: o.params },
        // Marked as the backend marks the leg's own events (its call id).
        onEvent: ({ t: _t, ...event }) => this.#emit({ ...event, leg: o.leg.callId }),
      },
    );
    // The caller hanging up (or a limit) ends that document too.
    const stop = () => other.stop(this.#abortReason());
    this.#abort.signal.addEventListener('abort', stop, { once: true });
    try {
      return await other.run();
    } finally {
      this.#abort.signal.removeEventListener('abort', stop);
    }
  }

  async #answer(): Promise<void> {
    if (this.#answeredAt !== undefined || this.#leg.isEnded) return;
    await this.#leg.answer();
    this.#answeredAt = this.#clock.now();
    this.#setStatus('in-progress', { answeredAt: this.#answeredAt });
    this.#callback('answered');
  }

  async #applicationError(): Promise<void> {
    if (this.#leg.isEnded) return;
    await this.#answer();
    try {
      await this.#leg.say({ kind: 'say', text: this.#o.applicationErrorMessage ?? APPLICATION_ERROR, voice: 'woman', language: 'en-US', loop: 1 }, this.#abort.signal);
    } catch (e) {
      // A backend without media (drachtio with no media server) cannot tell the caller; the call
      // ends all the same, for the app's failure, with this one on record too.
      if (!(e instanceof DidmlError)) throw e;
      this.#recordError(e);
    }
  }

  #limit(message: string): DidmlError {
    const err = new DidmlError('DIDML_LIMIT', message);
    this.#fail(err, false);
    return err;
  }

  /** A limit the app ran into (verbs in a document, redirects in a row): on record, then the application-error message, as for any fatal app error. */
  async #appLimit(message: string): Promise<void> {
    this.#limit(message);
    await this.#applicationError();
  }

  #fail(err: DidmlError, abort: boolean): void {
    this.#recordError(err);
    if (abort) this.#abort.abort(err);
  }

  #recordError(err: DidmlError, at?: string): void {
    // A URL's password stays out of the summary and the transcript (src/log.ts).
    const url = at === undefined ? undefined : maskCredentials(at);
    const message = maskCredentials(err.message);
    this.#errors.push({ code: err.code, ...(err.twilioCode ? { twilioCode: err.twilioCode } : {}), message, ...(url ? { url } : {}) });
    this.#emit({ type: 'error', code: err.code, ...(err.twilioCode ? { twilioCode: err.twilioCode } : {}), message, ...(url ? { url } : {}) });
  }

  #identity() {
    const direction = this.#o.screening?.direction ?? (this.#o.outbound ? ('outbound-api' as const) : ('inbound' as const));
    return { accountSid: this.#o.accountSid ?? 'AC' + '0'.repeat(32), callSid: this.callSid, call: this.#call, direction };
  }

  #callback(event: StatusEvent, extra: Record<string, string> = {}): void {
    const url = this.#app.statusCallback;
    if (!url) return;
    const events = this.#app.statusCallbackEvents ?? ['completed'];
    if (!events.includes(event)) return;
    this.#fire(url, this.#app.statusCallbackMethod ?? 'POST', {
      ...extra,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(this.#sequence++),
      Timestamp: new Date().toUTCString(),
      StatusCallbackEvent: event,
    });
  }

  /** What a document run before a bridge adds to every request (ParentCallSid, QueueSid...), and a placed call's AnsweredBy. */
  get #parent(): Record<string, string> {
    const extra = this.#o.screening?.params ?? {};
    return this.#answeredBy ? { ...extra, AnsweredBy: this.#answeredBy } : extra;
  }

  /** Fire-and-forget callbacks: never block the call, never throw; failures are logged. */
  #fire(url: string, method: HttpMethod, extra: Record<string, string>): void {
    this.#send(url, method, { ...baseParams(this.#identity(), this.#status, this.#didml), ...this.#parent, ...extra });
  }

  #send(url: string, method: HttpMethod, params: Record<string, string>): void {
    this.#emit({ type: 'callback', url, method, params });
    void this.#o.webhooks.notify({ url, method, params, cookies: this.#cookies }).then((r) => {
      if (!r.ok && r.error) this.#emit({ type: 'error', code: r.error.code, message: `callback to ${url} failed: ${r.error.message}` });
    });
  }

  #emit(event: RuntimeEvent): void {
    // Transcripts are shown and stored: no password of a URL, no secret-named field (src/log.ts).
    this.#o.onEvent?.({ t: Math.round(this.#clock.now() - this.#started), ...(redact(event) as RuntimeEvent) } as TimedEvent);
  }
}

/** Runs one call to its end. */
export function runCall(call: InboundCall | undefined, options: SessionOptions): Promise<CallSummary> {
  return new Session(call, options).run();
}
