// Recordings of the call on the caller's media endpoint: <Dial record> (both parties of the
// bridged call, from the answer or from the start of ringing) and the whole call (<Start>
// <Recording>, DIDML <Recording>), on one channel or two (caller left, the other party right).
// The file goes where <Record>'s do (drachtio.recordings) and is reported when the recording
// ends, with its duration (https://www.twilio.com/docs/voice/twiml/dial#record).
// Without a media server there is no media to record (a signalling-only B2BUA never sees it);
// without drachtio.recordings there is nowhere to put it: the call goes on unrecorded and the
// log says which.
import type { DialOptions } from '../adapter.js';
import type { LegCore } from './core.js';
import type { MediaEndpoint } from './media.js';
import { completed } from './media-ops.js';

export class EndpointRecording {
  readonly #core: LegCore;
  readonly #channels: 1 | 2;
  readonly #file: string;
  readonly #url: string;
  #started?: { at: number; ep: MediaEndpoint; finished?: Promise<void> };

  /** The recording the Dial asks for, or undefined (with a warning) when this backend cannot make it. */
  static forDial(core: LegCore, o: DialOptions): EndpointRecording | undefined {
    if (!o.record) return undefined;
    const r = EndpointRecording.create(core, o.record.channels, '<Dial record>');
    if (typeof r === 'string') {
      core.log.warn(`${r}; the call goes on unrecorded`, { callId: core.callId });
      return undefined;
    }
    return r;
  }

  /** A recording of the call on the caller's endpoint (`what` asked for it), or why there can be none. */
  static create(core: LegCore, channels: 1 | 2, what: string): EndpointRecording | string {
    if (!core.mediaConfigured) return `${what}: recording needs a media server (drachtio.mediaServer); without one calls are bridged by signalling only`;
    const where = core.config.recordings;
    if (!where) return `${what}: set drachtio.recordings {dir, baseUrl} (where the media server writes recordings and where they are served)`;
    return new EndpointRecording(core, channels, where);
  }

  private constructor(core: LegCore, channels: 1 | 2, where: { dir: string; baseUrl: string }) {
    this.#core = core;
    this.#channels = channels;
    const sid = core.newRecordingSid();
    this.#file = `${where.dir.replace(/\/$/, '')}/${sid}.wav`;
    this.#url = `${where.baseUrl.replace(/\/$/, '')}/${sid}.wav`;
  }

  /** Starts on `ep` (once); a media server that refuses is logged and the call goes on. */
  async start(ep: MediaEndpoint): Promise<boolean> {
    if (this.#started) return true;
    const at = this.#core.clock.now();
    this.#started = { at, ep };
    try {
      const { finished } = await ep.recordSession(this.#file, this.#channels);
      if (this.#started) this.#started.finished = finished;
      return true;
    } catch (e) {
      this.#started = undefined;
      this.#core.log.warn('the media server did not start recording; the call goes on unrecorded', { callId: this.#core.callId, error: (e as Error).message });
      return false;
    }
  }

  /** Stops it; what was recorded, or undefined when nothing was. */
  async stop(): Promise<{ url: string; duration: number } | undefined> {
    const s = this.#started;
    if (!s) return undefined;
    this.#started = undefined;
    const duration = Math.round((this.#core.clock.now() - s.at) / 1000);
    // A caller who hung up took the endpoint with them: FreeSWITCH closes the file itself.
    if (!this.#core.gone.aborted) await s.ep.stopRecordSession(this.#file).catch((e: unknown) => this.#core.log.debug('stopping the recording failed', { error: String(e) }));
    // Reported once the file is complete (an app fetches RecordingUrl at once), or after a while
    // all the same when the media server never says so (its connection went first).
    if (s.finished) await completed(this.#core, s.finished);
    return { url: this.#url, duration };
  }
}
