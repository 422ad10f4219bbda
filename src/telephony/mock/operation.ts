// One blocking operation on a mock leg (a Say, a Gather, a Dial...): the timers it sets, all
// cancelled the moment it settles, and one way out when the call ends or the session aborts. This
// is what keeps "no pending timers after a call" true without each verb cleaning up by hand.
import type { Clock } from '../../clock.js';
import type { CallLeg } from '../adapter.js';
import type { CallerAction, CallerOpportunity, MockCallScript } from './script.js';
import type { BackendEvent } from './transcript.js';
import type { HostPolicy } from '../../webhook/hosts.js';
import type { CallSound } from './call-sound.js';

/** What a verb module may use of its leg. */
export interface LegContext {
  readonly clock: Clock;
  readonly script: MockCallScript;
  /** Which hosts a real agent's websocket may be on (the built-in rules when absent). */
  readonly hosts?: HostPolicy;
  /** Aborted when the call ends, whoever ends it. */
  readonly gone: AbortSignal;
  /** What the call sounds like each way, for its <Start><Stream> forks (call-sound.ts). */
  readonly sound: CallSound;
  readonly answered: boolean;
  readonly endedBy: 'caller' | 'app' | 'backend' | undefined;
  emit(event: BackendEvent): void;
  /**
   * The caller's next scripted action; once the script has run out, silence, or a question for
   * the adapter's `ask` hook (an interactive caller) to put when the verb is ready for the
   * answer. Virtual time stands still while the question waits.
   */
  nextAction(at: CallerOpportunity): CallerAction | (() => Promise<CallerAction>);
  /**
   * Takes the caller's timed input (`script.timeline`) while a verb listens for it (Gather, Record,
   * Dial and Conference with hangupOnStar); returns the
   * function that stops listening. Input while nothing listens is recorded as ignored.
   */
  hear(listener: InputListener): () => void;
  /** The caller hangs up now. */
  callerHangup(): void;
  /** Answer the inbound call if it is not yet (records `answer`). */
  answerNow(): void;
  newCallId(): string;
  /** Where a recording of `seconds` is kept; written to disk when the adapter has a recordingsDir. */
  saveRecording(seconds: number): Promise<string>;
  /** A leg for a callee that answered: the app's screening document runs on it (`<Number url>`). */
  calleeLeg(callId: string, actions: CallerAction[]): CallLeg & { drop(reason: string): void };
}

/** What a verb does with keys or speech that come when the script's timeline says, not when asked. */
export interface InputListener {
  digits?(keys: string): void;
  speech?(text: string, confidence: number): void;
}

/** Why an operation stopped early: the call ended, or the session aborted it. */
export type Stop = 'hangup' | 'abort';

export class Operation<T> {
  readonly t0: number;
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #timers = new Set<() => void>();
  #done = false;
  #detach: () => void;

  constructor(
    private readonly ctx: LegContext,
    signal: AbortSignal | undefined,
    onStop: (why: Stop) => T,
  ) {
    this.t0 = ctx.clock.now();
    this.promise = new Promise<T>((resolve) => (this.#resolve = resolve));
    const onGone = () => this.settle(onStop('hangup'));
    const onAbort = () => this.settle(onStop('abort'));
    ctx.gone.addEventListener('abort', onGone, { once: true });
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#detach = () => {
      ctx.gone.removeEventListener('abort', onGone);
      signal?.removeEventListener('abort', onAbort);
    };
    // Already over: settle once the caller has finished setting up (its timers are then dropped).
    if (ctx.gone.aborted) queueMicrotask(onGone);
    else if (signal?.aborted) queueMicrotask(onAbort);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Milliseconds since the operation started. */
  get elapsed(): number {
    return this.ctx.clock.now() - this.t0;
  }

  /** Runs `fn` at `msFromStart` into the operation (at once if that moment has passed). */
  at(msFromStart: number, fn: () => void): () => void {
    return this.in(this.t0 + msFromStart - this.ctx.clock.now(), fn);
  }

  /** Runs `fn` in `delay` ms, unless the operation has settled by then. */
  in(delay: number, fn: () => void): () => void {
    if (this.#done) return () => {};
    const cancel = this.ctx.clock.timer(Math.max(0, delay), () => {
      this.#timers.delete(cancel);
      if (!this.#done) fn();
    });
    this.#timers.add(cancel);
    return () => {
      this.#timers.delete(cancel);
      cancel();
    };
  }

  settle(value: T): void {
    if (this.#done) return;
    this.#done = true;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    this.#detach();
    this.#resolve(value);
  }
}
