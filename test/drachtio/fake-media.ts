// A scripted MediaServerLink for tests that run everywhere: endpoints that record what the call
// leg asked of them (play, speak, record, bridge...) and take DTMF from the test. It stands in for
// FreeSWITCH the way the stand-in stands in for drachtio-server; the FreeSWITCH link itself
// (src/telephony/drachtio/fsmrf.ts) runs only in the opt-in suite against a real one.
import type { MediaEndpoint, MediaServerLink, SpeechListener } from '../../src/telephony/drachtio/index.js';
import { WebSocket } from 'ws';
import { sdp } from './stand-in/sip.js';

/** mod_audio_fork sends what it has buffered: messages of any length (an odd one, to cut samples too). */
const FORK_MESSAGE_BYTES = 999;

/** The caller's sample in frame k of a fork, and what the endpoint plays then: a level per frame, so order shows. */
export const forkSample = { inbound: (k: number) => 1000 * (k + 1), outbound: (k: number) => -500 * (k + 1) };

/** `frames` 20 ms frames of 8 kHz L16, little-endian: the caller's, and with stereo what is played interleaved right. */
export function forkAudio(frames: number, mix: 'mono' | 'stereo'): Buffer {
  const channels = mix === 'stereo' ? 2 : 1;
  const pcm = Buffer.alloc(frames * 160 * 2 * channels);
  for (let k = 0; k < frames; k++) {
    for (let i = 0; i < 160; i++) {
      const at = ((k * 160 + i) * channels) * 2;
      pcm.writeInt16LE(forkSample.inbound(k), at);
      if (channels === 2) pcm.writeInt16LE(forkSample.outbound(k), at + 2);
    }
  }
  return pcm;
}

export class FakeEndpoint implements MediaEndpoint {
  readonly localSdp: string;
  readonly gone: Promise<void>;
  remoteSdp: string | undefined;
  #gone!: () => void;
  #listeners = new Set<(k: string) => void>();
  #current: (() => void) | undefined;

