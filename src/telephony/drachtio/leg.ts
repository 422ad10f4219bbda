// A call on drachtio as the session drives it: the CallLeg of the party the app's document talks
// to, whichever way the call went. What differs is how the party got answered, and how a call
// ends before it was:
// - inbound-leg.ts: a caller's INVITE; didml answers it (UAS) when the session does.
// - placed-leg.ts: a call didml placed (the Calls API); the far end answered (UAC).
// Everything once answered is here, the same for both: the party's dialog (its BYE, re-INVITEs
// and SIP INFO keys), its media endpoint with a media server (every media verb runs on it through
// media-ops.ts), and the verbs that signal (dial.ts, refer.ts, rtp-stream.ts).
import { DidmlError } from '../../errors.js';
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
import type { Clock } from '../../clock.js';
import type { HostPolicy } from '../../webhook/hosts.js';
import type { Logger } from '../../log.js';
import type { CallRtp } from './call-rtp.js';
import type { DrachtioConfig } from './config.js';
import type { EndedBy, LegCore } from './core.js';
import type { MediaEndpoint, MediaServerLink } from './media.js';
import { dial } from './dial.js';
import { infoDigit } from './info-dtmf.js';
import { EndpointRecording } from './endpoint-recording.js';
import type { ForkListener } from './fork-listener.js';
import { freeswitchTap, rtpTap, startFork, type OpenTap, type RunningFork } from './fork-stream.js';
import { connectRtpStream } from './rtp-stream.js';
import { connectRelay } from './conversation-relay.js';
import { refer } from './refer.js';
import { bridgeLegs, collect, conference, playPrompts, record, sleep } from './media-ops.js';
import type { Srf, SrfDialog, SrfRequest, SrfResponse } from './srf.js';

/** What a leg needs of the adapter, whichever way its call went. */
export interface LegDeps {
  srf: Srf;
  config: DrachtioConfig;
  clock: Clock;
  log: Logger;
  /** The media server link, or undefined (none configured, or not reachable now). */
  media: () => MediaServerLink | undefined;
  newRecordingSid: () => string;
  /** didml's listener for the media server's forks (<Start><Stream>), opened on first use; rejects when it cannot listen. */
  forks: () => Promise<ForkListener>;
  onEnd: (leg: DrachtioCallLeg) => void;
  hosts?: HostPolicy;
  /** Why an INVITE must not go through the named trunk now (its TLS certificate failed didml's check), or undefined. */
  trunkProblem?: (trunk: string) => Promise<string | undefined>;
}

export abstract class DrachtioCallLeg implements CallLeg {
  readonly callId: string;
  readonly backend = 'drachtio';
  readonly ended: Promise<{ by: EndedBy; reason?: string }>;
  protected readonly deps: LegDeps;
  /** What dial.ts, refer.ts, media-ops.ts and rtp-stream.ts see of this leg. */
  protected readonly core: LegCore;
  /** The party's dialog, once answered. */
  protected partyDialog: SrfDialog | undefined;
  /** The party's media endpoint, with a media server. */
  protected partyEndpoint: MediaEndpoint | undefined;
  readonly #gone = new AbortController();
  #endedBy: EndedBy | undefined;
  #resolveEnded!: (v: { by: EndedBy; reason?: string }) => void;
  /** The forks running (<Start><Stream>), by name; an unnamed one by a key no name can be. */
  readonly #streams = new Map<string, RunningFork>();
  /** Forks started on this call: each one's bug name on the endpoint, and an unnamed one's key. */
  #forkCount = 0;
  readonly #infoListeners = new Set<(key: string) => void>();
  #callRecording: EndpointRecording | undefined;

