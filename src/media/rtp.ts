// didml as an RTP peer (RFC 3550): one UDP socket carrying a call's audio both ways, in G.711 at
// 8 kHz in 20 ms packets (RFC 3551 payload types 0 PCMU and 8 PCMA), and keys as RFC 4733
// telephone events. It is what `<Connect><Stream>` runs on when no media server is configured:
// μ-law in 20 ms frames is what Twilio's media streams carry, so audio goes between the caller
// and the app's websocket without a codec in between (a PCMA caller is converted sample by
// sample).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { alawToMulaw, mulawToAlaw } from './g711.js';

/** Samples (and bytes) of one 20 ms G.711 frame at 8 kHz. */
export const FRAME = 160;
const FRAME_MS = 20;
/** A minute of audio waiting to be sent, at most. */
export const MAX_QUEUED_FRAMES = 3000;
/** RFC 4733 §3.2: 0-9, *, #, A-D. */
const EVENTS = '0123456789*#ABCD';

export interface RtpPeer {
  address: string;
  port: number;
}

export interface Negotiated {
  /** The payload type the caller's offer allows for audio: PCMU preferred. */
  codec: 'PCMU' | 'PCMA';
  /** RFC 4733 payload type the offer names, if any. */
  dtmf?: number;
  /** Where the offer says to send. */
  remote: RtpPeer;
}

/** What of an SDP offer an RTP peer needs; undefined when it offers no G.711 audio. */
export function readOffer(sdp: string): Negotiated | undefined {
  const c = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const m = /^m=audio (\d+) RTP\/AVP ([\d ]+)/m.exec(sdp);
  if (!c || !m) return undefined;
  const types = m[2]!.trim().split(/\s+/).map(Number);
  const codec = types.includes(0) ? 'PCMU' : types.includes(8) ? 'PCMA' : undefined;
  if (!codec) return undefined;
  const dtmf = /^a=rtpmap:(\d+) telephone-event\/8000/m.exec(sdp)?.[1];
  return { codec, ...(dtmf ? { dtmf: Number(dtmf) } : {}), remote: { address: c, port: Number(m[1]) } };
}

export interface RtpSessionOptions {
  /** Address the socket binds to. */
  address: string;
  /** Address put in the SDP (what the caller sends to); the bound address by default. */
  publicAddress?: string;
  offer: Negotiated;
  /** Each 20 ms of the caller's audio, as μ-law (160 bytes). */
  onAudio(frame: Buffer): void;
  onDtmf(key: string): void;
  /** Each 20 ms frame (μ-law) as it goes to the caller: what the caller hears, for a fork's outbound track. */
  onSent?(frame: Buffer): void;
}

export class RtpSession {
  readonly #socket: Socket;
  readonly #o: RtpSessionOptions;
  #remote: RtpPeer;
  #port = 0;
  readonly #ssrc = randomInt(2 ** 31);
  #seq = randomInt(2 ** 16);
  #timestamp = randomInt(2 ** 31);
  /** Frames to send (μ-law), and marks between them: a mark is reached when the audio before it has gone out. */
  readonly #queue: (Buffer | { mark: () => void })[] = [];
  #pacer: ReturnType<typeof setInterval> | undefined;
  #lastEvent = -1;
  #latched = false;
  #dtmf: number | undefined;
  #partial: Buffer = Buffer.alloc(0);
  #closed = false;

  private constructor(o: RtpSessionOptions, socket: Socket) {
    this.#o = o;
    this.#socket = socket;
    this.#remote = o.offer.remote;
    this.#dtmf = o.offer.dtmf;
  }

