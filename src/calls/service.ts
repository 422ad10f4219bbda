// The runtime's calls: the ones that arrive (routed to their number's app) and the ones it is
// asked to place (Twilio's Calls API), each run by a Session, each in the call store while it is
// live and for a while after. The REST routes are thin on top of this; nothing here knows HTTP,
// nor which store is in use (one process, or several instances over Redis: src/state/). The
// sessions, and the handles that steer them, stay here: a command for a call another instance
// runs goes to that instance through the store, and comes back as its outcome.
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { Queues } from '../runtime/queues.js';
import { Conferences } from '../runtime/conferences.js';
import { API_VERSION } from '../runtime/params.js';
import { randomIds, type IdGenerator } from '../ids.js';
import type { Limits } from '../runtime/limits.js';
import { Session, type AppChanges, type AppConfig, type CallSummary, type Instructions, type OutboundCall, type StatusChange } from '../runtime/session.js';
import type { DialTarget, InboundCall, OriginateOptions, TelephonyAdapter } from '../telephony/adapter.js';
import type { WebhookClient } from '../webhook/types.js';
import { CallRequestError } from '../state/errors.js';
import { MemoryCallStore } from '../state/memory.js';
import { isEnded, type CallFilter, type CallRecord, type CallStore } from '../state/types.js';
import { readCommand, type CallCommand } from './commands.js';
import { appFor, type AppTable } from './routing.js';
import { placedResponse, safely, watchLeg, type CallHooks } from './hooks.js';

export interface CallServiceOptions {
  apps: AppTable;
  /** The backend calls arrive from and are placed on (absent: none arrive, none can be placed). */
  adapter?: TelephonyAdapter;
  webhooks: WebhookClient;
  clock: Clock;
  log: Logger;
  accountSid: string;
  limits: Limits & { maxConcurrentCalls?: number };
  maxDocumentBytes: number;
  keepEnded: number;
  keepEndedSeconds: number;
  /** Where call records live and commands travel (default: in-process, keepEnded/keepEndedSeconds). */
  store?: CallStore;
  ids?: IdGenerator;
  /** Told what the calls do (the server's metrics). */
  hooks?: CallHooks;
}

/** How a live call is steered: what the Calls API's update does to it. */
export interface CallControl {
  redirect(next: Instructions, changes?: AppChanges): void;
  end(status: 'completed' | 'canceled', reason: string): void;
}

/** A call to place: what `POST .../Calls.json` asked, checked and typed by the REST layer. */
export interface PlaceCall {
  target: DialTarget;
  /** `To` as given (the record's `to`). */
  to: string;
  from: string;
  app: AppConfig;
  twiml?: string;
  timeout: number;
  timeLimit?: number;
  sendDigits?: string;
  machineDetection?: OriginateOptions['machineDetection'];
  record?: OutboundCall['record'];
}

/** A request the service cannot take, with Twilio's code and the HTTP status to answer with. */
export { CallRequestError };

const NOT_IN_PROGRESS = 21220;
const notFound = (sid: string) => new CallRequestError(20404, 404, `The requested resource /Calls/${sid}.json was not found`);
const notInProgress = (r: CallRecord) => new CallRequestError(NOT_IN_PROGRESS, 400, `Call ${r.sid} is not in progress: it ended ${r.status}. Cannot redirect or end it.`);

export class CallService {
  readonly store: CallStore;
  readonly queues: Queues;
  readonly conferences: Conferences;
  /** The live calls this instance runs, by sid: how to steer each. */
  readonly #controls = new Map<string, CallControl>();
  readonly #o: CallServiceOptions;
  readonly #sessions = new Set<Session>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #ids: IdGenerator;
  #started = 0;
  #ended = 0;
  #refused = 0;

