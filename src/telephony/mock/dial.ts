// Dial on the mock, as Twilio's <Dial>: https://www.twilio.com/docs/voice/twiml/dial
// - Parallel (default): every target gets an INVITE at once; the first to answer (and pass
//   screening) is bridged and the others are CANCELled (487, status canceled).
//   Sequential: one target at a time, each ringing up to `timeout`.
// - A target still ringing at `timeout` is CANCELled: 487, status no-answer. Busy is 486; any other
//   final code is status failed. The Dial's status is that of the attempt that ended last.
// - Digest auth (RFC 3261 §22.2): a callee with requireAuth challenges with 401; the INVITE is sent
//   again with the target's credentials: matching → goes on, wrong → 403; none → fails with 401.
// - Once bridged the call ends when the callee hangs up (its `talk`), at timeLimit, when the caller
//   hangs up, or when the caller presses * with hangupOnStar.
// - Without answerOnBridge the caller is answered before ringing; with it, when the callee answers.
// - A screening callee that is turned down is hung up and counts as no-answer [inference: Twilio
//   does not document what a whisper that hangs up reports].
import type { AnsweredCallee, CallLeg, DialOptions, DialProgress, DialResult, DialStatus, DialTarget } from '../adapter.js';
import { Operation, type LegContext, type Stop } from './operation.js';
import { CALLEE_RING_SECONDS, CALLEE_TALK_SECONDS, calleeFor, ms, type CalleeBehaviour, type CallerAction } from './script.js';
import { viewTarget } from './transcript.js';

interface Attempt {
  /** Its place in DialOptions.targets. */
  index: number;
  /** Its `completed` progress went out. */
  over?: true;
  /** The callee's leg while the app screens it. */
  leg?: CallLeg & { drop(reason: string): void };
  target: DialTarget;
  behaviour: CalleeBehaviour;
  callId: string;
  /** Set once the attempt is over (or bridged: 'completed'). */
  status?: DialStatus;
  sipResponseCode?: number;
  headers: Record<string, string>;
  timers: (() => void)[];
}

type EndedBy = NonNullable<DialResult['endedBy']>;

export async function dial(ctx: LegContext, o: DialOptions, signal?: AbortSignal): Promise<DialResult> {
  if (ctx.gone.aborted || signal?.aborted) {
    return { status: 'canceled', duration: 0, attempts: [], callerHungUp: ctx.endedBy === 'caller' };
  }
  const result = await new Dialer(ctx, o, signal).run();
  if (o.record && result.answered) result.recording = { url: await ctx.saveRecording(result.duration), duration: result.duration };
  ctx.emit({
    type: 'dial-end',
    status: result.status,
    duration: result.duration,
    ...(result.sipResponseCode !== undefined ? { sipResponseCode: result.sipResponseCode } : {}),
    ...(result.endedBy ? { endedBy: result.endedBy } : {}),
    ...(result.recording ? { recording: result.recording } : {}),
  });
  return result;
}

class Dialer {
  readonly #ctx: LegContext;
  readonly #o: DialOptions;
  readonly #op: Operation<DialResult>;
  readonly #attempts: Attempt[] = [];
  #bridged?: { attempt: Attempt; at: number };
  /** The attempt that ended last without being bridged: its status is the Dial's. */
  #last?: Attempt;
  /** A hangupOnStar key press with no `after`: happens when the call is bridged. */
  #pressOnBridge?: () => void;

  constructor(ctx: LegContext, o: DialOptions, signal?: AbortSignal) {
    this.#ctx = ctx;
    this.#o = o;
    this.#op = new Operation<DialResult>(ctx, signal, (why) => this.#stopped(why));
  }

