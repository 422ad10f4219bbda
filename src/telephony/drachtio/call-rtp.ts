// didml's own RTP peer (src/media/rtp.ts) for a call it places without a media server: opened
// before the INVITE so that its SDP is the offer (PCMU and telephone events, RFC 3264 §5), and
// kept for the whole call. The far end's audio goes nowhere and it hears silence until a
// <Connect><Stream> plugs a websocket in (rtp-stream.ts): the outbound AI-agent call, with no
// re-INVITE and no media server. A <Start><Stream> taps it (fork-stream.ts): both directions. The addresses are drachtio.rtp's, as for an inbound stream.
import { networkInterfaces } from 'node:os';
import { readOffer, RtpSession, type Negotiated } from '../../media/rtp.js';
import type { AudioPort } from '../../media/twilio-stream.js';
import type { DrachtioConfig } from './config.js';

/** didml's own offer: μ-law and telephone events; where to send comes with the far end's answer. */
export const OWN_OFFER: Negotiated = { codec: 'PCMU', dtmf: 101, remote: { address: '127.0.0.1', port: 0 } };

/** The first IPv4 address of this host that is not loopback: what a party elsewhere can send to. */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** Where didml's RTP socket binds and what its SDP names (drachtio.rtp.address, publicAddress). */
export function rtpAddresses(config: DrachtioConfig): { address: string; publicAddress: string } {
  const r = config.rtp;
  return {
    address: r?.address ?? '0.0.0.0',
    publicAddress: r?.publicAddress ?? (r?.address && r.address !== '0.0.0.0' ? r.address : hostAddress()),
  };
}

/** What takes the far end's audio and keys while plugged in (a Twilio media stream), and plays to it through `port`. */
export interface RtpSink {
  audio(frame: Buffer): void;
  dtmf(key: string): void;
  attach(port: AudioPort): void;
}

type Tap = (track: 'inbound' | 'outbound', frame: Buffer) => void;

export class CallRtp {
  /** The offer, written once: a re-offer of the same socket is the same SDP. */
  readonly sdp: string;
  readonly #session: RtpSession;
  #sink: RtpSink | undefined;
  /** Who hears the call's audio besides the sink (a <Start><Stream> fork): the far end's (inbound) and what it is sent (outbound). */
  readonly #taps: Set<Tap>;

  private constructor(session: RtpSession, taps: Set<Tap>) {
    this.#session = session;
    this.#taps = taps;
    this.sdp = session.localSdp;
  }

  /** Binds the socket (drachtio.rtp.address); rejects when it cannot. */
  static async open(config: DrachtioConfig): Promise<CallRtp> {
    let self: CallRtp | undefined;
    const taps = new Set<Tap>();
    const session = await RtpSession.open({
      ...rtpAddresses(config),
      offer: OWN_OFFER,
      onAudio: (frame) => {
        self?.sink?.audio(frame);
        for (const t of taps) t('inbound', frame);
      },
      onDtmf: (key) => self?.sink?.dtmf(key),
      onSent: (frame) => {
        for (const t of taps) t('outbound', frame);
      },
    });
    self = new CallRtp(session, taps);
    return self;
  }

  /** What the far end's audio and keys go to now. */
  get sink(): RtpSink | undefined {
    return this.#sink;
  }

  /** The far end's SDP (the 200's answer, or its answer to a re-INVITE): where to send. False when it has no G.711 audio. */
  answered(sdp: string): boolean {
    const answer = readOffer(sdp);
    if (answer) this.#session.answered(answer);
    return answer !== undefined;
  }

  /** The far end's audio and keys go to `sink`, and what it plays goes to the far end; returns the unplug. */
  plug(sink: RtpSink): () => void {
    this.#sink = sink;
    sink.attach(this.#session);
    return () => {
      if (this.#sink !== sink) return;
      this.#sink = undefined;
      this.#session.clear();
    };
  }

  /** `listener` hears every frame from the far end and to it; returns the untap. */
  tap(listener: Tap): () => void {
    this.#taps.add(listener);
    return () => this.#taps.delete(listener);
  }

  close(): void {
    this.#taps.clear();
    this.#sink = undefined;
    this.#session.close();
  }
}
