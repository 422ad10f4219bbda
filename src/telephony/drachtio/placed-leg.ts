// A call didml placed (the Calls API; originate.ts) once the far end has answered: didml is the
// UAC of its dialog, and the app's document talks to the far end. It is answered from the start,
// so answer() has nothing to do and reject() hangs up; hangup is a BYE (RFC 3261 §15.1.1). The far
// end's BYE ends it (by 'caller': the party the document talks to hung up), as a connection to
// drachtio-server lost does ('backend'). Its media is what the INVITE offered: a FreeSWITCH
// endpoint with a media server, else didml's own RTP peer (call-rtp.ts). Everything else is leg.ts's.
import type { RejectReason } from '../adapter.js';
import type { CallRtp } from './call-rtp.js';
import { DrachtioCallLeg, type LegDeps } from './leg.js';
import type { MediaEndpoint } from './media.js';
import type { SrfDialog } from './srf.js';

export interface PlacedMedia {
  /** The FreeSWITCH endpoint whose offer the INVITE carried (media server configured). */
  endpoint?: MediaEndpoint;
  /** didml's own RTP peer whose offer the INVITE carried (no media server). */
  rtp?: CallRtp;
}

export class DrachtioPlacedLeg extends DrachtioCallLeg {
  readonly #dialog: SrfDialog;
  readonly #socket: unknown;
  readonly #rtp: CallRtp | undefined;

  /** Made in the turn of the 200 OK, so that the dialog is watched before a BYE right behind it is handled. */
  constructor(deps: LegDeps, call: { dialog: SrfDialog; socket: unknown } & PlacedMedia) {
    super(deps, call.dialog.sip.callId);
    this.#dialog = call.dialog;
    this.#socket = call.socket;
    this.#rtp = call.rtp;
    this.partyDialog = call.dialog;
    if (call.endpoint) this.useEndpoint(call.endpoint);
    this.watch(call.dialog);
    // Its BYE came in the same read as the 200: drachtio-srf destroyed the dialog before anyone listened.
    if (!call.dialog.connected) this.end('caller', 'the called party hung up as it answered');
  }

  get socket(): unknown {
    return this.#socket;
  }

  protected partySdp(): string {
    return this.#dialog.remote.sdp;
  }

  protected override ownRtp(): CallRtp | undefined {
    return this.#rtp;
  }

  /** Answered already: the dialog there is (a Dial without a media server re-INVITEs it instead). */
  protected answerWith(): Promise<SrfDialog> {
    return Promise.resolve(this.#dialog);
  }

  protected override released(): void {
    this.#rtp?.close();
  }

  answer(): Promise<void> {
    return Promise.resolve();
  }

  reject(reason: RejectReason): Promise<void> {
    return this.hangup(`reject (${reason}) after answer`);
  }

  async hangup(reason?: string): Promise<void> {
    if (this.isEnded) return;
    this.end('app', reason);
    await this.#dialog.destroy().catch((e: unknown) => this.deps.log.debug('BYE failed', { callId: this.callId, error: String(e) }));
  }
}
