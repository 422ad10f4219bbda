// <Dial> on drachtio: an INVITE per target (all at once, or one after another with sequential),
// the first to answer wins and the others are CANCELled (RFC 3261 §9.1).
// - A target still ringing at `timeout` is CANCELled: its 487 makes it no-answer. 486/600 are
//   busy, any other final code failed; the Dial's status is that of the attempt that ended last
//   (as on the mock). https://www.twilio.com/docs/voice/twiml/dial
// - A 401/407 is answered by drachtio-srf with the target's credentials (<Sip username password>
//   or the trunk's) and the INVITE goes again (RFC 3261 §22.2).
// - A 200 that crosses our CANCEL (RFC 3261 §9.1: "the CANCEL has no effect" once a final response
//   went out) is ACKed and hung up at once.
// - Without a media server the caller's offer goes to the callee and the callee's answer back to
//   the caller (a signalling-only B2BUA; re-INVITEs are relayed while bridged). With one, each
//   callee gets a FreeSWITCH endpoint of its own, bridged to the caller's.
// - record: both parties on the caller's media endpoint (endpoint-recording.ts; needs the media server).
// - Once bridged the call ends when either side hangs up, at timeLimit, with * (hangupOnStar), or
//   when the session aborts.
import { DidmlError } from '../../errors.js';
import { isPassedThrough } from '../../sip/headers.js';
import type { AnsweredCallee, DialOptions, DialResult, DialStatus, DialTarget } from '../adapter.js';
import type { LegCore } from './core.js';
import type { MediaEndpoint } from './media.js';
import { isSdp } from './sdp.js';
import { isSipError, type SrfDialog, type SrfRequest, type SrfResponse } from './srf.js';
import { inviteOptions, isResolveError, resolveTarget } from './targets.js';
import { EndpointRecording } from './endpoint-recording.js';
import { CANCEL_GRACE_MS, cancelInvite, unansweredStatus } from './uac.js';
import { DrachtioCalleeLeg } from './callee-leg.js';

interface Attempt {
  /** Its place in DialOptions.targets. */
  index: number;
  target: DialTarget;
  /** Its `ringing` and `completed` progress went out. */
  rang?: true;
  over?: true;
  /** Its endpoint has the callee's answer already (set up for screening). */
  mediaReady?: true;
  status?: DialStatus;
  sipResponseCode?: number;
  /** The INVITE as sent (its `cancel()`). */
  req?: SrfRequest;
  callId: string;
  dialog?: SrfDialog;
  endpoint?: MediaEndpoint;
  headers: Record<string, string>;
  /** Why we CANCELled it. */
  cancelled?: 'timeout' | 'other-answered' | 'caller-gone';
  /** The callee hung up (BYE) after answering. */
  hungUp?: boolean;
  timers: (() => void)[];
}

type EndedBy = NonNullable<DialResult['endedBy']>;

function passedHeaders(res: SrfResponse | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res?.headers ?? {})) if (isPassedThrough(name)) out[name] = value;
  return out;
}

export async function dial(core: LegCore, o: DialOptions, signal?: AbortSignal): Promise<DialResult> {
  if (core.gone.aborted || signal?.aborted) return { status: 'canceled', duration: 0, attempts: [], callerHungUp: core.endedBy === 'caller' };
  if (!core.mediaConfigured) {
    if (!isSdp(core.partySdp)) {
      throw new DidmlError('DIDML_TELEPHONY', "<Dial>: the caller's INVITE has no SDP offer, and without a media server didml can only pass an offer on to the callee");
    }
  } else {
    core.media('<Dial>');
  }
  const recording = EndpointRecording.forDial(core, o);
  // record-from-ringing: from now, when the caller has an endpoint already; else from the answer.
  if (recording && o.record?.from === 'ringing' && core.endpoint) await recording.start(core.endpoint);
  const result = await new Dialer(core, o, signal, recording).run();
  const recorded = await recording?.stop();
  // As Twilio: a recording is reported for a call that was answered.
  return recorded && result.answered ? { ...result, recording: recorded } : result;
}

