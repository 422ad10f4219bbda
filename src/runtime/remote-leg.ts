// The stand-in for a queued caller that another instance runs (src/runtime/queues.ts): what the
// call that took it bridges with. It ends when the caller's instance says the caller is gone. The
// backend's bridge decides what it can do with it: the mock bridges it as it bridges any leg (no
// media flows on the mock); a backend that needs the other leg's media refuses it, saying so.
// Nothing else can be done to a leg this instance does not run: every other operation refuses.
import { DidmlError } from '../errors.js';
import type { BridgeResult, CallLeg, CollectResult, DialResult, RecordResult, ReferResult } from '../telephony/adapter.js';

export class RemoteCallLeg implements CallLeg {
  readonly backend = 'remote';
  readonly answered = true;
  readonly ended: Promise<{ by: 'caller' | 'app' | 'backend'; reason?: string }>;
  #ended = false;
  #end!: (e: { by: 'caller' | 'app' | 'backend'; reason?: string }) => void;

  /** `callId`: the caller's CallSid (its SIP Call-ID is its instance's business). */
  constructor(
    readonly callId: string,
    /** The instance that runs the call. */
    readonly instance: string,
    /** Its channel on the media server both instances use, when it has one. */
    readonly mediaChannel?: string,
  ) {
    this.ended = new Promise((resolve) => (this.#end = resolve));
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  /** The caller's instance said it is gone (hung up, or its instance could not be reached). */
  end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#end({ by: 'caller', reason });
  }

  #refuse(what: string): Promise<never> {
    return Promise.reject(new DidmlError('DIDML_TELEPHONY', `${what}: call ${this.callId} runs on instance ${this.instance}, not this one; only a bridge reaches it from here`));
  }

  answer(): Promise<void> {
    return Promise.resolve();
  }
  reject(): Promise<void> {
    return this.#refuse('reject');
  }
  hangup(): Promise<void> {
    return this.#refuse('hangup');
  }
  say(): Promise<void> {
    return this.#refuse('<Say>');
  }
  play(): Promise<void> {
    return this.#refuse('<Play>');
  }
  pause(): Promise<void> {
    return this.#refuse('<Pause>');
  }
  sendDigits(): Promise<void> {
    return this.#refuse('sending digits');
  }
  collect(): Promise<CollectResult> {
    return this.#refuse('<Gather>');
  }
  record(): Promise<RecordResult> {
    return this.#refuse('<Record>');
  }
  dial(): Promise<DialResult> {
    return this.#refuse('<Dial>');
  }
  refer(): Promise<ReferResult> {
    return this.#refuse('<Refer>');
  }
  startCallRecording(): Promise<void> {
    return this.#refuse('call recording');
  }
  stopCallRecording(): Promise<{ url: string; duration: number } | undefined> {
    return this.#refuse('call recording');
  }
  startStream(): Promise<void> {
    return this.#refuse('<Stream>');
  }
  stopStream(): Promise<void> {
    return this.#refuse('<Stream>');
  }
  connectStream(): Promise<{ callerHungUp: boolean }> {
    return this.#refuse('<Connect><Stream>');
  }
  bridge(): Promise<BridgeResult> {
    return this.#refuse('bridge');
  }
  conference(): Promise<{ callerHungUp: boolean; duration: number }> {
    return this.#refuse('<Conference>');
  }
}
