// What a mock call sounds like, each way, for the <Start><Stream> forks open on it: the caller's
// side (inbound) and what the call plays to the caller (outbound), as 20 ms μ-law frames at a
// moment of virtual time. The mock has no TTS and fetches no media, so a <Say>, <Play> or sent
// digits sound as a quiet tone for as long as they play: it carries no words (a transcriber hears
// nothing), yet tells prompt time from silence, as an analytics agent would on a phone. The
// caller's scripted WAV turns and a <Connect><Stream> agent's audio are the real thing (a
// ConversationRelay agent's words, said by the platform, are the tone too); the rest
// (a pause, keys, scripted speech, which has no audio) is silence.
import { g711 } from '../../media/g711.js';
import { FRAME } from '../../media/rtp.js';
import { MULAW_SILENCE } from '../../media/wav.js';

export type Track = 'inbound' | 'outbound';

type Source = { tone: true; until: number } | { audio: Buffer; from: number } | undefined;

const SILENT = Buffer.alloc(FRAME, MULAW_SILENCE);
/** 400 Hz at about -30 dBFS: 8 whole periods in a frame, so every frame is the same. */
export const TONE_FRAME = Buffer.from(Array.from({ length: FRAME }, (_, i) => g711.linearToMulaw(Math.round(1000 * Math.sin((2 * Math.PI * 400 * i) / 8000)))));

export class CallSound {
  readonly #now: () => number;
  readonly #sources: Record<Track, Source> = { inbound: undefined, outbound: undefined };
  /** The open forks: each is told to send what is due before a source changes. */
  readonly #forks = new Set<() => void>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A fork's `flush`, called before each change; returns the function that stops it. */
  listen(flush: () => void): () => void {
    this.#forks.add(flush);
    return () => this.#forks.delete(flush);
  }

  #set(track: Track, source: Source): void {
    for (const flush of this.#forks) flush();
    this.#sources[track] = source;
  }

  /** The tone standing for a prompt, from now until it stops, or for `ms` (then silence). */
  tone(track: Track, ms = Infinity): void {
    this.#set(track, { tone: true, until: this.#now() + ms });
  }

  silence(track: Track): void {
    this.#set(track, undefined);
  }

  /** μ-law audio that starts now and plays for its length (silence after). */
  audio(track: Track, mulaw: Buffer): void {
    this.#set(track, mulaw.length ? { audio: mulaw, from: this.#now() } : undefined);
  }

  /** The frame of `track` that starts at `t` (virtual ms). */
  frameAt(track: Track, t: number): Buffer {
    const s = this.#sources[track];
    if (!s) return SILENT;
    if ('tone' in s) return t < s.until ? TONE_FRAME : SILENT;
    // A frame that began up to 20 ms before the audio carries its start; the next ones follow on.
    const at = Math.max(0, Math.ceil((t - s.from) / 20)) * FRAME;
    if (at >= s.audio.length) return SILENT;
    const f = Buffer.alloc(FRAME, MULAW_SILENCE);
    s.audio.copy(f, 0, at, Math.min(s.audio.length, at + FRAME));
    return f;
  }
}
