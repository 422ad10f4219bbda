// MediaServerLink on FreeSWITCH through drachtio-fsmrf 4.x (its 5.x needs drachtio-modesl 2,
// which the registry here does not serve). fsmrf creates each endpoint with an INVITE through
// the same drachtio-server (X-esl-outbound makes FreeSWITCH connect back over its event socket)
// and drives it with FreeSWITCH applications: playback, speak, record, send_dtmf, uuid_bridge,
// conference, uuid_audio_fork (mod_audio_fork, not in stock FreeSWITCH; fork-stream.ts), detect_speech
// (the ASR module drachtio.asr names: mod_unimrcp, mod_pocketsphinx...).
// Verified only against a real FreeSWITCH (test/drachtio/real-server.test.ts, opt-in): the
// tests that run everywhere drive the call leg through a scripted MediaServerLink instead.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import type { Srf } from './srf.js';
import type { AsrConfig, MediaServerConfig } from './config.js';
import type { MediaEndpoint, MediaServerLink, SpeechListener } from './media.js';
import { readRecognition } from './nlsml.js';

interface FsEvent {
  getHeader(name: string): string | undefined;
  getBody(): string;
}

/** The endpoint's event-socket connection (drachtio-modesl): events arrive as `esl::event::<name>::<uuid>`. */
interface EslConnection extends EventEmitter {
  subscribe(events: string): unknown;
}

interface FsEndpoint extends EventEmitter {
  readonly uuid: string;
  /** null once the endpoint is gone. */
  readonly conn: EslConnection | null;
  readonly local: { sdp: string };
  play(file: string): Promise<unknown>;
  speak(opts: { ttsEngine: string; voice: string; text: string }): Promise<unknown>;
  api(command: string, args: string | string[]): Promise<FsEvent>;
  execute(app: string, arg?: string): Promise<FsEvent>;
  record(file: string, opts: { timeLimitSecs?: number; silenceThresh?: number; silenceHits?: number }): Promise<{ recordSeconds?: string }>;
  /** A re-INVITE to FreeSWITCH with `sdp`; resolves with FreeSWITCH's SDP in its 200. */
  modify(sdp: string): Promise<string>;
  bridge(other: FsEndpoint | string): Promise<unknown>;
  unbridge(): Promise<unknown>;
  join(conference: string, opts: { flags: Record<string, boolean> }): Promise<unknown>;
  /** FreeSWITCH's `conference <name> kick <member>` for this endpoint's membership. */
  unjoin(): Promise<unknown>;
  /** `conference <name> mute|unmute <member>` for this endpoint's membership. */
  confMute(): Promise<unknown>;
  confUnmute(): Promise<unknown>;
  destroy(): Promise<unknown>;
}

interface FsMediaServer extends EventEmitter {
  createEndpoint(opts?: { remoteSdp?: string }): Promise<FsEndpoint>;
  /** An API command on the media server's own connection; resolves with the answer's body. */
  api(command: string): Promise<string>;
  disconnect(): void;
}

interface MrfModule {
  new (srf: Srf): { connect(opts: { address: string; port: number; secret: string; listenAddress?: string; listenPort?: number; profile?: string }): Promise<FsMediaServer> };
}

export interface FsmrfOptions {
  tts: { engine: string; voice: string; voices?: Record<string, string> };
  asr?: AsrConfig;
}

/** The grammar detect_speech loads when drachtio.asr names none. */
export const DEFAULT_ASR_GRAMMAR = 'builtin:speech/transcribe';

export class FsmrfEndpoint implements MediaEndpoint {
  readonly gone: Promise<void>;
  #speechSubscribed = false;
  #recordStopSubscribed = false;
  constructor(
    readonly ep: FsEndpoint,
    private readonly o: FsmrfOptions,
  ) {
    this.gone = new Promise((resolve) => ep.once('destroy', () => resolve()));
  }

  get localSdp(): string {
    return this.ep.local.sdp;
  }

  async play(url: string): Promise<void> {
    await this.ep.play(url);
  }

  async speak(text: string, voice: string): Promise<void> {
    const tts = this.o.tts;
    await this.ep.speak({ ttsEngine: tts.engine, voice: tts.voices?.[voice] ?? tts.voice, text });
  }

  async stop(): Promise<void> {
    await this.#api('uuid_break', `${this.ep.uuid} all`);
  }

  onDtmf(listener: (key: string) => void): () => void {
    const l = (e: { dtmf: string }) => listener(e.dtmf);
    this.ep.on('dtmf', l);
    return () => this.ep.off('dtmf', l);
  }