  run(): Promise<DialResult> {
    const { o, ctx } = { o: this.#o, ctx: this.#ctx };
    ctx.emit({
      type: 'dial',
      targets: o.targets.map(viewTarget),
      sequential: o.sequential,
      timeout: o.timeout,
      timeLimit: o.timeLimit,
      callerId: o.callerId,
      hangupOnStar: o.hangupOnStar,
      answerOnBridge: o.answerOnBridge,
      record: o.record !== undefined,
    });
    if (!o.answerOnBridge) ctx.answerNow();
    if (o.hangupOnStar) {
      // Keys from the script's timeline: * ends the bridge, anything else (or * before it) does nothing.
      const off = ctx.hear({ digits: (keys) => this.#press(keys) });
      void this.#op.promise.then(off);
      const next = ctx.nextAction('dial');
      if (typeof next === 'function') void next().then((a) => this.#listen(a));
      else this.#listen(next);
    }
    if (o.sequential) this.#start(0);
    else o.targets.forEach((_, i) => this.#start(i));
    this.#settleIfOver();
    return this.#op.promise;
  }

  #start(i: number): void {
    const target = this.#o.targets[i];
    if (!target) return;
    const ctx = this.#ctx;
    const behaviour = calleeFor(ctx.script, target);
    const a: Attempt = { index: i, target, behaviour, callId: ctx.newCallId(), headers: {}, timers: [] };
    this.#attempts.push(a);
    const invite = { type: 'dial-attempt', target: viewTarget(target), callId: a.callId, callerId: this.#o.callerId } as const;
    ctx.emit(invite);
    this.#progress(a, { event: 'initiated', callId: a.callId });

    const need = behaviour.requireAuth;
    if (target.kind === 'sip' && need) {
      ctx.emit({ type: 'dial-response', callId: a.callId, sipResponseCode: 401, status: 'challenge' });
      if (!target.auth) return this.#fail(a, 401, 'failed');
      ctx.emit({ ...invite, username: target.auth.username });
      if (target.auth.username !== need.username || target.auth.password !== need.password) return this.#fail(a, 403, 'failed');
    }

    const op = this.#op;
    a.timers.push(op.in(ms(this.#o.timeout), () => this.#fail(a, 487, 'no-answer')));
    const response = behaviour.response ?? 'answer';
    const ring = ms(behaviour.ring ?? (response === 'answer' ? CALLEE_RING_SECONDS : 0));
    // 180 Ringing goes out at once from a far end that rings at all.
    if (ring > 0 || response === 'no-answer') this.#progress(a, { event: 'ringing' });
    if (response === 'no-answer') return;
    a.timers.push(
      op.in(ring, () => {
        if (response === 'answer') this.#answered(a);
        else if (response === 'busy') this.#fail(a, 486, 'busy');
        else this.#fail(a, response, 'failed');
      }),
    );
  }

  #fail(a: Attempt, sipResponseCode: number, status: DialStatus): void {
    if (a.status) return;
    this.#close(a, sipResponseCode, status);
    this.#last = a;
    this.#settleIfOver();
  }

  /** Marks an attempt over and records the far end's final response. */
  #close(a: Attempt, sipResponseCode: number, status: DialStatus): void {
    for (const cancel of a.timers) cancel();
    a.status = status;
    // A screening document still running on the callee stops with it.
    a.leg?.drop('the dial is over');
    // An answered callee still being screened is not CANCELled but hung up (BYE); its 200 stands.
    if (a.sipResponseCode === 200) {
      this.#ctx.emit({ type: 'callee-hangup', callId: a.callId, reason: 'canceled' });
    } else {
      a.sipResponseCode = sipResponseCode;
      this.#ctx.emit({ type: 'dial-response', callId: a.callId, sipResponseCode, status });
    }
    this.#over(a, 0);
  }

  #progress(a: Attempt, p: DialProgress): void {
    this.#o.onProgress?.(a.index, p);
  }

  /** The attempt's leg is over: its `completed` event, with how long it was bridged. */
  #over(a: Attempt, duration: number): void {
    if (a.over) return;
    a.over = true;
    this.#progress(a, { event: 'completed', status: a.status ?? 'canceled', ...(a.sipResponseCode !== undefined ? { sipResponseCode: a.sipResponseCode } : {}), duration });
  }

  #settleIfOver(): void {
    if (this.#bridged || this.#op.done) return;
    if (this.#attempts.some((a) => !a.status)) return;
    if (this.#attempts.length < this.#o.targets.length) {
      // Parallel attempts are all started before this matters; sequential ones go on to the next.
      if (this.#o.sequential) this.#start(this.#attempts.length);
      return;
    }
    const last = this.#last;
    this.#op.settle({
      status: last?.status ?? 'failed',
      duration: 0,
      ...(last?.sipResponseCode !== undefined ? { sipResponseCode: last.sipResponseCode } : {}),
      attempts: this.#attemptList(),
      callerHungUp: false,
    });
  }

  #answered(a: Attempt): void {
    for (const cancel of a.timers) cancel();
    a.sipResponseCode = 200;
    a.headers = { ...(a.behaviour.headers ?? {}) };
    this.#ctx.emit({ type: 'dial-response', callId: a.callId, sipResponseCode: 200, status: 'answered', headers: a.headers });
    this.#progress(a, { event: 'answered' });
    const screen = this.#o.screen;
    if (!screen) return this.#bridge(a);
    // Others keep ringing while this callee is screened; the first one accepted wins.
    a.leg = this.#ctx.calleeLeg(a.callId, a.behaviour.actions ?? []);
    screen({ ...this.#callee(a), leg: a.leg }).then(
      (ok) => this.#screened(a, ok),
      () => this.#screened(a, false),
    );
  }

  #screened(a: Attempt, accepted: boolean): void {
    if (this.#op.done || a.status) return;
    if (accepted) return this.#bridge(a);
    a.leg?.drop('screened out');
    this.#ctx.emit({ type: 'callee-hangup', callId: a.callId, reason: 'screened-out' });
    a.status = 'no-answer';
    this.#over(a, 0);
    this.#last = a;
    this.#settleIfOver();
  }

  #bridge(a: Attempt): void {
    const ctx = this.#ctx;
    a.status = 'completed';
    for (const other of this.#attempts) if (!other.status) this.#close(other, 487, 'canceled');
    if (!ctx.answered) ctx.answerNow();
    if (a.target.kind === 'number' && a.target.sendDigits) ctx.emit({ type: 'send-digits', digits: a.target.sendDigits });
    ctx.emit({ type: 'bridge', callId: a.callId });
    this.#bridged = { attempt: a, at: this.#op.elapsed };
    this.#op.in(ms(a.behaviour.talk ?? CALLEE_TALK_SECONDS), () => this.#end('callee'));
    this.#op.in(ms(this.#o.timeLimit), () => this.#end('time-limit'));
    if (this.#pressOnBridge) this.#op.in(0, this.#pressOnBridge);
  }

  #end(endedBy: EndedBy): void {
    this.#op.settle(this.#bridgedResult(endedBy, false));
  }

  #bridgedResult(endedBy: EndedBy | undefined, callerHungUp: boolean): DialResult {
    const { attempt, at } = this.#bridged!;
    const duration = Math.round((this.#op.elapsed - at) / 1000);
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

  #stopped(why: Stop): DialResult {
    const callerHungUp = why === 'hangup' && this.#ctx.endedBy === 'caller';
    if (this.#bridged) return this.#bridgedResult(callerHungUp ? 'caller' : undefined, callerHungUp);
    for (const a of this.#attempts) if (!a.status) this.#close(a, 487, 'canceled');
    return { status: 'canceled', duration: 0, sipResponseCode: 487, attempts: this.#attemptList(), callerHungUp };
  }

  /** The caller's action at a Dial with hangupOnStar. */
  #listen(action: CallerAction): void {
    const ctx = this.#ctx;
    if ('record' in action || 'speech' in action) {
      ctx.emit({ type: 'script', warning: 'only digits or hangup mean anything at a Dial with hangupOnStar' });
    } else if ('hangup' in action) {
      this.#op.at(ms(action.after ?? 0), () => ctx.callerHangup());
    } else if ('digits' in action) {
      const press = () => this.#press(action.digits);
      if (action.after !== undefined) this.#op.at(ms(action.after), press);
      else this.#pressOnBridge = press;
    }
  }

  /** Keys from the caller at a Dial with hangupOnStar: * while bridged ends the bridge. */
  #press(keys: string): void {
    if (!this.#bridged || !keys.includes('*')) return this.#ctx.emit({ type: 'digits', digits: keys, ignored: true });
    this.#ctx.emit({ type: 'digits', digits: keys });
    this.#end('hangup-on-star');
  }

  #callee(a: Attempt): AnsweredCallee {
    return { target: a.target, callId: a.callId, headers: a.headers };
  }

  #attemptList(): DialResult['attempts'] {
    return this.#attempts.map((a) => ({
      target: a.target,
      ...(a.sipResponseCode !== undefined ? { sipResponseCode: a.sipResponseCode } : {}),
      status: a.status ?? 'canceled',
    }));
  }
}