  constructor(options: CallServiceOptions) {
    this.#o = options;
    this.#ids = options.ids ?? randomIds;
    this.store = options.store ?? new MemoryCallStore({ keepEnded: options.keepEnded, keepEndedSeconds: options.keepEndedSeconds });
    // One set of queues for every call of the runtime: <Enqueue> on one call, <Dial><Queue> on
    // another, of this instance or of another one sharing the store (their messages are commands).
    this.queues = new Queues(options.clock, () => this.#ids('QU'), {
      store: this.store.queues,
      instanceId: this.store.instanceId,
      send: async (sid, queue, owner) => void (await this.store.command(sid, { queue }, owner)),
      warn: (message, fields) => this.#o.log.warn(message, fields),
    });
    // Likewise the conference rooms: a change to a participant of another instance is a command to it.
    this.conferences = new Conferences({
      store: this.store.conferences,
      instanceId: this.store.instanceId,
      newSid: this.#ids,
      send: async (sid, conference, owner) => void (await this.store.command(sid, { conference }, owner)),
      notify: (url, method, params) => void this.#o.webhooks.notify({ url, method, params: { ApiVersion: API_VERSION, ...params } }),
      warn: (message, fields) => this.#o.log.warn(message, fields),
    });
  }

  /** Starts the store and takes the commands other instances send for this one's calls. */
  async start(): Promise<void> {
    await this.store.start((sid, command) => this.#apply(sid, readCommand(command)));
  }

  stats() {
    return { activeCalls: this.#started - this.#ended, callsStarted: this.#started, callsEnded: this.#ended, callsRefused: this.#refused };
  }

  /** At limits.maxConcurrentCalls: one more call is refused at once (503), so its carrier can try elsewhere. */
  get full(): boolean {
    const max = this.#o.limits.maxConcurrentCalls;
    return max !== undefined && this.#started - this.#ended >= max;
  }

  /** Counts a call turned away because the runtime is full (POST /calls answers 503 itself). */
  refuse(): void {
    this.#refused++;
  }

  /** A call arrived: the app of the number it was addressed to runs it; no app, no call (404). */
  inbound(call: InboundCall): void {
    const log = this.#o.log;
    if (this.full) {
      this.#refused++;
      log.warn('call refused: the runtime is running limits.maxConcurrentCalls calls', { callId: call.callId, from: call.from, to: call.to, activeCalls: this.stats().activeCalls });
      void call.leg.reject('unavailable').catch((e: unknown) => log.debug('refusing the call failed', { callId: call.callId, error: String(e) }));
      return;
    }
    const routed = appFor(this.#o.apps, call);
    if (!routed) {
      log.warn('call refused: no app for the address called, and no default app ("*")', { callId: call.callId, to: call.to, toUri: call.toUri });
      void call.leg.reject('not-found').catch((e: unknown) => log.debug('refusing the call failed', { callId: call.callId, error: String(e) }));
      return;
    }
    const session = this.#session({}, call, { app: routed.app }, { from: call.from, to: call.to, direction: 'inbound', ...(call.callerName !== undefined ? { callerName: call.callerName } : {}) });
    const sipFinal = this.#o.hooks?.sipFinal;
    if (sipFinal) watchLeg(call.leg, sipFinal);
    this.#run(session, log.child({ callSid: session.callSid, callId: call.callId }), { from: call.from, to: call.to, app: routed.key, direction: 'inbound' });
  }

  /**
   * Places a call (the Calls API's create): answers with its record, status queued, once the
   * store holds it (so an answered create is never lost); the INVITE goes out after.
   */
  async place(request: PlaceCall): Promise<CallRecord> {
    const adapter = this.#o.adapter;
    if (!adapter) throw new CallRequestError(21200, 400, 'this runtime has no telephony backend to place calls on');
    if (this.full) {
      this.#refused++;
      throw new CallRequestError(20429, 429, `the runtime is running ${this.stats().activeCalls} calls, its limits.maxConcurrentCalls; try again later`);
    }
    const outbound: OutboundCall = {
      from: request.from,
      to: request.to,
      originate: (more) =>
        adapter.originate({
          target: request.target,
          from: request.from,
          timeout: request.timeout,
          ...(request.machineDetection ? { machineDetection: request.machineDetection } : {}),
          ...more,
        }).then((result) => {
          const sipFinal = this.#o.hooks?.sipFinal;
          const code = placedResponse(result);
          if (sipFinal && code !== undefined) safely(() => sipFinal(code, 'outbound'));
          if (sipFinal && result.answered) watchLeg(result.call.leg, sipFinal);
          return result;
        }),
      ...(request.sendDigits ? { sendDigits: request.sendDigits } : {}),
      ...(request.record ? { record: request.record } : {}),
    };
    const session = this.#session(
      { durable: true },
      undefined,
      {
        app: request.app,
        outbound,
        ...(request.twiml !== undefined ? { twiml: request.twiml } : {}),
        ...(request.timeLimit !== undefined ? { limits: { ...this.#o.limits, maxCallSeconds: request.timeLimit } } : {}),
      },
      { from: request.from, to: request.to, direction: 'outbound-api' },
    );
    try {
      await session.recorded;
    } catch (e) {
      this.#controls.delete(session.callSid);
      throw e;
    }
    // Answered as Twilio does: queued, before the INVITE goes out.
    const queued = this.store.owned(session.callSid)!;
    this.#run(session, this.#o.log.child({ callSid: session.callSid }), { from: request.from, to: request.to, direction: 'outbound-api' });
    return queued;
  }

  /** The Calls API's update: new instructions for a live call, or its end, by whichever instance runs it. */
  async update(sid: string, change: CallCommand): Promise<CallRecord> {
    const record = await this.store.get(sid);
    if (!record) throw notFound(sid);
    if (isEnded(record.status)) throw notInProgress(record);
    return this.store.command(sid, change);
  }

  /** A command for a call of this instance (from its own REST API or another instance's). */
  async #apply(sid: string, change: CallCommand): Promise<CallRecord> {
    const record = this.store.owned(sid);
    if (!record) throw notFound(sid);
    if (change.queue) {
      // A queue's message between two calls (a caller taken by a call of another instance).
      await this.queues.receive(sid, change.queue);
      return this.store.owned(sid)!;
    }
    if (change.conference) {
      // A change to a conference participant this instance runs (the Participants API of any instance).
      await this.conferences.receive(sid, change.conference);
      return this.store.owned(sid)!;
    }
    const control = this.#controls.get(sid);
    if (isEnded(record.status) || !control) throw notInProgress(record);
    if (change.status === 'canceled' && record.status === 'in-progress') {
      // Twilio: canceled "will not affect calls already in progress"; the answer is the call as it is.
      this.#o.log.warn('Status=canceled has no effect on a call in progress (as on Twilio); Status=completed hangs it up', { callSid: sid });
      return record;
    }
    // A call still queued or ringing takes new instructions too: they run once it is answered.
    if (change.status) control.end(change.status, change.status === 'canceled' ? 'the call was canceled through the REST API' : 'the call was ended through the REST API (Status=completed)');
    else if (change.instructions) control.redirect(change.instructions, change.changes);
    return this.store.owned(sid)!;
  }

  get(sid: string): Promise<CallRecord | undefined> {
    return this.store.get(sid);
  }

  /** Removes an ended call's record (the Calls API's DELETE). */
  delete(sid: string): Promise<'deleted' | 'live' | 'unknown'> {
    return this.store.delete(sid);
  }

  /** Counts a call run elsewhere (a scripted call of POST /calls) among the runtime's, for limits and /health. */
  async counted<T>(run: () => Promise<T>): Promise<T> {
    this.#started++;
    const p = run();
    const done = () => {
      this.#ended++;
      this.#running.delete(p);
    };
    this.#running.add(p);
    p.then(done, done);
    return p;
  }

  /** Ends every call in progress (their sessions wind up as usual: `settled()` waits for them). */
  stopAll(reason = 'the runtime is shutting down'): void {
    for (const s of this.#sessions) s.stop(reason);
  }

  /** Waits for every session to end (tests, a draining shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  list(filter: CallFilter): Promise<CallRecord[]> {
    return this.store.list(filter);
  }

  #session(
    how: { durable?: boolean },
    call: InboundCall | undefined,
    o: Pick<ConstructorParameters<typeof Session>[1], 'app' | 'outbound' | 'twiml' | 'limits'>,
    record: Pick<CallRecord, 'from' | 'to' | 'direction' | 'callerName'>,
  ): Session & { recorded: Promise<void> } {
    const sid = this.#ids('CA');
    let log: Logger = this.#o.log;
    const session = new Session(call, {
      webhooks: this.#o.webhooks,
      clock: this.#o.clock,
      accountSid: this.#o.accountSid,
      limits: this.#o.limits,
      maxDocumentBytes: this.#o.maxDocumentBytes,
      queues: this.queues,
      conferences: this.conferences,
      ids: this.#ids,
      callSid: sid,
      ...o,
      onStatus: (change) => this.#status(sid, change),
      onEvent: (e) => {
        // Failures and what a document asks that the runtime does not do are worth a look.
        const level = e.type === 'error' || e.type === 'warning' ? 'warn' : 'debug';
        log[level](e.type, e);
        const hooks = this.#o.hooks;
        if (hooks?.event) safely(() => hooks.event!(e));
      },
    });
    log = this.#o.log.child({ callSid: sid });
    this.#controls.set(sid, { redirect: (next, changes) => session.redirect(next, changes), end: (status, reason) => session.end(status, reason) });
    const now = Date.now();
    const recorded = this.store.add(
      { sid, accountSid: this.#o.accountSid, status: call ? 'ringing' : 'queued', ...record, ...(call ? { callId: call.callId } : {}), instance: this.store.instanceId, dateCreated: now, dateUpdated: now },
      how,
    );
    // Only a durable add (a placed call) can fail, and place() answers with its failure.
    if (!how.durable) recorded.catch((e: unknown) => this.#o.log.warn('the call record could not be kept', { callSid: sid, error: String(e) }));
    return Object.assign(session, { recorded });
  }

  #status(sid: string, change: StatusChange): void {
    const wall = Date.now();
    const record = this.store.owned(sid);
    const patch: Partial<CallRecord> = { status: change.status };
    if (change.callId) patch.callId = change.callId;
    if (change.answeredBy) patch.answeredBy = change.answeredBy;
    // Twilio's start_time: when the call was answered (in progress), or set at its end otherwise.
    if (change.status === 'in-progress' && record?.startTime === undefined) patch.startTime = wall;
    if (change.endedAt !== undefined) {
      patch.endTime = wall;
      patch.startTime = record?.startTime ?? wall;
      patch.duration = record?.startTime !== undefined ? Math.round((wall - record.startTime) / 1000) : 0;
    }
    if (change.endedAt !== undefined) this.#controls.delete(sid);
    this.store.update(sid, patch);
  }

  #run(session: Session, log: Logger, fields: Record<string, unknown>): void {
    this.#started++;
    this.#sessions.add(session);
    log.info('call started', fields);
    const hooks = this.#o.hooks;
    const direction = String(fields['direction']);
    if (hooks?.started) safely(() => hooks.started!(direction));
    const p = session
      .run()
      .then(
        (s: CallSummary) => {
          if (hooks?.ended) safely(() => hooks.ended!(direction, s.status));
          log.info('call ended', { status: s.status, duration: s.duration, reason: s.reason, documents: s.documents, errors: s.errors.length });
        },
        // run() resolves by design; reaching here is a bug of ours, logged, never a crash.
        (e: unknown) => {
          if (hooks?.ended) safely(() => hooks.ended!(direction, 'failed'));
          log.error('session failed', { error: String(e) });
        },
      )
      .finally(() => {
        this.#sessions.delete(session);
        this.#controls.delete(session.callSid);
        this.#ended++;
        this.#running.delete(p);
      });
    this.#running.add(p);
  }
}
