// <Dial record>: both parties of the bridged call recorded on the caller's media endpoint, from
// the answer or from the start of ringing, on one channel or two (`-dual`: caller left, callee
// right). The file goes where <Record>'s do (drachtio.recordings) and is reported at the Dial's
// end with its duration (https://www.twilio.com/docs/voice/twiml/dial#record).
// Without a media server there is no media to record (a signalling-only B2BUA never sees it);
// without drachtio.recordings there is nowhere to put it: the call goes on unrecorded and the
// log says which.
import type { DialOptions } from '../adapter.js';
import type { LegCore } from './core.js';
import type { MediaEndpoint } from './media.js';

export class DialRecording {
  readonly #core: LegCore;
  readonly #channels: 1 | 2;
  readonly #file: string;
  readonly #url: string;
  #started?: { at: number; ep: MediaEndpoint };

  /** The recording the Dial asks for, or undefined (with a warning) when this backend cannot make it. */
  static for(core: LegCore, o: DialOptions): DialRecording | undefined {
    if (!o.record) return undefined;
    const callId = core.req.get('Call-ID');
    if (!core.mediaConfigured) {
      core.log.warn('<Dial record>: recording needs a media server (drachtio.mediaServer); without one the call is bridged by signalling only and goes on unrecorded', { callId });
      return undefined;
    }
    const where = core.config.recordings;
    if (!where) {
      core.log.warn('<Dial record>: set drachtio.recordings {dir, baseUrl} (where the media server writes recordings and where they are served); the call goes on unrecorded', { callId });
      return undefined;
    }
    return new DialRecording(core, o.record.channels, where);
  }

  private constructor(core: LegCore, channels: 1 | 2, where: { dir: string; baseUrl: string }) {
    this.#core = core;
    this.#channels = channels;
    const sid = core.newRecordingSid();
    this.#file = `${where.dir.replace(/\/$/, '')}/${sid}.wav`;
    this.#url = `${where.baseUrl.replace(/\/$/, '')}/${sid}.wav`;
  }

  /** Starts on `ep` (once); a media server that refuses is logged and the call goes on. */
  async start(ep: MediaEndpoint): Promise<void> {
    if (this.#started) return;
    const at = this.#core.clock.now();
    this.#started = { at, ep };
    try {
      await ep.recordSession(this.#file, this.#channels);
    } catch (e) {
      this.#started = undefined;
      this.#core.log.warn('<Dial record>: the media server did not start recording; the call goes on unrecorded', { callId: this.#core.req.get('Call-ID'), error: (e as Error).message });
    }
  }

  /** Stops it; what was recorded, or undefined when nothing was. */
  async stop(): Promise<{ url: string; duration: number } | undefined> {
    const s = this.#started;
    if (!s) return undefined;
    this.#started = undefined;
    const duration = Math.round((this.#core.clock.now() - s.at) / 1000);
    // A caller who hung up took the endpoint with them: FreeSWITCH closed the file itself.
    if (!this.#core.gone.aborted) await s.ep.stopRecordSession(this.#file).catch((e: unknown) => this.#core.log.debug('stopping the Dial recording failed', { error: String(e) }));
    return { url: this.#url, duration };
  }
}