  constructor(deps: LegDeps, callId: string) {
    this.deps = deps;
    this.callId = callId;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    const leg = this;
    this.core = {
      srf: deps.srf,
      config: deps.config,
      clock: deps.clock,
      log: deps.log,
      mediaConfigured: deps.config.mediaServer !== undefined,
      callId,
      get socket() {
        return leg.socket;
      },
      get partySdp() {
        return leg.partySdp();
      },
      gone: this.#gone.signal,
      get endedBy() {
        return leg.#endedBy;
      },
      get answered() {
        return leg.answered;
      },
      get dialog() {
        return leg.partyDialog;
      },
      get endpoint() {
        return leg.partyEndpoint;
      },
      get ownRtp() {
        return leg.ownRtp();
      },
      media: (verb) => this.mediaLink(verb),
      answer: () => this.answer(),
      answerWith: (sdp, onDialog) => this.answerWith(sdp, onDialog),
      earlyMedia: (sdp) => this.earlyMedia(sdp),
      noteDialFailure: (code) => this.noteDialFailure(code),
      onInfoDigit: (listener) => {
        this.#infoListeners.add(listener);
        return () => this.#infoListeners.delete(listener);
      },
      newRecordingSid: deps.newRecordingSid,
      ...(deps.hosts ? { hosts: deps.hosts } : {}),
      trunkProblem: (trunk) => deps.trunkProblem?.(trunk) ?? Promise.resolve(undefined),
    };
  }

  /** The socket to drachtio-server this call is on (outbound mode: one per call). */
  abstract get socket(): unknown;
  abstract answer(): Promise<void>;
  abstract reject(reason: RejectReason): Promise<void>;
  abstract hangup(reason?: string): Promise<void>;
  /** The party's SDP (LegCore.partySdp). */
  protected abstract partySdp(): string;
  /** A 200 OK to the party carrying `sdp` (LegCore.answerWith); the dialog it has, once answered. */
  protected abstract answerWith(sdp: string, onDialog?: (dialog: SrfDialog) => void): Promise<SrfDialog>;
  /** A callee's early media for an unanswered party (LegCore.earlyMedia); nothing by default. */
  protected earlyMedia(sdp: string): void {
    void sdp;
  }
  /** A failed Dial attempt's code (LegCore.noteDialFailure); nothing by default. */
  protected noteDialFailure(code: number): void {
    void code;
  }
  /** didml's own RTP peer of the call (LegCore.ownRtp); none by default. */
  protected ownRtp(): CallRtp | undefined {
    return undefined;
  }

  get answered(): boolean {
    return this.partyDialog !== undefined;
  }

  get isEnded(): boolean {
    return this.#endedBy !== undefined;
  }

  /** The call's media endpoint, when it has one (bridging two callers). */
  get endpoint(): MediaEndpoint | undefined {
    return this.partyEndpoint;
  }

  /** The backend lost the call (connection to drachtio-server gone, adapter closed). */
  drop(reason: string): void {
    this.end('backend', reason);
  }

  protected mediaLink(verb: string): MediaServerLink {
    if (this.deps.config.mediaServer === undefined) {
      throw new DidmlError(
        'DIDML_TELEPHONY',
        `${verb} needs a media server, and drachtio.mediaServer is not configured: without FreeSWITCH the drachtio backend only signals (Dial to SIP targets, Reject, Hangup, Redirect, Refer)`,
      );
    }
    const link = this.deps.media();
    if (!link) throw new DidmlError('DIDML_TELEPHONY', `${verb}: the media server at ${this.deps.config.mediaServer.address}:${this.deps.config.mediaServer.port} is not connected`);
    return link;
  }