  async recognize(o: { language: string; hints?: string }, on: SpeechListener): Promise<() => Promise<void>> {
    // https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod-dptools/6586776/ (detect_speech)
    // detect_speech runs beside whatever plays; its DETECTED_SPEECH events say "begin-speaking",
    // then "detected-speech" with the result (or an empty one: nothing recognised).
    const asr = this.o.asr;
    if (!asr) throw new Error('no speech recogniser configured (drachtio.asr)');
    const grammar = (asr.grammar ?? DEFAULT_ASR_GRAMMAR).replaceAll('${language}', o.language).replaceAll('${hints}', encodeURIComponent(o.hints ?? ''));
    const event = `esl::event::DETECTED_SPEECH::${this.ep.uuid}`;
    const onEvent = (e: FsEvent) => {
      const type = e.getHeader('Speech-Type');
      if (type === 'begin-speaking') on.speaking();
      else if (type === 'detected-speech') on.heard(readRecognition(e.getBody() ?? ''));
    };
    if (!this.#speechSubscribed) {
      this.ep.conn?.subscribe('DETECTED_SPEECH');
      // Without fire_asr_events FreeSWITCH only queues these events on the channel, and they reach
      // the event socket once the application running (a speak, a playback) is over: too late for
      // barge-in over ConversationRelay's TTS. With it they are fired as they happen.
      await this.#api('uuid_setvar', `${this.ep.uuid} fire_asr_events true`);
      this.#speechSubscribed = true;
    }
    this.ep.conn?.on(event, onEvent);
    try {
      await this.ep.execute('detect_speech', `${asr.engine} ${grammar} didml`);
    } catch (e) {
      this.ep.conn?.off(event, onEvent);
      throw e;
    }
    return async () => {
      this.ep.conn?.off(event, onEvent);
      await this.ep.execute('detect_speech', 'stop').catch(() => undefined);
    };
  }

  async record(file: string, o: { maxLength: number; silenceSeconds: number; beep: boolean }, started?: (finished: Promise<void>) => void): Promise<{ seconds?: number }> {
    // https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod-dptools/6587110/ (record <path> [time_limit] [silence_thresh] [silence_hits])
    if (o.beep) await this.ep.play('tone_stream://%(500,0,800)');
    const closed = this.#closed(file);
    started?.(closed.finished);
    const r = await this.ep.record(file, { timeLimitSecs: o.maxLength, ...(o.silenceSeconds > 0 ? { silenceThresh: 200, silenceHits: o.silenceSeconds } : {}) });
    const seconds = Number(r.recordSeconds);
    return Number.isFinite(seconds) ? { seconds } : {};
  }

  async recordSession(file: string, channels: 1 | 2): Promise<{ finished: Promise<void> }> {
    // https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod_commands_1966741/#uuid_record
    // RECORD_STEREO: the channel's read (caller) on the left, its write (the bridged party) on the right.
    const closed = this.#closed(file);
    try {
      await this.#api('uuid_setvar', `${this.ep.uuid} RECORD_STEREO ${channels === 2}`);
      await this.#api('uuid_record', `${this.ep.uuid} start ${file}`);
    } catch (e) {
      closed.cancel();
      throw e;
    }
    return { finished: closed.finished };
  }

