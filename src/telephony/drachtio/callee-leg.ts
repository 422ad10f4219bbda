// A dialled callee's side of the call while the app screens it (`<Number url>`): its SIP dialog
// and its own media endpoint on FreeSWITCH, on which the screening document says, plays and
// gathers before the bridge (the caller hears ringing meanwhile). Hanging it up is a BYE; the
// callee hanging up ends it. Only what a screening document can do runs here; <Dial>, <Refer>,
// streams, queues and conferences are for the caller's leg.
import { DidmlError } from '../../errors.js';
import type {
  BridgeResult,
  CallLeg,
  CollectOptions,
  CollectResult,
  DialResult,
  PlayPrompt,
  RecordOptions,
  RecordResult,
  ReferResult,
  SayPrompt,
} from '../adapter.js';
import type { EndedBy, LegCore } from './core.js';
import type { MediaEndpoint } from './media.js';
import { collect, playPrompts, record, sleep } from './media-ops.js';
import type { SrfDialog } from './srf.js';

export class DrachtioCalleeLeg implements CallLeg {
  readonly callId: string;
  readonly backend = 'drachtio';
  readonly answered = true;
  readonly ended: Promise<{ by: EndedBy; reason?: string }>;
  readonly #dialog: SrfDialog;
  readonly #ep: MediaEndpoint;
  readonly #gone = new AbortController();
  /** The caller's core, seen from this leg: its own end, Call-ID and endpoint. */
  readonly #core: LegCore;
  #endedBy: EndedBy | undefined;
  #resolveEnded!: (v: { by: EndedBy; reason?: string }) => void;

  constructor(caller: LegCore, callee: { callId: string; dialog: SrfDialog; endpoint: MediaEndpoint }) {
    this.callId = callee.callId;
    this.#dialog = callee.dialog;
    this.#ep = callee.endpoint;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    const leg = this;
    // The media operations read the gone signal, endedBy and the Call-ID (for logs) of the leg they run on.
    this.#core = Object.create(caller, {
      gone: { value: this.#gone.signal },
      endedBy: { get: () => leg.#endedBy },
      endpoint: { value: callee.endpoint },
      req: { value: { get: (name: string) => (name.toLowerCase() === 'call-id' ? callee.callId : undefined) } },
    }) as LegCore;
    // The callee hung up (BYE), or the Dial let it go.
    callee.dialog.on('destroy', () => this.#end('caller'));
    void callee.endpoint.gone.then(() => this.#end('backend', 'the media server dropped the callee'));
  }

  get isEnded(): boolean {
    return this.#endedBy !== undefined;
  }

  #end(by: EndedBy, reason?: string): void {
    if (this.#endedBy) return;
    this.#endedBy = by;
    this.#gone.abort(new Error(reason ?? `ended by ${by}`));
    this.#resolveEnded(reason !== undefined ? { by, reason } : { by });
  }

  answer(): Promise<void> {
    return Promise.resolve();
  }

  reject(): Promise<void> {
    return this.hangup('rejected while screened');
  }

  async hangup(reason?: string): Promise<void> {
    if (this.isEnded) return;
    this.#end('app', reason);
    await this.#dialog.destroy().catch(() => undefined);
  }

  async say(prompt: SayPrompt, signal?: AbortSignal): Promise<void> {
    await playPrompts(this.#core, this.#ep, [prompt], signal);
  }

  async play(prompt: PlayPrompt, signal?: AbortSignal): Promise<void> {
    await playPrompts(this.#core, this.#ep, [prompt], signal);
  }

  pause(seconds: number, signal?: AbortSignal): Promise<void> {
    return sleep(this.#core, seconds * 1000, signal);
  }

  async sendDigits(digits: string, signal?: AbortSignal): Promise<void> {
    if (!this.isEnded && !signal?.aborted) await this.#ep.sendDigits(digits);
  }

  async collect(options: CollectOptions, signal?: AbortSignal): Promise<CollectResult> {
    if (this.isEnded || signal?.aborted) return { digits: '', finishedOnKey: '', callerHungUp: this.#endedBy === 'caller' };
    return collect(this.#core, this.#ep, options, signal);
  }

  record(options: RecordOptions, signal?: AbortSignal): Promise<RecordResult> {
    return record(this.#core, this.#ep, options, signal);
  }

  #notHere(verb: string): never {
    throw new DidmlError('DIDML_TELEPHONY', `${verb} cannot run on a callee being screened (<Number url>): only Say, Play, Pause, Gather and Hangup can`);
  }

  dial(): Promise<DialResult> {
    return this.#notHere('<Dial>');
  }
  startCallRecording(): Promise<void> {
    return this.#notHere('<Start><Recording>');
  }
  stopCallRecording(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  refer(): Promise<ReferResult> {
    return this.#notHere('<Refer>');
  }
  startStream(): Promise<void> {
    return this.#notHere('<Start><Stream>');
  }
  stopStream(): Promise<void> {
    return this.#notHere('<Stop><Stream>');
  }
  connectStream(): Promise<{ callerHungUp: boolean }> {
    return this.#notHere('<Connect><Stream>');
  }
  bridge(): Promise<BridgeResult> {
    return this.#notHere('<Dial><Queue>');
  }
  conference(): Promise<{ callerHungUp: boolean; duration: number }> {
    return this.#notHere('<Conference>');
  }
}
