// Linear 16-bit PCM at 8 kHz, as FreeSWITCH's mod_audio_fork sends a channel's audio (its
// samples as they are in memory: little-endian on the x86 and ARM machines FreeSWITCH runs on),
// cut into the 20 ms μ-law frames Twilio's Media Streams carry. Mono is one channel; stereo is
// two interleaved, left then right. The module sends whatever it has buffered when the socket is
// writable, so a message can end anywhere, even inside a sample: the rest waits for the next one.
import { g711 } from './g711.js';
import { FRAME } from './rtp.js';

export class L16Framer {
  readonly #channels: 1 | 2;
  readonly #onFrame: (channel: number, mulaw: Buffer) => void;
  /** Bytes of one 20 ms frame of every channel. */
  readonly #frameBytes: number;
  /** What is left of the last message: less than one frame. */
  #rest: Buffer = Buffer.alloc(0);

  constructor(channels: 1 | 2, onFrame: (channel: number, mulaw: Buffer) => void) {
    this.#channels = channels;
    this.#onFrame = onFrame;
    this.#frameBytes = FRAME * 2 * channels;
  }

  push(chunk: Buffer): void {
    let data = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    let at = 0;
    for (; at + this.#frameBytes <= data.length; at += this.#frameBytes) {
      for (let ch = 0; ch < this.#channels; ch++) {
        const out = Buffer.alloc(FRAME);
        for (let i = 0; i < FRAME; i++) out[i] = g711.linearToMulaw(data.readInt16LE(at + (i * this.#channels + ch) * 2));
        this.#onFrame(ch, out);
      }
    }
    data = data.subarray(at);
    // A copy: the message's buffer is not kept alive by a few bytes of it.
    this.#rest = Buffer.from(data);
  }
}