  /** The call is over: everything in progress on it stops, its endpoint goes, the adapter lets it go. */
  protected end(by: EndedBy, reason?: string): void {
    if (this.#endedBy) return;
    this.#endedBy = by;
    this.deps.log.debug('call leg ended', { callId: this.callId, by, ...(reason ? { reason } : {}) });
    this.#gone.abort(new Error(reason ?? `ended by ${by}`));
    const ep = this.partyEndpoint;
    if (ep) void ep.destroy();
    this.released();
    this.deps.onEnd(this);
    this.#resolveEnded(reason !== undefined ? { by, reason } : { by });
  }

  /** What the leg holds beyond its endpoint, let go once it has ended. */
  protected released(): void {}

  /** The party's endpoint: its end (the media server dropped it) ends the call. */
  protected useEndpoint(ep: MediaEndpoint): void {
    this.partyEndpoint = ep;
    void ep.gone.then(() => this.end('backend', 'the media server dropped the call'));
  }

  /** Listens on the party's dialog; called in the turn it exists, since a BYE may be next in the same read. */
  protected watch(dialog: SrfDialog): void {
    // A BYE from the party, or one drachtio-server generated (source "application": session
    // timer expired, ACK never came; RFC 4028 §10, RFC 3261 §13.3.1.4).
    dialog.on('destroy', (bye: SrfRequest | undefined, reason: string | undefined) => {
      if (bye?.source === 'application') this.end('backend', reason ?? 'dialog ended by drachtio-server');
      else this.end('caller');
    });
    // A re-INVITE (a hold, a codec change) with a media server: the party's endpoint takes the
    // new offer and its answer goes back. Without one, a bridged Dial relays it to the callee
    // (dial.ts), and drachtio-srf answers any other with the SDP it has.
    if (this.deps.config.mediaServer !== undefined) {
      dialog.on('modify', (req: SrfRequest, res: SrfResponse) => {
        const ep = this.partyEndpoint;
        if (!ep) return void res.send(488);
        ep.modify(req.body).then(
          (sdp) => res.send(200, { body: sdp, headers: { 'Content-Type': 'application/sdp' } }),
          (e: unknown) => {
            this.deps.log.warn('a re-INVITE from the party was refused: the media server did not take it', { callId: this.callId, error: String(e) });
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
      const ep = this.partyEndpoint;
      if (ep) void ep.receiveDigits(key).catch((e: unknown) => this.deps.log.warn('a key sent by SIP INFO was lost: the media server did not take it', { callId: this.callId, error: String(e) }));
      else for (const l of [...this.#infoListeners]) l(key);
    });
  }

  async say(prompt: SayPrompt, signal?: AbortSignal): Promise<void> {
    await this.#withEndpoint('<Say>', (ep) => playPrompts(this.core, ep, [prompt], signal));
  }

  async play(prompt: PlayPrompt, signal?: AbortSignal): Promise<void> {
    await this.#withEndpoint('<Play>', (ep) => playPrompts(this.core, ep, [prompt], signal));
  }

  pause(seconds: number, signal?: AbortSignal): Promise<void> {
    // Silence needs no media server: before the answer it delays it, as Twilio's <Pause> does.
    return sleep(this.core, seconds * 1000, signal);
  }

  async sendDigits(digits: string, signal?: AbortSignal): Promise<void> {
    await this.#withEndpoint('<Play digits>', async (ep) => {
      if (!signal?.aborted) await ep.sendDigits(digits);
    });
  }

  async collect(options: CollectOptions, signal?: AbortSignal): Promise<CollectResult> {
    if (this.isEnded || signal?.aborted) return { digits: '', finishedOnKey: '', callerHungUp: this.#endedBy === 'caller' };
    return this.#withEndpoint('<Gather>', (ep) => collect(this.core, ep, options, signal));
  }

  async record(options: RecordOptions, signal?: AbortSignal): Promise<RecordResult> {
    return this.#withEndpoint('<Record>', (ep) => record(this.core, ep, options, signal));
  }

  dial(options: DialOptions, signal?: AbortSignal): Promise<DialResult> {
    return dial(this.core, options, signal);
  }

  refer(options: ReferOptions, signal?: AbortSignal): Promise<ReferResult> {
    return refer(this.core, options, signal);
  }

  async startCallRecording(o: { channels: 1 | 2 }): Promise<void> {
    if (this.#callRecording) return;
    const rec = EndpointRecording.create(this.core, o.channels, '<Start><Recording>');
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
    // A call didml placed without a media server: its own RTP peer is tapped.
    const own = this.deps.config.mediaServer === undefined ? this.ownRtp() : undefined;
    if (own) return this.#fork(o, () => rtpTap(own));
    await this.#withEndpoint('<Start><Stream>', async (ep) => {
      let listener: ForkListener;
      try {
        listener = await this.deps.forks();
      } catch (e) {
        this.deps.log.warn('<Start><Stream>: the call goes on without it', { callId: this.callId, error: (e as Error).message });
        o.onStatus?.('stream-error', (e as Error).message);
        return;
      }
      // The bug's name is didml's own: a stream's name may hold spaces, which uuid_audio_fork's arguments cannot.
      await this.#fork(o, (n) => freeswitchTap(this.core, ep, listener, `didml_fork_${n}`));
    });
  }

  async #fork(o: StreamOptions, tap: (n: number) => OpenTap): Promise<void> {
    if (this.isEnded) return;
    const n = this.#forkCount++;
    const key = o.name ?? `\0${n}`;
    // A second stream of a name replaces the first, as on the mock.
    await this.#streams.get(key)?.stop();
    const fork = await startFork(this.core, o, tap(n));
    if (!fork) return;
    this.#streams.set(key, fork);
    void fork.finished.then(() => {
      if (this.#streams.get(key) === fork) this.#streams.delete(key);
    });
  }

  async stopStream(name: string): Promise<void> {
    const forks = name ? [this.#streams.get(name)] : [...this.#streams.values()];
    await Promise.all(forks.map((f) => f?.stop()));
  }

  async connectStream(o: StreamOptions, signal?: AbortSignal): Promise<ConnectResult> {
    // ConversationRelay: the caller's endpoint with the media server's recogniser and TTS.
    const relay = o.relay;
    if (relay) return this.#withEndpoint('<Connect><ConversationRelay>', (ep) => connectRelay(this.core, ep, { ...o, relay }, signal));
    // Media Streams: didml is the RTP peer itself (rtp-stream.ts), with or without a media server.
    if (this.deps.config.mediaServer !== undefined) this.mediaLink('<Connect><Stream>');
    return connectRtpStream(this.core, o, signal);
  }

  /** With a media server, a caller of another instance is bridged on it by its channel id (both instances on one FreeSWITCH). */
  get remoteBridge(): 'media' | undefined {
    return this.deps.config.mediaServer !== undefined ? 'media' : undefined;
  }

  get mediaChannel(): string | undefined {
    return this.partyEndpoint?.channel;
  }

  async bridge(other: CallLeg, signal?: AbortSignal): Promise<BridgeResult> {
    if (!(other instanceof DrachtioCallLeg)) {
      const channel = other.mediaChannel;
      if (!channel) {
        throw new DidmlError('DIDML_TELEPHONY', `bridging call ${other.callId}: a drachtio call is bridged with a call of another instance only through one media server (drachtio.mediaServer, the same FreeSWITCH for both instances)`);
      }
      return this.#withEndpoint('bridging a caller of another instance', (ep) => bridgeLegs(this.core, ep, channel, other.ended, signal));
    }
    return this.#withEndpoint('bridging two callers', async (ep) => {
      await other.answer();
      const theirs = other.endpoint;
      if (!theirs) return { endedBy: other.isEnded ? 'other' : 'abort', duration: 0 };
      return bridgeLegs(this.core, ep, theirs, other.ended, signal);
    });
  }

  async conference(
    name: string,
    options: { muted: boolean; startOnEnter: boolean; endOnExit: boolean; beep: string; hangupOnStar?: boolean; out?: AbortSignal },
    signal?: AbortSignal,
  ): Promise<{ callerHungUp: boolean; duration: number }> {
    return this.#withEndpoint('<Conference>', (ep) => conference(this.core, ep, name, options, signal));
  }

  /** The API mutes this participant: FreeSWITCH's member mute of its endpoint, in the room it is in. */
  async conferenceMute(muted: boolean): Promise<void> {
    const ep = this.partyEndpoint;
    if (!ep) throw new DidmlError('DIDML_TELEPHONY', 'the call has no media endpoint in a conference');
    await ep.conferenceMute(muted);
  }

  /** Runs a media operation on the party's endpoint, answering first; throws when there is no media server. */
  async #withEndpoint<T>(verb: string, fn: (ep: MediaEndpoint) => Promise<T>): Promise<T> {
    this.mediaLink(verb);
    await this.answer();
    const ep = this.partyEndpoint;
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
  leave: () => Promise.resolve(),
  conferenceMute: () => Promise.resolve(),
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
  forkStart: () => Promise.reject(new Error('the call has ended')),
  forkStop: () => Promise.resolve(),
  destroy: () => Promise.resolve(),
};
