// One inbound call on drachtio: the CallLeg the session drives. The caller's INVITE arrives with
// 180 Ringing already sent; the 200 OK goes out when the session answers, as Twilio does for a
// SIP call ("200 OK when the first of Say/Play/Record/Dial/Gather runs", reference §1.1):
// - with a media server, a FreeSWITCH endpoint answers the caller's offer;
// - without one there is nothing to send media from, so the 200 waits until there is an SDP to
//   answer with: the callee's, when a <Dial> connects (a signalling-only B2BUA, the caller's
//   media goes straight to the callee), or an inactive one for a <Refer> (sdp.ts).
// Ending: BYE once answered, else a final response (the code of the last failed Dial, so a
// forward passes "busy" back, or 480). A BYE from the caller, or one drachtio-server sends itself
// (session timer expired, no ACK), ends the leg and resolves `ended`.
import { DidmlError } from '../../errors.js';
import type {
  BridgeResult,
  CallLeg,
  CollectOptions,
  CollectResult,
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
import type { Clock } from '../../clock.js';
import type { HostPolicy } from '../../webhook/hosts.js';
import type { Logger } from '../../log.js';
import type { DrachtioConfig } from './config.js';
import type { EndedBy, LegCore } from './core.js';
import type { MediaEndpoint, MediaServerLink } from './media.js';
import { dial } from './dial.js';
import { infoDigit } from './info-dtmf.js';
import { EndpointRecording } from './endpoint-recording.js';
import { connectRtpStream } from './rtp-stream.js';
import { refer } from './refer.js';
import { bridgeLegs, collect, conference, playPrompts, record, sleep } from './media-ops.js';
import type { Srf, SrfDialog, SrfRequest, SrfResponse } from './srf.js';

export interface LegDeps {
  srf: Srf;
  config: DrachtioConfig;
  clock: Clock;
  log: Logger;
  req: SrfRequest;
  res: SrfResponse;
  /** The media server link, or undefined (none configured, or not reachable now). */
  media: () => MediaServerLink | undefined;
  newRecordingSid: () => string;
  onEnd: (leg: DrachtioCallLeg) => void;
  hosts?: HostPolicy;
}

const REJECT_CODES: Partial<Record<RejectReason, number>> = { busy: 486, unavailable: 503, 'not-found': 404 };

/** Unanswered and no Dial said otherwise: 480 Temporarily Unavailable (RFC 3261 §21.4.18). */
const UNANSWERED_HANGUP = 480;

export class DrachtioCallLeg implements CallLeg {
  readonly callId: string;
  readonly ended: Promise<{ by: EndedBy; reason?: string }>;
  readonly #d: LegDeps;
  readonly #gone = new AbortController();
  readonly #core: LegCore;
  #endedBy: EndedBy | undefined;
  #resolveEnded!: (v: { by: EndedBy; reason?: string }) => void;
  #uas: SrfDialog | undefined;
  #endpoint: MediaEndpoint | undefined;
  #answering: Promise<void> | undefined;
  #lastDialFailure: number | undefined;
  readonly #streams = new Set<string>();
  readonly #infoListeners = new Set<(key: string) => void>();
  #callRecording: EndpointRecording | undefined;

  constructor(deps: LegDeps) {
    this.#d = deps;
    this.callId = deps.req.get('Call-ID') ?? '';
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    // drachtio-server has answered the CANCEL with 200 and the INVITE with 487 itself.
    deps.req.on('cancel', () => this.#end('caller', 'caller cancelled before answer'));
    const leg = this;
    this.#core = {
      srf: deps.srf,
      config: deps.config,
      clock: deps.clock,
      log: deps.log,
      mediaConfigured: deps.config.mediaServer !== undefined,
      req: deps.req,
      res: deps.res,
      gone: this.#gone.signal,
      get endedBy() {
        return leg.#endedBy;
      },
      get answered() {
        return leg.#uas !== undefined;
      },
      get uas() {
        return leg.#uas;
      },
      get endpoint() {
        return leg.#endpoint;
      },
      media: (verb) => this.#media(verb),
      answer: () => this.answer(),
      answerWith: (sdp, onDialog) => this.#answerWith(sdp, onDialog),
      noteDialFailure: (code) => (this.#lastDialFailure = code),
      onInfoDigit: (listener) => {
        this.#infoListeners.add(listener);
        return () => this.#infoListeners.delete(listener);
      },
      newRecordingSid: deps.newRecordingSid,
      ...(deps.hosts ? { hosts: deps.hosts } : {}),
    };
  }

  get answered(): boolean {
    return this.#uas !== undefined;
  }

  get isEnded(): boolean {
    return this.#endedBy !== undefined;
  }

  /** The socket to drachtio-server this call came on (outbound mode: one per call). */
  get socket(): unknown {
    return (this.#d.req as unknown as { socket?: unknown }).socket;
  }

  /** The call's media endpoint, when it has one (bridging two callers). */
  get endpoint(): MediaEndpoint | undefined {
    return this.#endpoint;
  }

  /** The backend lost the call (connection to drachtio-server gone, adapter closed). */
  drop(reason: string): void {
    this.#end('backend', reason);
  }

  #media(verb: string): MediaServerLink {
    if (this.#d.config.mediaServer === undefined) {
      throw new DidmlError(
        'DIDML_TELEPHONY',
        `${verb} needs a media server, and drachtio.mediaServer is not configured: without FreeSWITCH the drachtio backend only signals (Dial to SIP targets, Reject, Hangup, Redirect, Refer)`,
      );
    }
    const link = this.#d.media();
    if (!link) throw new DidmlError('DIDML_TELEPHONY', `${verb}: the media server at ${this.#d.config.mediaServer.address}:${this.#d.config.mediaServer.port} is not connected`);
    return link;
  }

  #end(by: EndedBy, reason?: string): void {
    if (this.#endedBy) return;
    this.#endedBy = by;
    this.#d.log.debug('call leg ended', { callId: this.callId, by, ...(reason ? { reason } : {}) });
    this.#gone.abort(new Error(reason ?? `ended by ${by}`));
    const ep = this.#endpoint;
    if (ep) void ep.destroy();
    this.#d.onEnd(this);
    this.#resolveEnded(reason !== undefined ? { by, reason } : { by });
  }

  #watch(dialog: SrfDialog): void {
    // A BYE from the caller, or one drachtio-server generated (source "application": session
    // timer expired, ACK never came; RFC 4028 §10, RFC 3261 §13.3.1.4).
    dialog.on('destroy', (bye: SrfRequest | undefined, reason: string | undefined) => {
      if (bye?.source === 'application') this.#end('backend', reason ?? 'dialog ended by drachtio-server');
      else this.#end('caller');
    });
    // A re-INVITE (a hold, a codec change) with a media server: the caller's endpoint takes the
    // new offer and its answer goes back. Without one, a bridged Dial relays it to the callee
    // (dial.ts), and drachtio-srf answers any other with the SDP it has.
    if (this.#d.config.mediaServer !== undefined) {
      dialog.on('modify', (req: SrfRequest, res: SrfResponse) => {
        const ep = this.#endpoint;
        if (!ep) return void res.send(488);
        ep.modify(req.body).then(
          (sdp) => res.send(200, { body: sdp, headers: { 'Content-Type': 'application/sdp' } }),
          (e: unknown) => {
            this.#d.log.warn('a re-INVITE from the caller was refused: the media server did not take it', { callId: this.callId, error: String(e) });
            res.send(488);
          },
        );
      });
    }
    // DTMF by SIP INFO: to the media server as received DTMF (so Gather and Record hear it as any
    // key), or, with no endpoint, to whoever listens (a signalling-only Dial's hangupOnStar).
    dialog.on('info', (req: SrfRequest, res: SrfResponse) => {
      res.send(200);
      const key = infoDigit(req);
      if (key === undefined) return;
      const ep = this.#endpoint;
      if (ep) void ep.receiveDigits(key).catch((e: unknown) => this.#d.log.warn('a key sent by SIP INFO was lost: the media server did not take it', { callId: this.callId, error: String(e) }));
      else for (const l of [...this.#infoListeners]) l(key);
    });
  }

  async #answerWith(sdp: string, onDialog?: (dialog: SrfDialog) => void): Promise<SrfDialog> {
    if (this.#uas) return this.#uas;
    if (this.isEnded) throw new DidmlError('DIDML_TELEPHONY', 'the call ended before it was answered');
    const dialog = await new Promise<SrfDialog>((resolve, reject) =>
      this.#d.srf.createUAS(this.#d.req, this.#d.res, { localSdp: sdp }, (err, d) => {
        if (err) return reject(err);
        // Watched at once: a BYE may be next in the same read.
        this.#uas = d;
        this.#watch(d);
        onDialog?.(d);
        resolve(d);
      }),
    );
    if (this.isEnded && dialog.connected) void dialog.destroy().catch(() => undefined);
    return dialog;
  }

  answer(): Promise<void> {
    if (this.#uas || this.isEnded) return Promise.resolve();
    // Without a media server the 200 OK waits for an SDP to send (see above).
    if (this.#d.config.mediaServer === undefined) return Promise.resolve();
    this.#answering ??= (async () => {
      const ep = await this.#media('answering the call').answer(this.#d.req.body);
      if (this.isEnded) return void ep.destroy();
      this.#endpoint = ep;
      void ep.gone.then(() => this.#end('backend', 'the media server dropped the call'));
      await this.#answerWith(ep.localSdp);
    })().catch((e: unknown) => {
      this.#answering = undefined;
      if (this.isEnded) return;
      throw e instanceof DidmlError ? e : new DidmlError('DIDML_TELEPHONY', `answering the call failed: ${(e as Error).message}`, { cause: e });
    });
    return this.#answering;
  }

  reject(reason: RejectReason): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    if (this.#uas) return this.hangup(`reject (${reason}) after answer`);
    // busy → 486; rejected → the configured code, 404 as Twilio (reference §1.1); unavailable → 503
    // (RFC 3261 §21.5.4); not-found (no app for the number) → 404 whatever rejectCode says.
    const code = REJECT_CODES[reason] ?? this.#d.config.rejectCode;
    this.#send(code);
    this.#end('app', reason);
    return Promise.resolve();
  }

  async hangup(reason?: string): Promise<void> {
    if (this.isEnded) return;
    const uas = this.#uas;
    if (!uas) this.#send(this.#lastDialFailure ?? UNANSWERED_HANGUP);
    this.#end('app', reason);
    if (uas) await uas.destroy().catch((e: unknown) => this.#d.log.debug('BYE failed', { callId: this.callId, error: String(e) }));
  }

  #send(code: number): void {
    if (this.#d.res.finalResponseSent) return;
    this.#d.res.send(code, {}, (err) => {
      if (err) this.#d.log.debug('final response not sent', { callId: this.callId, code, error: String(err) });
    });
  }

  async say(prompt: SayPrompt, signal?: AbortSignal): Promise<void> {
    await this.#withEndpoint('<Say>', (ep) => playPrompts(this.#core, ep, [prompt], signal));
  }

  async play(prompt: PlayPrompt, signal?: AbortSignal): Promise<void> {
    await this.#withEndpoint('<Play>', (ep) => playPrompts(this.#core, ep, [prompt], signal));
  }

  pause(seconds: number, signal?: AbortSignal): Promise<void> {
    // Silence needs no media server: before the answer it delays it, as Twilio's <Pause> does.
    return sleep(this.#core, seconds * 1000, signal);
  }

  async sendDigits(digits: string, signal?: AbortSignal): Promise<void> {
    await this.#withEndpoint('<Play digits>', async (ep) => {
      if (!signal?.aborted) await ep.sendDigits(digits);
    });
  }

  async collect(options: CollectOptions, signal?: AbortSignal): Promise<CollectResult> {
    if (this.isEnded || signal?.aborted) return { digits: '', finishedOnKey: '', callerHungUp: this.#endedBy === 'caller' };
    return this.#withEndpoint('<Gather>', (ep) => collect(this.#core, ep, options, signal));
  }

  async record(options: RecordOptions, signal?: AbortSignal): Promise<RecordResult> {
    return this.#withEndpoint('<Record>', (ep) => record(this.#core, ep, options, signal));
  }

  dial(options: DialOptions, signal?: AbortSignal): Promise<DialResult> {
    return dial(this.#core, options, signal);
  }

  refer(options: ReferOptions, signal?: AbortSignal): Promise<ReferResult> {
    return refer(this.#core, options, signal);
  }

  async startCallRecording(o: { channels: 1 | 2 }): Promise<void> {
    if (this.#callRecording) return;
    const rec = EndpointRecording.create(this.#core, o.channels, '<Start><Recording>');
    if (typeof rec === 'string') throw new DidmlError('DIDML_TELEPHONY', rec);
    await this.#withEndpoint('<Start><Recording>', async (ep) => {
      if (await rec.start(ep)) this.#callRecording = rec;
    });
  }

  async stopCallRecording(): Promise<{ url: string; duration: number } | undefined> {
    const rec = this.#callRecording;
    this.#callRecording = undefined;
    return rec?.stop();
  }

  async startStream(o: StreamOptions): Promise<void> {
    await this.#withEndpoint('<Start><Stream>', async (ep) => {
      const name = o.name ?? `stream${this.#streams.size}`;
      await ep.forkStart(o.url, name, { track: o.track, parameters: o.parameters });
      this.#streams.add(name);
    });
  }

  async stopStream(name: string): Promise<void> {
    const ep = this.#endpoint;
    const names = name ? [name] : [...this.#streams];
    for (const n of names) {
      if (ep && this.#streams.delete(n)) await ep.forkStop(n).catch((e: unknown) => this.#d.log.warn('stopping a stream failed', { callId: this.callId, name: n, error: String(e) }));
    }
  }

  async connectStream(o: StreamOptions, signal?: AbortSignal): Promise<{ callerHungUp: boolean }> {
    // didml is the RTP peer itself and speaks Twilio's Media Streams (rtp-stream.ts), with or
    // without a media server.
    if (this.#d.config.mediaServer !== undefined) this.#media('<Connect><Stream>');
    return connectRtpStream(this.#core, o, signal);
  }

  async bridge(other: CallLeg, signal?: AbortSignal): Promise<BridgeResult> {
    if (!(other instanceof DrachtioCallLeg)) throw new DidmlError('DIDML_TELEPHONY', 'a drachtio call can only be bridged with another drachtio call');
    return this.#withEndpoint('bridging two callers', async (ep) => {
      await other.answer();
      const theirs = other.endpoint;
      if (!theirs) return { endedBy: other.isEnded ? 'other' : 'abort', duration: 0 };
      return bridgeLegs(this.#core, ep, theirs, other.ended, signal);
    });
  }

  async conference(
    name: string,
    options: { muted: boolean; startOnEnter: boolean; endOnExit: boolean; beep: string },
    signal?: AbortSignal,
  ): Promise<{ callerHungUp: boolean; duration: number }> {
    return this.#withEndpoint('<Conference>', (ep) => conference(this.#core, ep, name, options, signal));
  }

  /** Runs a media operation on the caller's endpoint, answering first; throws when there is no media server. */
  async #withEndpoint<T>(verb: string, fn: (ep: MediaEndpoint) => Promise<T>): Promise<T> {
    this.#media(verb);
    await this.answer();
    const ep = this.#endpoint;
    if (!ep) {
      if (this.isEnded) return fn(deadEndpoint);
      throw new DidmlError('DIDML_TELEPHONY', `${verb}: the call has no media endpoint`);
    }
    return fn(ep);
  }
}

/** Stands in for the endpoint of a call that ended before it had one: every operation is over at once. */
const deadEndpoint: MediaEndpoint = {
  localSdp: '',
  gone: Promise.resolve(),
  play: () => Promise.resolve(),
  speak: () => Promise.resolve(),
  stop: () => Promise.resolve(),
  onDtmf: () => () => undefined,
  record: () => Promise.resolve({}),
  recordSession: () => Promise.resolve({ finished: Promise.resolve() }),
  recognize: () => Promise.resolve(() => Promise.resolve()),
  stopRecordSession: () => Promise.resolve(),
  sendDigits: () => Promise.resolve(),
  receiveDigits: () => Promise.resolve(),
  modify: () => Promise.resolve(''),
  bridge: () => Promise.resolve(),
  unbridge: () => Promise.resolve(),
  join: () => Promise.resolve({ left: Promise.resolve() }),
  forkStart: () => Promise.resolve(),
  forkStop: () => Promise.resolve(),
  destroy: () => Promise.resolve(),
};