class Dialer {
  readonly #core: LegCore;
  readonly #o: DialOptions;
  readonly #signal: AbortSignal | undefined;
  readonly #recording: EndpointRecording | undefined;
  readonly #attempts: Attempt[] = [];
  #resolve!: (r: DialResult) => void;
  #done = false;
  #bridged?: { attempt: Attempt; at: number; cleanup: (() => void)[] };
  #connecting = false;
  #last?: Attempt;
  #detach: () => void = () => undefined;

  constructor(core: LegCore, o: DialOptions, signal: AbortSignal | undefined, recording: EndpointRecording | undefined) {
    this.#core = core;
    this.#o = o;
    this.#signal = signal;
    this.#recording = recording;
  }

  run(): Promise<DialResult> {
    const promise = new Promise<DialResult>((resolve) => (this.#resolve = resolve));
    const onGone = () => this.#stopped(true);
    const onAbort = () => this.#stopped(false);
    this.#core.gone.addEventListener('abort', onGone, { once: true });
    this.#signal?.addEventListener('abort', onAbort, { once: true });
    this.#detach = () => {
      this.#core.gone.removeEventListener('abort', onGone);
      this.#signal?.removeEventListener('abort', onAbort);
    };
    if (this.#o.sequential) void this.#start(0);
    else this.#o.targets.forEach((_, i) => void this.#start(i));
    return promise;
  }

  #settle(r: DialResult): void {
    if (this.#done) return;
    this.#done = true;
    this.#detach();
    for (const a of this.#attempts) for (const cancel of a.timers) cancel();
    this.#resolve(r);
  }

  async #start(i: number): Promise<void> {
    const target = this.#o.targets[i];
    if (!target || this.#done) return;
    const core = this.#core;
    const a: Attempt = { index: i, target, callId: '', headers: {}, timers: [] };
    this.#attempts[i] = a;
    const out = resolveTarget(target, core.config);
    if (isResolveError(out)) {
      core.log.warn('<Dial> target cannot be dialled', { callId: core.callId, error: out.error });
      return this.#fail(a, undefined, 'failed');
    }
    const untrusted = out.trunk !== undefined ? await core.trunkProblem(out.trunk) : undefined;
    if (untrusted) {
      core.log.warn('<Dial> target not dialled', { callId: core.callId, uri: out.uri, error: untrusted });
      return this.#fail(a, undefined, 'failed');
    }
    if (this.#done || a.status) return;
    let localSdp: string;
    try {
      if (core.mediaConfigured) {
        a.endpoint = await core.media('<Dial>').offer();
        localSdp = a.endpoint.localSdp;
      } else {
        localSdp = core.partySdp;
      }
    } catch (e) {
      core.log.warn('<Dial>: no media endpoint for the callee', { callId: core.callId, error: (e as Error).message });
      return this.#fail(a, undefined, 'failed');
    }
    if (this.#done || a.status) return void a.endpoint?.destroy();
    a.timers.push(core.clock.timer(this.#o.timeout * 1000, () => this.#cancel(a, 'timeout')));
    core.srf.createUAC(
        out.uri,
        inviteOptions(out, { callerId: this.#o.callerId, localSdp, config: core.config, socket: core.socket }),
        {
          cbRequest: (err, req) => {
            if (err || !req) return;
            a.req = req;
            a.callId = req.get('Call-ID') ?? '';
            this.#o.onProgress?.(a.index, { event: 'initiated', callId: a.callId });
            if (a.cancelled) this.#sendCancel(a);
          },
          cbProvisional: (res) => this.#provisional(a, res),
        },
        // In the turn of the 200 itself (see Srf#createUAC): a BYE right behind it finds its listener.
        (err, dialog) => {
          if (!err) return this.#answered(a, dialog);
          const code = isSipError(err) ? err.status : undefined;
          if (!isSipError(err)) core.log.warn('<Dial> INVITE failed', { callId: core.callId, uri: out.uri, error: String(err) });
          this.#fail(a, code, unansweredStatus(code, a.cancelled === 'timeout' ? 'timeout' : a.cancelled ? 'given-up' : undefined));
        },
      );
  }

  /** 180/183: the leg rings (once, for its statusCallback); early media from a single callee reaches an unanswered caller (183 with SDP). */
  #provisional(a: Attempt, res: SrfResponse): void {
    if ((res.status === 180 || res.status === 183) && !a.rang) {
      a.rang = true;
      this.#o.onProgress?.(a.index, { event: 'ringing' });
    }
    const core = this.#core;
    if (res.status !== 183 || !isSdp(res.body) || core.mediaConfigured || this.#o.targets.length !== 1) return;
    core.earlyMedia(res.body);
  }

  #cancel(a: Attempt, why: NonNullable<Attempt['cancelled']>): void {
    if (a.status || a.cancelled) return;
    a.cancelled = why;
    if (a.req) this.#sendCancel(a);
    // The far end owes a 487; if it never comes the attempt is over all the same.
    a.timers.push(this.#core.clock.timer(CANCEL_GRACE_MS, () => this.#fail(a, 487, why === 'timeout' ? 'no-answer' : 'canceled')));
  }

  #sendCancel(a: Attempt): void {
    cancelInvite(a.req, this.#core.log, a.callId);
  }

  /** The attempt's leg is over: its `completed` progress, with how long it was bridged. */
  #over(a: Attempt, duration = 0): void {
    if (a.over) return;
    a.over = true;
    this.#o.onProgress?.(a.index, { event: 'completed', status: a.status ?? 'canceled', ...(a.sipResponseCode !== undefined ? { sipResponseCode: a.sipResponseCode } : {}), duration });
  }

  #fail(a: Attempt, code: number | undefined, status: DialStatus): void {
    if (a.status) return;
    for (const cancel of a.timers) cancel();
    a.status = status;
    if (code !== undefined) a.sipResponseCode = code;
    this.#over(a);
    void a.endpoint?.destroy();
    if (code !== undefined && !a.cancelled) this.#core.noteDialFailure(code);
    if (a.cancelled !== 'other-answered' && a.cancelled !== 'caller-gone') this.#last = a;
    this.#settleIfOver();
  }

  #settleIfOver(): void {
    if (this.#done || this.#bridged || this.#connecting) return;
    if (this.#attempts.some((a) => a && !a.status)) return;
    const started = this.#attempts.filter(Boolean).length;
    if (started < this.#o.targets.length) {
      if (this.#o.sequential) void this.#start(started);
      return;
    }
    const last = this.#last;
    this.#settle({
      status: last?.status ?? 'failed',
      duration: 0,
      ...(last?.sipResponseCode !== undefined ? { sipResponseCode: last.sipResponseCode } : {}),
      attempts: this.#attemptList(),
      callerHungUp: false,
    });
  }

  #answered(a: Attempt, dialog: SrfDialog): void {
    for (const cancel of a.timers) cancel();
    a.timers = [];
    // The 200 crossed our CANCEL, or another callee won meanwhile: ACKed by drachtio-srf, hang up.
    if (this.#done || this.#bridged || this.#connecting || a.cancelled || a.status) {
      this.#core.log.debug('a callee answered after it was cancelled; hanging it up', { callId: a.callId });
      void dialog.destroy().catch(() => undefined);
      void a.endpoint?.destroy();
      if (!a.status) {
        a.status = a.cancelled === 'timeout' ? 'no-answer' : 'canceled';
        a.sipResponseCode = 200;
        this.#over(a);
        // Cancelled at the timeout, it is the attempt whose status the Dial reports (as in #fail).
        if (a.cancelled !== 'other-answered' && a.cancelled !== 'caller-gone') this.#last = a;
        this.#settleIfOver();
      }
      return;
    }
    a.sipResponseCode = 200;
    a.dialog = dialog;
    this.#o.onProgress?.(a.index, { event: 'answered' });
    // With a media server the callee's re-INVITEs (a hold) go to its own endpoint, as the caller's do (leg.ts).
    const ep = a.endpoint;
    if (ep) {
      dialog.on('modify', (req: SrfRequest, res: SrfResponse) => {
        ep.modify(req.body).then(
          (sdp) => res.send(200, { body: sdp, headers: { 'Content-Type': 'application/sdp' } }),
          () => res.send(488),
        );
      });
    }
    a.headers = passedHeaders((dialog as unknown as { res?: SrfResponse }).res);
    // A BYE can come in the same read as the 200 (drachtio-srf handles it before this promise
    // continuation runs): `connected` says so; afterwards the event does.
    a.hungUp = !dialog.connected;
    dialog.on('destroy', () => {
      a.hungUp = true;
      if (this.#bridged?.attempt === a) return this.#end('callee');
      // Hung up while being screened: it no longer counts.
      if (!a.status) {
        a.status = 'no-answer';
        this.#over(a);
        this.#last = a;
        this.#settleIfOver();
      }
    });
    if (a.hungUp) {
      a.status = 'no-answer';
      this.#over(a);
      this.#last = a;
      return this.#settleIfOver();
    }
    const screen = this.#o.screen;
    if (!screen) return void this.#bridge(a);
    void this.#calleeLeg(a).then((leg) =>
      screen({ target: a.target, callId: a.callId, headers: a.headers, ...(leg ? { leg } : {}) }).then(
        (ok) => this.#screened(a, ok),
        () => this.#screened(a, false),
      ),
    );
  }

  /** With a media server, the callee's side for a screening document: its endpoint pointed at the callee first. */
  async #calleeLeg(a: Attempt): Promise<DrachtioCalleeLeg | undefined> {
    const ep = a.endpoint;
    if (!ep || !a.dialog) return undefined;
    try {
      await ep.modify(a.dialog.remote.sdp);
      a.mediaReady = true;
    } catch (e) {
      this.#core.log.warn('<Dial>: the callee\'s media could not be set up for screening', { callId: a.callId, error: (e as Error).message });
      return undefined;
    }
    return new DrachtioCalleeLeg(this.#core, { callId: a.callId, dialog: a.dialog, endpoint: ep });
  }

  #screened(a: Attempt, accepted: boolean): void {
    if (a.status) return;
    if (accepted && !this.#done && !this.#bridged && !this.#connecting) return void this.#bridge(a);
    void a.dialog?.destroy().catch(() => undefined);
    void a.endpoint?.destroy();
    a.status = 'no-answer';
    this.#over(a);
    this.#last = a;
    this.#settleIfOver();
  }

  async #bridge(a: Attempt): Promise<void> {
    const core = this.#core;
    const dialog = a.dialog!;
    this.#connecting = true;
    a.status = 'completed';
    for (const other of this.#attempts) if (other && other !== a && !other.status) this.#cancel(other, 'other-answered');
    const cleanup: (() => void)[] = [];
    try {
      if (!core.mediaConfigured) {
        // The callee's answer goes to the caller: in the 200 OK, or in a re-INVITE if answered
        // already. Re-INVITEs are relayed from the moment the caller's dialog exists.
        const relay = (uas: SrfDialog) => cleanup.push(relayReinvites(uas, dialog), relayReinvites(dialog, uas));
        if (core.dialog) {
          relay(core.dialog);
          await core.dialog.modify(dialog.remote.sdp);
        } else {
          await core.answerWith(dialog.remote.sdp, relay);
        }
      } else {
        if (!a.mediaReady) await a.endpoint!.modify(dialog.remote.sdp);
        await core.answer();
        if (!core.endpoint) throw new Error('the caller has no media endpoint');
        await core.endpoint.bridge(a.endpoint!);
        await this.#recording?.start(core.endpoint);
      }
    } catch (e) {
      this.#connecting = false;
      if (!core.gone.aborted) core.log.warn('<Dial>: connecting the callee failed', { callId: core.callId, error: (e as Error).message });
      void dialog.destroy().catch(() => undefined);
      void a.endpoint?.destroy();
      for (const c of cleanup) c();
      a.status = 'failed';
      this.#over(a);
      return this.#settle({
        status: core.gone.aborted ? 'canceled' : 'failed',
        duration: 0,
        sipResponseCode: 200,
        attempts: this.#attemptList(),
        callerHungUp: core.endedBy === 'caller',
      });
    }
    this.#connecting = false;
    if (this.#done) return;
    this.#bridged = { attempt: a, at: core.clock.now(), cleanup };
    core.log.debug('bridged', { callId: core.callId, callee: a.callId });
    // Either side may have gone while the media was being connected.
    if (core.gone.aborted || this.#signal?.aborted) return this.#stopped(core.gone.aborted);
    if (a.hungUp) return this.#end('callee');
    a.timers.push(core.clock.timer(this.#o.timeLimit * 1000, () => this.#end('time-limit')));
    if (this.#o.hangupOnStar) cleanup.push(this.#onStar(() => this.#end('hangup-on-star')));
    if (a.target.kind === 'number' && a.target.sendDigits) {
      if (a.endpoint) void a.endpoint.sendDigits(a.target.sendDigits).catch(() => undefined);
      else core.log.warn('<Number sendDigits> needs a media server; not sent', { callId: core.callId });
    }
  }

  /** * from the caller: through the media server, or a SIP INFO without one. */
  #onStar(fn: () => void): () => void {
    const core = this.#core;
    const onKey = (k: string) => k === '*' && fn();
    return core.endpoint ? core.endpoint.onDtmf(onKey) : core.onInfoDigit(onKey);
  }

  #end(endedBy: EndedBy): void {
    const b = this.#bridged;
    if (!b || this.#done) return;
    for (const c of b.cleanup) c();
    if (endedBy !== 'callee') void b.attempt.dialog?.destroy().catch(() => undefined);
    if (b.attempt.endpoint) {
      void this.#core.endpoint?.unbridge().catch(() => undefined);
      void b.attempt.endpoint.destroy();
    }
    this.#settle(this.#bridgedResult(endedBy, false));
  }

  #bridgedResult(endedBy: EndedBy | undefined, callerHungUp: boolean): DialResult {
    const { attempt, at } = this.#bridged!;
    const duration = Math.round((this.#core.clock.now() - at) / 1000);
    this.#over(attempt, duration);
    return {
      status: 'completed',
      answered: this.#callee(attempt),
      duration,
      sipResponseCode: 200,
      attempts: this.#attemptList(),
      ...(endedBy ? { endedBy } : {}),
      callerHungUp,
    };
  }

  /** The call ended (`gone`) or the session aborted the Dial. */
  #stopped(gone: boolean): void {
    if (this.#done) return;
    const callerHungUp = gone && this.#core.endedBy === 'caller';
    if (this.#bridged) {
      for (const c of this.#bridged.cleanup) c();
      void this.#bridged.attempt.dialog?.destroy().catch(() => undefined);
      void this.#bridged.attempt.endpoint?.destroy();
      return this.#settle(this.#bridgedResult(callerHungUp ? 'caller' : undefined, callerHungUp));
    }
    if (this.#connecting) return; // #bridge finds out and settles
    for (const a of this.#attempts) {
      if (!a || a.status) continue;
      if (a.dialog) {
        void a.dialog.destroy().catch(() => undefined);
        a.status = 'canceled';
      } else {
        this.#cancel(a, 'caller-gone');
        a.status = 'canceled';
        a.sipResponseCode = 487;
      }
      this.#over(a);
      void a.endpoint?.destroy();
    }
    this.#settle({ status: 'canceled', duration: 0, sipResponseCode: 487, attempts: this.#attemptList(), callerHungUp });
  }

  #callee(a: Attempt): AnsweredCallee {
    return { target: a.target, callId: a.callId, headers: a.headers };
  }

  #attemptList(): DialResult['attempts'] {
    return this.#o.targets.map((target, i) => {
      const a = this.#attempts[i];
      return { target, ...(a?.sipResponseCode !== undefined ? { sipResponseCode: a.sipResponseCode } : {}), status: a?.status ?? 'canceled' };
    });
  }
}

/** While bridged without media: a re-INVITE from one side goes to the other, its answer comes back. */
function relayReinvites(from: SrfDialog, to: SrfDialog): () => void {
  const onModify = (req: SrfRequest, res: SrfResponse) => {
    to.modify(req.body).then(
      (answer) => res.send(200, { body: answer }),
      (e: unknown) => res.send(isSipError(e) ? e.status : 500),
    );
  };
  from.on('modify', onModify);
  return () => from.off('modify', onModify);
}