  /**
   * When FreeSWITCH has closed `file` (its RECORD_STOP event): it writes a recording as it closes
   * it, which may be after the call has ended, so a file is complete only then.
   */
  #closed(file: string): { finished: Promise<void>; cancel(): void } {
    const event = `esl::event::RECORD_STOP::${this.ep.uuid}`;
    if (!this.#recordStopSubscribed) {
      this.ep.conn?.subscribe('RECORD_STOP');
      this.#recordStopSubscribed = true;
    }
    let onStop: (e: FsEvent) => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      onStop = (e) => {
        if (e.getHeader('Record-File-Path') !== file) return;
        this.ep.conn?.off(event, onStop);
        resolve();
      };
      this.ep.conn?.on(event, onStop);
    });
    return { finished, cancel: () => this.ep.conn?.off(event, onStop) };
  }

  async stopRecordSession(file: string): Promise<void> {
    await this.#api('uuid_record', `${this.ep.uuid} stop ${file}`);
  }

  /** An API command whose `-ERR ...` answer (a bad uuid, a file it cannot open) is an error, not a result. */
  async #api(command: string, args: string): Promise<string> {
    const body = (await this.ep.api(command, args)).getBody?.() ?? '';
    if (body.startsWith('-ERR')) throw new Error(`${command}: ${body.slice(4).trim()}`);
    return body;
  }

  async receiveDigits(digits: string): Promise<void> {
    // mod_commands' uuid_recv_dtmf: queued on the channel as received DTMF, so a DTMF event follows.
    await this.#api('uuid_recv_dtmf', `${this.ep.uuid} ${digits}`);
  }

  async sendDigits(digits: string): Promise<void> {
    await this.ep.execute('send_dtmf', digits);
  }

  async modify(remoteSdp: string): Promise<string> {
    return await this.ep.modify(remoteSdp);
  }

  get channel(): string {
    return this.ep.uuid;
  }

  async bridge(other: MediaEndpoint | string): Promise<void> {
    // uuid_bridge: a channel id from another instance works as well as an endpoint of this one.
    await this.ep.bridge(typeof other === 'string' ? other : (other as FsmrfEndpoint).ep);
  }

  async unbridge(): Promise<void> {
    await this.ep.unbridge();
  }

  async join(conference: string, f: { mute: boolean; moderator: boolean; waitMod: boolean }): Promise<{ left: Promise<void> }> {
    // The `conference` application runs as long as the member is in the room: its
    // CHANNEL_EXECUTE_COMPLETE says the member is out (kicked, or the conference ended).
    const event = `esl::event::CHANNEL_EXECUTE_COMPLETE::${this.ep.uuid}`;
    let onEvent: (e: FsEvent) => void = () => undefined;
    const left = new Promise<void>((resolve) => {
      onEvent = (e) => {
        if (e.getHeader('Application') !== 'conference') return;
        this.ep.conn?.off(event, onEvent);
        resolve();
      };
      this.ep.conn?.on(event, onEvent);
      void this.gone.then(() => (this.ep.conn?.off(event, onEvent), resolve()));
    });
    try {
      await this.ep.join(conference, { flags: { mute: f.mute, moderator: f.moderator, waitMod: f.waitMod } });
    } catch (e) {
      this.ep.conn?.off(event, onEvent);
      throw e;
    }
    return { left };
  }

  async leave(): Promise<void> {
    await this.ep.unjoin();
  }

  async conferenceMute(muted: boolean): Promise<void> {
    await (muted ? this.ep.confMute() : this.ep.confUnmute());
  }

  // uuid_audio_fork as drachtio-freeswitch-modules' mod_audio_fork takes it: `<uuid> start <url>
  // <mix> <rate> <bug>` and `<uuid> stop <bug>`. Not drachtio-fsmrf's forkAudioStart: it adds
  // arguments of a later module (jambonz's, with bidirectional audio) that this one would read as
  // metadata; that later module reads these six arguments as this one does.
  async forkStart(url: string, bug: string, mix: 'mono' | 'stereo'): Promise<void> {
    await this.#fork(`${this.ep.uuid} start ${url} ${mix} 8k ${bug}`);
  }

  async forkStop(bug: string): Promise<void> {
    await this.#fork(`${this.ep.uuid} stop ${bug}`);
  }

  async #fork(args: string): Promise<void> {
    const body = (await this.ep.api('uuid_audio_fork', args)).getBody();
    if (body.startsWith('+OK')) return;
    if (/command not found/i.test(body)) throw new Error("FreeSWITCH has no uuid_audio_fork: <Start><Stream> needs mod_audio_fork (drachtio-freeswitch-modules) loaded in it");
    throw new Error(`FreeSWITCH's uuid_audio_fork ${args.split(' ')[1]} failed: ${body.trim()}`);
  }

  async destroy(): Promise<void> {
    await this.ep.destroy().catch(() => undefined);
  }
}

/** Connects to FreeSWITCH's event socket; rejects when it cannot. */
export async function connectFsmrf(
  srf: Srf,
  config: MediaServerConfig,
  options: FsmrfOptions,
): Promise<MediaServerLink> {
  const Mrf = createRequire(import.meta.url)('drachtio-fsmrf') as MrfModule;
  const ms = await new Mrf(srf).connect({
    address: config.address,
    port: config.port,
    secret: config.secret,
    ...(config.listenAddress ? { listenAddress: config.listenAddress } : {}),
    listenPort: config.listenPort,
    profile: config.profile,
  });
  return {
    answer: async (offer) => new FsmrfEndpoint(await ms.createEndpoint({ remoteSdp: offer }), options),
    offer: async () => new FsmrfEndpoint(await ms.createEndpoint(), options),
    endConference: async (name) => {
      // Not FreeSWITCH's endconf flag: ending a conference that way hangs every member up, where
      // Twilio's members go on with their documents. A kick takes them out of the room only.
      const body = await ms.api(`conference ${name} kick all`);
      if (body.startsWith('-ERR') && !/not found/i.test(body)) throw new Error(`conference kick: ${body.slice(4).trim()}`);
    },
    close: () => {
      ms.disconnect();
      return Promise.resolve();
    },
  };
}
