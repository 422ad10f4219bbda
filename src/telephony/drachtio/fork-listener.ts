// didml's end of FreeSWITCH's mod_audio_fork (drachtio-freeswitch-modules): a websocket listener
// FreeSWITCH connects to when a <Start><Stream> forks a call's audio. mod_audio_fork speaks its
// own protocol (a text frame of metadata, then raw L16 in binary frames), not Twilio's Media
// Streams, so FreeSWITCH is never pointed at the app's URL: it sends the audio here, and
// fork-stream.ts relays it to the app in Twilio's framing.
// Each fork gets a path of its own, random and used once: a connection to any other path is
// refused before the handshake (404), so whoever else reaches the port gets nowhere.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/** mod_audio_fork sends what it has buffered (2 s by default: 64 KB of stereo at 8 kHz); more than this is not its audio. */
const MAX_MESSAGE_BYTES = 1 << 20;

export interface ForkSlot {
  /** What FreeSWITCH is told to connect to. */
  readonly url: string;
  /** FreeSWITCH's connection, once it has opened; rejects when cancelled. */
  readonly connection: Promise<WebSocket>;
  /** No connection is expected any more (the fork failed or stopped before it connected). */
  cancel(): void;
}

interface Waiting {
  resolve(ws: WebSocket): void;
  reject(e: Error): void;
}

export class ForkListener {
  readonly #wss: WebSocketServer;
  readonly #base: string;
  readonly #waiting = new Map<string, Waiting>();

  private constructor(wss: WebSocketServer, base: string) {
    this.#wss = wss;
    this.#base = base;
    wss.on('connection', (ws, req) => this.#connected(ws, req));
  }

  /** Listens on `address`:`port` (0: any free port); rejects when it cannot. */
  static async open(address: string, port: number): Promise<ForkListener> {
    let listener: ForkListener | undefined;
    const wss = new WebSocketServer({
      host: address,
      port,
      maxPayload: MAX_MESSAGE_BYTES,
      // Before the handshake: only a path a fork is waiting on.
      verifyClient: (info, done) => done(listener !== undefined && listener.#waiting.has(tokenOf(info.req)), 404),
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', () => resolve());
      wss.once('error', (e) => reject(new Error(`didml's stream listener cannot listen on ${address}:${port} (drachtio.mediaServer.streamAddress, streamPort): ${e.message}`)));
    });
    // A socket error after that (a peer resetting) is not the listener's end.
    wss.on('error', () => undefined);
    const bound = (wss.address() as { port: number }).port;
    listener = new ForkListener(wss, `ws://${address.includes(':') ? `[${address}]` : address}:${bound}/fork/`);
    return listener;
  }

  expect(): ForkSlot {
    const token = randomBytes(16).toString('hex');
    let waiting!: Waiting;
    const connection = new Promise<WebSocket>((resolve, reject) => (waiting = { resolve, reject }));
    // A fork that is cancelled before anyone awaits its connection must not be an unhandled rejection.
    connection.catch(() => undefined);
    this.#waiting.set(token, waiting);
    return {
      url: this.#base + token,
      connection,
      cancel: () => {
        if (this.#waiting.delete(token)) waiting.reject(new Error('the fork was cancelled'));
      },
    };
  }

  #connected(ws: WebSocket, req: IncomingMessage): void {
    const token = tokenOf(req);
    const waiting = this.#waiting.get(token);
    if (!waiting) return void ws.close(1008);
    this.#waiting.delete(token);
    waiting.resolve(ws);
  }

  async close(): Promise<void> {
    for (const w of this.#waiting.values()) w.reject(new Error("didml's stream listener closed"));
    this.#waiting.clear();
    for (const c of this.#wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

function tokenOf(req: IncomingMessage): string {
  return /^\/fork\/([0-9a-f]{32})(?:\?.*)?$/.exec(req.url ?? '')?.[1] ?? '';
}