  constructor(
    readonly media: FakeMedia,
    readonly id: number,
    offer: string | undefined,
  ) {
    this.remoteSdp = offer;
    this.localSdp = sdp('192.0.2.50', 40000 + id * 2);
    this.gone = new Promise((r) => (this.#gone = r));
  }

  #log(op: string): void {
    this.media.ops.push(`ep${this.id} ${op}`);
    this.media.onOp(this, op);
  }

  /** An operation that lasts `ms`, or until stop(). */
  #lasting(op: string, ms: number): Promise<void> {
    this.#log(op);
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        if (self.#current === done) self.#current = undefined;
        resolve();
      }
      this.#current = done;
    });
  }

  /** The recogniser's listener while one runs (recognize() until stopped). */
  listening: SpeechListener | undefined;

  recognize(o: { language: string; hints?: string }, on: SpeechListener): Promise<() => Promise<void>> {
    this.#log(`recognize ${o.language}${o.hints ? ` hints="${o.hints}"` : ''}`);
    this.listening = on;
    return Promise.resolve(() => {
      this.#log('recognize-stop');
      this.listening = undefined;
      return Promise.resolve();
    });
  }

  /** The far end presses keys, one after another. */
  press(keys: string): void {
    for (const k of keys) for (const l of [...this.#listeners]) l(k);
  }

  play(url: string): Promise<void> {
    return this.#lasting(`play ${url}`, this.media.promptMs);
  }
  speak(text: string, voice: string, language: string): Promise<void> {
    return this.#lasting(`speak "${text}" ${voice} ${language}`, this.media.promptMs);
  }
  stop(): Promise<void> {
    this.#log('stop');
    this.#current?.();
    return Promise.resolve();
  }
  onDtmf(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async record(file: string, o: { maxLength: number; silenceSeconds: number; beep: boolean }): Promise<{ seconds?: number }> {
    await this.#lasting(`record ${file} max=${o.maxLength} silence=${o.silenceSeconds} beep=${o.beep}`, this.media.recordMs);
    return { seconds: 4 };
  }
  recordSession(file: string, channels: 1 | 2): Promise<{ finished: Promise<void> }> {
    this.#log(`record-session ${file} channels=${channels}`);
    // The file is complete once stopped or once the endpoint is gone, as FreeSWITCH's RECORD_STOP says.
    const finished = new Promise<void>((resolve) => {
      this.#recordingClosed = resolve;
      void this.gone.then(() => resolve());
    });
    return Promise.resolve({ finished });
  }
  #recordingClosed: () => void = () => undefined;
  stopRecordSession(file: string): Promise<void> {
    this.#log(`stop-record-session ${file}`);
    this.#recordingClosed();
    return Promise.resolve();
  }
  receiveDigits(digits: string): Promise<void> {
    this.#log(`receive-digits ${digits}`);
    this.press(digits);
    return Promise.resolve();
  }
  sendDigits(digits: string): Promise<void> {
    this.#log(`send-digits ${digits}`);
    return Promise.resolve();
  }
  modify(remoteSdp: string): Promise<string> {
    this.remoteSdp = remoteSdp;
    this.#log(`modify${/a=sendonly/.test(remoteSdp) ? ' (hold)' : ''}`);
    // A media server answers a hold (sendonly) with recvonly, as RFC 3264 §6.1 has it.
    return Promise.resolve(/a=sendonly/.test(remoteSdp) ? this.localSdp.replace(/a=sendrecv\r?\n/, 'a=recvonly\r\n') : this.localSdp);
  }
  bridge(other: MediaEndpoint): Promise<void> {
    this.#log(`bridge ep${(other as FakeEndpoint).id}`);
    return Promise.resolve();
  }
  unbridge(): Promise<void> {
    this.#log('unbridge');
    return Promise.resolve();
  }
  /** Takes the endpoint out of the conference it joined (the conference ended). */
  leaveConference: () => void = () => undefined;
  leave(): Promise<void> {
    this.#log('leave');
    this.leaveConference();
    return Promise.resolve();
  }
  conferenceMute(muted: boolean): Promise<void> {
    this.#log(`conference-mute ${muted}`);
    return Promise.resolve();
  }
  join(conference: string, f: { mute: boolean; moderator: boolean; waitMod: boolean }): Promise<{ left: Promise<void> }> {
    this.#log(`join ${conference} ${JSON.stringify(f)}`);
    const left = new Promise<void>((resolve) => (this.leaveConference = resolve));
    return Promise.resolve({ left });
  }
  /** mod_audio_fork's websocket to didml, per bug, while the fork runs. */
  readonly forks = new Map<string, WebSocket>();
  /**
   * As mod_audio_fork does: connects to `url` with its sub-protocol and sends 8 kHz L16 (the
   * caller's audio; stereo: the caller left, what the endpoint plays right), in messages that
   * do not follow 20 ms frames, until stopped.
   */
  async forkStart(url: string, bug: string, mix: 'mono' | 'stereo'): Promise<void> {
    this.#log(`fork-start ${bug} ${mix}`);
    if (this.media.forkError) throw new Error(this.media.forkError);
    if (this.forks.has(bug)) throw new Error(`-ERR Operation Failed (bug ${bug} already attached)`);
    const ws = new WebSocket(url, 'audio.drachtio.org');
    this.forks.set(bug, ws);
    ws.on('error', () => undefined);
    ws.on('open', () => {
      const pcm = forkAudio(this.media.forkFrames, mix);
      for (let at = 0; at < pcm.length; at += FORK_MESSAGE_BYTES) ws.send(pcm.subarray(at, at + FORK_MESSAGE_BYTES));
    });
    // uuid_audio_fork answers +OK before its connection is up.
  }
  forkStop(bug: string): Promise<void> {
    this.#log(`fork-stop ${bug}`);
    const ws = this.forks.get(bug);
    if (!ws) return Promise.reject(new Error('-ERR Operation Failed'));
    this.forks.delete(bug);
    ws.close();
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    this.#log('destroy');
    for (const ws of this.forks.values()) ws.close();
    this.forks.clear();
    this.#current?.();
    this.#gone();
    return Promise.resolve();
  }
}

export class FakeMedia implements MediaServerLink {
  readonly endpoints: FakeEndpoint[] = [];
  readonly ops: string[] = [];
  /** How long a prompt plays and a recording lasts unless stopped (real ms; never asserted on). */
  promptMs = 30;
  recordMs = 2000;
  /** 20 ms frames per channel a fork sends (forkAudio), and why forkStart fails, if it does. */
  forkFrames = 5;
  forkError: string | undefined;
  /** Called with every operation as it starts: where a test presses keys. */
  onOp: (ep: FakeEndpoint, op: string) => void = () => undefined;

  answer(offer: string): Promise<MediaEndpoint> {
    const ep = new FakeEndpoint(this, this.endpoints.length, offer);
    this.endpoints.push(ep);
    this.ops.push(`ep${ep.id} answer`);
    return Promise.resolve(ep);
  }
  offer(): Promise<MediaEndpoint> {
    const ep = new FakeEndpoint(this, this.endpoints.length, undefined);
    this.endpoints.push(ep);
    this.ops.push(`ep${ep.id} offer`);
    return Promise.resolve(ep);
  }
  endConference(name: string): Promise<void> {
    this.ops.push(`end-conference ${name}`);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
