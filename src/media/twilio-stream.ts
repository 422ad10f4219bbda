// The app's side of `<Connect><Stream>`, as Twilio's Media Streams speak to it over a websocket:
// `connected`, `start` (streamSid, callSid, customParameters, μ-law at 8 kHz), a `media` message
// per 20 ms of the caller's audio (base64), `dtmf` for keys, `mark` once the audio the app sent
// before a mark has played, and `stop`; from the app, `media` to play, `mark`, and `clear` to drop
// what has not played yet. https://www.twilio.com/docs/voice/media-streams/websocket-messages
import { WebSocket } from 'undici';
import type { HostPolicy } from '../webhook/hosts.js';
import { openWebSocket } from './websocket.js';

/** Where the caller's audio goes and the app's comes from (an RTP session). */
export interface AudioPort {
  play(mulaw: Buffer): void;
  mark(reached: () => void): void;
  clear(): void;
}

export interface MediaStreamOptions {
  url: string;
  /** Which hosts may be connected to (checked on the URL and on every address it resolves to); the built-in rules by default. */
  hosts?: HostPolicy;
  accountSid: string;
  callSid: string;
  streamSid: string;
  parameters: Record<string, string>;
  /** The tracks `start` names and media is sent on (Twilio: `inbound`, `outbound`); default inbound. */
  tracks?: ('inbound' | 'outbound')[];
  /** Real milliseconds the websocket may take to open before it counts as failed; default none. */
  connectTimeoutMs?: number;
  /** Told of every protocol message the app sends (after it has been acted on). */
  onAppMessage?: (m: AppMessage) => void;
}

export type AppMessage =
  | { event: 'media'; media?: { payload?: string } }
  | { event: 'mark'; mark?: { name?: string } }
  | { event: 'clear' }
  | { event: string };

export class TwilioMediaStream {
  readonly #ws: WebSocket;
  readonly #o: MediaStreamOptions;
  #port: AudioPort | undefined;
  #sequence = 1;
  readonly #chunks = { inbound: 0, outbound: 0 };
  #stopped = false;
  /** Resolves when the app closes the websocket (or it fails): the stream is over. */
  readonly closed: Promise<void>;

  private constructor(o: MediaStreamOptions, ws: WebSocket) {
    this.#o = o;
    this.#ws = ws;
    this.closed = new Promise((resolve) => {
      ws.addEventListener('close', () => resolve());
      ws.addEventListener('error', () => resolve());
    });
    ws.addEventListener('message', (e) => this.#receive(e.data));
  }

  /** Opens the websocket and says `connected` and `start`; rejects when it cannot connect. */
  static async open(o: MediaStreamOptions): Promise<TwilioMediaStream> {
    const ws = await openWebSocket(o.url, { ...(o.hosts ? { hosts: o.hosts } : {}), ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}), what: "the stream's websocket" });
    const stream = new TwilioMediaStream(o, ws);
    stream.#send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    stream.#send({
      event: 'start',
      sequenceNumber: stream.#next(),
      start: {
        accountSid: o.accountSid,
        streamSid: o.streamSid,
        callSid: o.callSid,
        tracks: o.tracks ?? ['inbound'],
        customParameters: o.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid: o.streamSid,
    });
    return stream;
  }

  /** Where the app's audio plays. */
  attach(port: AudioPort): void {
    this.#port = port;
  }

  #next(): string {
    return String(this.#sequence++);
  }

  #send(message: object): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  /** 20 ms of the caller's audio (μ-law), or with `track` outbound, of what the caller hears. */
  audio(frame: Buffer, track: 'inbound' | 'outbound' = 'inbound'): void {
    const chunk = ++this.#chunks[track];
    this.#send({
      event: 'media',
      sequenceNumber: this.#next(),
      media: { track, chunk: String(chunk), timestamp: String((chunk - 1) * 20), payload: frame.toString('base64') },
      streamSid: this.#o.streamSid,
    });
  }

  dtmf(key: string): void {
    this.#send({ event: 'dtmf', streamSid: this.#o.streamSid, sequenceNumber: this.#next(), dtmf: { track: 'inbound_track', digit: key } });
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let m: AppMessage;
    try {
      m = JSON.parse(data) as AppMessage;
    } catch {
      return; // not a message of the protocol: ignored, as Twilio ignores it
    }
    const port = this.#port;
    if (!port || m === null || typeof m !== 'object') return;
    if (m.event === 'media' && 'media' in m && typeof m.media?.payload === 'string') {
      port.play(Buffer.from(m.media.payload, 'base64'));
    } else if (m.event === 'mark' && 'mark' in m && typeof m.mark?.name === 'string') {
      const name = m.mark.name;
      port.mark(() => this.#send({ event: 'mark', sequenceNumber: this.#next(), streamSid: this.#o.streamSid, mark: { name } }));
    } else if (m.event === 'clear') {
      port.clear();
    } else {
      return;
    }
    this.#o.onAppMessage?.(m);
  }

  /** Bytes sent but not yet handed to the network (the app is slow to read). */
  get buffered(): number {
    return this.#ws.bufferedAmount;
  }

  /** Whether the websocket is still open. */
  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Says `stop` and closes the websocket (the call ended, or the session moved on). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#send({ event: 'stop', sequenceNumber: this.#next(), streamSid: this.#o.streamSid, stop: { accountSid: this.#o.accountSid, callSid: this.#o.callSid } });
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(1000);
  }
}

/** The tracks a `<Stream track>` asks for, as Twilio's `start` message names them. */
export function tracksOf(track: string): ('inbound' | 'outbound')[] {
  return track === 'outbound_track' ? ['outbound'] : track === 'both_tracks' ? ['inbound', 'outbound'] : ['inbound'];
}