  static async open(o: RtpSessionOptions): Promise<RtpSession> {
    const socket = createSocket('udp4');
    const session = new RtpSession(o, socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, o.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    session.#port = socket.address().port;
    socket.on('message', (msg, from) => session.#receive(msg, from));
    // A socket error (the peer's port closed...) is not the call's end: the call ends by SIP.
    socket.on('error', () => undefined);
    return session;
  }

  /** The far end's answer to this session's own offer: where to send, and its telephone events' payload type. */
  answered(answer: Negotiated): void {
    this.#remote = answer.remote;
    if (answer.dtmf !== undefined) this.#dtmf = answer.dtmf;
  }

  /** The answer to the caller's offer (or this session's own offer): this socket, the G.711 codec and the telephone events. */
  get localSdp(): string {
    const ip = this.#o.publicAddress ?? this.#o.address;
    const pt = this.#o.offer.codec === 'PCMU' ? 0 : 8;
    const dtmf = this.#o.offer.dtmf;
    const id = Date.now();
    return [
      'v=0',
      `o=didml ${id} ${id} IN IP4 ${ip}`,
      's=didml',
      `c=IN IP4 ${ip}`,
      't=0 0',
      `m=audio ${this.#port} RTP/AVP ${pt}${dtmf !== undefined ? ` ${dtmf}` : ''}`,
      `a=rtpmap:${pt} ${this.#o.offer.codec}/8000`,
      ...(dtmf !== undefined ? [`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`] : []),
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
  }

  get port(): number {
    return this.#port;
  }

  /** Frames of the app's audio waiting to be sent. */
  get queued(): number {
    return this.#queue.filter((x) => Buffer.isBuffer(x)).length;
  }

  #receive(msg: Buffer, from: RemoteInfo): void {
    if (this.#closed || msg.length < 12 || msg[0]! >> 6 !== 2) return;
    // Symmetric RTP: answer where the caller's packets come from (it may sit behind NAT), latched
    // on the first packet; packets from anywhere else after that are not the caller's (no one
    // may take a call's audio over by sending to its port).
    if (!this.#latched) {
      this.#latched = true;
      this.#remote = { address: from.address, port: from.port };
    } else if (from.address !== this.#remote.address || from.port !== this.#remote.port) {
      return;
    }
    const pt = msg[1]! & 0x7f;
    const cc = msg[0]! & 0x0f;
    const extension = (msg[0]! & 0x10) !== 0;
    let at = 12 + cc * 4;
    if (extension && msg.length >= at + 4) at += 4 + msg.readUInt16BE(at + 2) * 4;
    const payload = msg.subarray(at);
    if (pt === this.#dtmf) return this.#event(payload, msg.readUInt32BE(4));
    if (pt === 0) this.#audio(payload);
    else if (pt === 8) this.#audio(alawToMulaw(payload));
  }

  /** Audio handed on in 20 ms frames, whatever packet time the caller uses (30 ms is common). */
  #audio(mulaw: Buffer): void {
    let data = this.#partial.length ? Buffer.concat([this.#partial, mulaw]) : mulaw;
    while (data.length >= FRAME) {
      this.#o.onAudio(data.subarray(0, FRAME));
      data = data.subarray(FRAME);
    }
    this.#partial = Buffer.from(data);
  }

  /** RFC 4733 §2.3: an event is sent several times (same timestamp); its key counts once. */
  #event(payload: Buffer, timestamp: number): void {
    if (payload.length < 4 || timestamp === this.#lastEvent) return;
    const key = EVENTS[payload[0]!];
    if (key === undefined) return;
    this.#lastEvent = timestamp;
    this.#o.onDtmf(key);
  }

  /**
   * Queues μ-law audio (any length) to play to the caller, paced at 20 ms a frame. What would
   * take the queue past MAX_QUEUED_FRAMES (a minute) is dropped: an app that sends audio far
   * faster than it plays cannot make the call hold unbounded memory.
   */
  play(mulaw: Buffer): void {
    if (this.#closed) return;
    for (let i = 0; i < mulaw.length && this.#queue.length < MAX_QUEUED_FRAMES; i += FRAME) this.#queue.push(mulaw.subarray(i, i + FRAME));
    this.#start();
  }

  /** Calls `reached` once the audio queued before it has been sent. */
  mark(reached: () => void): void {
    if (this.#closed) return;
    this.#queue.push({ mark: reached });
    this.#start();
  }

  /** Drops the audio not yet sent; the marks among it are reached at once. */
  clear(): void {
    const dropped = this.#queue.splice(0);
    for (const item of dropped) if (!Buffer.isBuffer(item)) item.mark();
  }

  #start(): void {
    if (this.#pacer) return;
    this.#pacer = setInterval(() => this.#tick(), FRAME_MS);
  }

  #tick(): void {
    // Marks at the head are reached before the next frame goes.
    while (this.#queue.length && !Buffer.isBuffer(this.#queue[0])) (this.#queue.shift() as { mark: () => void }).mark();
    const frame = this.#queue.shift() as Buffer | undefined;
    if (!frame) {
      clearInterval(this.#pacer);
      this.#pacer = undefined;
      return;
    }
    const pt = this.#o.offer.codec === 'PCMU' ? 0 : 8;
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = pt;
    header.writeUInt16BE(this.#seq, 2);
    header.writeUInt32BE(this.#timestamp >>> 0, 4);
    header.writeUInt32BE(this.#ssrc, 8);
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + FRAME) >>> 0;
    const body = pt === 0 ? frame : mulawToAlaw(frame);
    if (this.#remote.port === 0) return; // the far end has not said where yet
    this.#socket.send(Buffer.concat([header, body]), this.#remote.port, this.#remote.address);
    this.#o.onSent?.(frame);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pacer) clearInterval(this.#pacer);
    this.clear();
    this.#socket.close();
  }
}
