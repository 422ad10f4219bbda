// One inbound call on drachtio: the caller's INVITE arrives with 180 Ringing already sent; the
// 200 OK goes out when the session answers, as Twilio does for a SIP call ("200 OK when the
// first of Say/Play/Record/Dial/Gather runs", reference §1.1):
// - with a media server, a FreeSWITCH endpoint answers the caller's offer;
// - without one there is nothing to send media from, so the 200 waits until there is an SDP to
//   answer with: the callee's, when a <Dial> connects (a signalling-only B2BUA, the caller's
//   media goes straight to the callee), or an inactive one for a <Refer> (sdp.ts).
// Ending: BYE once answered, else a final response (the code of the last failed Dial, so a
// forward passes "busy" back, or 480). What a call does once answered is leg.ts's.
import { DidmlError } from '../../errors.js';
import type { RejectReason } from '../adapter.js';
import { DrachtioCallLeg, type LegDeps } from './leg.js';
import type { SrfDialog, SrfRequest, SrfResponse } from './srf.js';

const REJECT_CODES: Partial<Record<RejectReason, number>> = { busy: 486, unavailable: 503, 'not-found': 404 };

/** Unanswered and no Dial said otherwise: 480 Temporarily Unavailable (RFC 3261 §21.4.18). */
const UNANSWERED_HANGUP = 480;

export class DrachtioInboundLeg extends DrachtioCallLeg {
  readonly #req: SrfRequest;
  readonly #res: SrfResponse;
  #answering: Promise<void> | undefined;
  #lastDialFailure: number | undefined;

  constructor(deps: LegDeps & { req: SrfRequest; res: SrfResponse }) {
    super(deps, deps.req.get('Call-ID') ?? '');
    this.#req = deps.req;
    this.#res = deps.res;
    // drachtio-server has answered the CANCEL with 200 and the INVITE with 487 itself.
    deps.req.on('cancel', () => this.end('caller', 'caller cancelled before answer'));
  }

  get socket(): unknown {
    return (this.#req as unknown as { socket?: unknown }).socket;
  }

  protected partySdp(): string {
    return this.partyDialog?.remote.sdp ?? this.#req.body;
  }

  protected override noteDialFailure(code: number): void {
    this.#lastDialFailure = code;
  }

  /** A single callee's 183 with SDP reaches the caller while no final response went. */
  protected override earlyMedia(sdp: string): void {
    if (this.answered || this.#res.finalResponseSent) return;
    this.#res.send(183, { body: sdp }, () => undefined);
  }

  protected async answerWith(sdp: string, onDialog?: (dialog: SrfDialog) => void): Promise<SrfDialog> {
    if (this.partyDialog) return this.partyDialog;
    if (this.isEnded) throw new DidmlError('DIDML_TELEPHONY', 'the call ended before it was answered');
    const dialog = await new Promise<SrfDialog>((resolve, reject) =>
      this.deps.srf.createUAS(this.#req, this.#res, { localSdp: sdp }, (err, d) => {
        if (err) return reject(err);
        // Watched at once: a BYE may be next in the same read.
        this.partyDialog = d;
        this.watch(d);
        onDialog?.(d);
        resolve(d);
      }),
    );
    if (this.isEnded && dialog.connected) void dialog.destroy().catch(() => undefined);
    return dialog;
  }

  answer(): Promise<void> {
    if (this.partyDialog || this.isEnded) return Promise.resolve();
    // Without a media server the 200 OK waits for an SDP to send (see above).
    if (this.deps.config.mediaServer === undefined) return Promise.resolve();
    this.#answering ??= (async () => {
      const ep = await this.mediaLink('answering the call').answer(this.#req.body);
      if (this.isEnded) return void ep.destroy();
      this.useEndpoint(ep);
      await this.answerWith(ep.localSdp);
    })().catch((e: unknown) => {
      this.#answering = undefined;
      if (this.isEnded) return;
      throw e instanceof DidmlError ? e : new DidmlError('DIDML_TELEPHONY', `answering the call failed: ${(e as Error).message}`, { cause: e });
    });
    return this.#answering;
  }

  reject(reason: RejectReason): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    if (this.partyDialog) return this.hangup(`reject (${reason}) after answer`);
    // busy → 486; rejected → the configured code, 404 as Twilio (reference §1.1); unavailable → 503
    // (RFC 3261 §21.5.4); not-found (no app for the number) → 404 whatever rejectCode says.
    const code = REJECT_CODES[reason] ?? this.deps.config.rejectCode;
    this.#send(code);
    this.end('app', reason);
    return Promise.resolve();
  }

  async hangup(reason?: string): Promise<void> {
    if (this.isEnded) return;
    const uas = this.partyDialog;
    if (!uas) this.#send(this.#lastDialFailure ?? UNANSWERED_HANGUP);
    this.end('app', reason);
    if (uas) await uas.destroy().catch((e: unknown) => this.deps.log.debug('BYE failed', { callId: this.callId, error: String(e) }));
  }

  #send(code: number): void {
    if (this.#res.finalResponseSent) return;
    this.#res.send(code, {}, (err) => {
      if (err) this.deps.log.debug('final response not sent', { callId: this.callId, code, error: String(err) });
    });
  }
}
