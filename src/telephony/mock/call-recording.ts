// Whole-call recording on the mock (`<Start><Recording>`, DIDML `<Recording>`): from its start
// to its stop or the end of the call, as long as that was in virtual time; the file (silence,
// with a recordingsDir) is written when it stops.
import type { LegContext } from './operation.js';

export class CallRecording {
  #started?: { at: number; channels: 1 | 2 };

  constructor(private readonly ctx: LegContext) {}

  start(channels: 1 | 2): void {
    if (this.#started || this.ctx.gone.aborted) return;
    this.#started = { at: this.ctx.clock.now(), channels };
    this.ctx.emit({ type: 'call-recording-start', channels });
  }

  async stop(): Promise<{ url: string; duration: number } | undefined> {
    const s = this.#started;
    if (!s) return undefined;
    this.#started = undefined;
    const duration = Math.round((this.ctx.clock.now() - s.at) / 1000);
    const url = await this.ctx.saveRecording(duration);
    this.ctx.emit({ type: 'call-recording-stop', url, duration });
    return { url, duration };
  }
}
