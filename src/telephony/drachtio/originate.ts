// Placing a call on drachtio (Twilio's Calls API, POST /Calls.json): one INVITE to one target,
// with no caller behind it; once the far end answers, the app's document runs on its leg
// (placed-leg.ts). The INVITE goes out as a <Dial> leg's does (targets.ts): numbers by
// drachtio.numbers (a trunk or a route string), SIP URIs with their X- headers, proxy, transport
// and credentials; `from` is the caller ID on From.
// - Its SDP offer is a FreeSWITCH endpoint's with a media server (modified with the far end's
//   answer, so every media verb runs on it as on a caller's endpoint), else didml's own RTP peer
//   (call-rtp.ts): <Connect><Stream> to an AI agent works without a media server, and the media
//   verbs fail with DIDML_TELEPHONY naming drachtio.mediaServer, as on inbound calls. A <Dial>
//   without a media server hands the far end's SDP to the callee and re-INVITEs the far end with
//   the callee's answer (third-party call control, RFC 3725 §4.1's "re-INVITE" variant, dial.ts).
// - Progress: initiated (with the Call-ID) once drachtio-server has sent the INVITE, ringing on
//   the first 180/183. A 401/407 is answered by drachtio-srf with the credentials and the INVITE
//   goes again (RFC 3261 §22.2).
// - Not answered within `timeout`: CANCEL (RFC 3261 §9.1), no-answer with the 487. The signal
//   aborted before the answer: CANCEL, canceled. 486/600 busy, any other final response failed
//   with its code. A 200 that crosses the CANCEL is ACKed (drachtio-srf) and hung up at once.
// The far end's refusal is a result; only a call that cannot be placed at all throws (no route
// for the target, no connection, no media to offer).
import { DidmlError } from '../../errors.js';
import { targetAddress, type InboundCall, type OriginateOptions, type OriginateResult } from '../adapter.js';
import { CallRtp } from './call-rtp.js';
import { headersAsReceived, parseNameAddr } from './inbound.js';
import type { LegDeps } from './leg.js';
import { DrachtioPlacedLeg, type PlacedMedia } from './placed-leg.js';
import { isSipError, type SrfDialog, type SrfRequest, type SrfResponse } from './srf.js';
import { inviteOptions, isResolveError, resolveTarget, type OutboundInvite } from './targets.js';
import { CANCEL_GRACE_MS, cancelInvite, unansweredStatus, type CancelReason } from './uac.js';

/** A call being placed, as the adapter sees it until it is answered or over. */
export interface Placing {
  /** Gives up on it at once (the connection to drachtio-server went, the adapter closes): failed, with `reason`. */
  stop(reason: string): void;
}

export interface PlaceDeps {
  /** What the leg gets once answered (its onEnd takes it out of the adapter's calls). */
  leg: LegDeps;
  /** Keeps `p` while the call rings; returns the release. */
  track(p: Placing): () => void;
  /** The answered leg, into the adapter's calls. */
  admit(leg: DrachtioPlacedLeg): void;
}

type Unanswered = Extract<OriginateResult, { answered: false }>;

/** Given up on before the INVITE went: nothing to CANCEL, no response code. */
const CANCELED_UNPLACED: Unanswered = { answered: false, status: 'canceled', reason: 'the call was canceled before it was placed' };

export async function originate(deps: PlaceDeps, o: OriginateOptions): Promise<OriginateResult> {
  const out = resolveTarget(o.target, deps.leg.config);
  if (isResolveError(out)) throw new DidmlError('DIDML_TELEPHONY', `placing a call: ${out.error}`);
  const untrusted = out.trunk !== undefined ? await deps.leg.trunkProblem?.(out.trunk) : undefined;
  if (untrusted) throw new DidmlError('DIDML_TELEPHONY', `placing a call: ${untrusted}`);
  if (o.signal?.aborted) return { ...CANCELED_UNPLACED };
  const media = await offerMedia(deps.leg);
  if (o.signal?.aborted) {
    release(media);
    return { ...CANCELED_UNPLACED };
  }
  return new PlacedCall(deps, o, out, media).run();
}

/** The SDP the INVITE offers, and what makes it: a FreeSWITCH endpoint, or didml's own RTP peer. */
async function offerMedia(d: LegDeps): Promise<PlacedMedia & { sdp: string }> {
  const ms = d.config.mediaServer;
  if (ms) {
    const link = d.media();
    if (!link) throw new DidmlError('DIDML_TELEPHONY', `placing a call: the media server at ${ms.address}:${ms.port} (drachtio.mediaServer) is not connected; try again once it is`);
    try {
      const endpoint = await link.offer();
      return { endpoint, sdp: endpoint.localSdp };
    } catch (e) {
      throw new DidmlError('DIDML_TELEPHONY', `placing a call: the media server gave no endpoint to offer: ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    const rtp = await CallRtp.open(d.config);
    return { rtp, sdp: rtp.sdp };
  } catch (e) {
    throw new DidmlError('DIDML_TELEPHONY', `placing a call: no RTP socket at drachtio.rtp.address (${d.config.rtp?.address ?? '0.0.0.0'}): ${(e as Error).message}`, { cause: e });
  }
}

function release(media: PlacedMedia): void {
  void media.endpoint?.destroy();
  media.rtp?.close();
}

class PlacedCall {
  readonly #deps: PlaceDeps;
  readonly #o: OriginateOptions;
  readonly #out: OutboundInvite;
  readonly #media: PlacedMedia & { sdp: string };
  readonly #to: string;
  readonly #timers: (() => void)[] = [];
  #req: SrfRequest | undefined;
  #callId = '';
  #rang = false;
  #cancelled: CancelReason | undefined;
  #settled = false;
  #resolve!: (r: OriginateResult) => void;
  #untrack: () => void = () => undefined;
  readonly #onAbort = () => this.#cancel('given-up');

  constructor(deps: PlaceDeps, o: OriginateOptions, out: OutboundInvite, media: PlacedMedia & { sdp: string }) {
    this.#deps = deps;
    this.#o = o;
    this.#out = out;
    this.#media = media;
    this.#to = targetAddress(o.target);
  }

  run(): Promise<OriginateResult> {
    const { srf, clock, config } = this.#deps.leg;
    const result = new Promise<OriginateResult>((resolve) => (this.#resolve = resolve));
    this.#timers.push(clock.timer(this.#o.timeout * 1000, () => this.#cancel('timeout')));
    this.#o.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#untrack = this.#deps.track({ stop: (reason) => this.#stop(reason) });
    try {
      srf.createUAC(
        this.#out.uri,
        // Inbound mode only (index.ts): requests go on the one connection there is.
        inviteOptions(this.#out, { callerId: this.#o.from, localSdp: this.#media.sdp, config, socket: undefined }),
        {
          cbRequest: (err, req) => {
            if (err || !req) return;
            this.#req = req;
            this.#callId = req.get('Call-ID') ?? '';
            this.#o.onProgress?.({ event: 'initiated', callId: this.#callId });
            if (this.#cancelled) cancelInvite(req, this.#deps.leg.log, this.#callId);
          },
          cbProvisional: (res) => this.#provisional(res),
        },
        // In the turn of the 200 itself (see Srf#createUAC): the leg watches the dialog before a BYE behind it.
        (err, dialog) => (err ? this.#refused(err) : this.#answered(dialog)),
      );
    } catch (e) {
      this.#finish();
      release(this.#media);
      return Promise.reject(new DidmlError('DIDML_TELEPHONY', `placing a call to ${this.#to}: drachtio-srf could not send the INVITE: ${(e as Error).message}`, { cause: e }));
    }
    return result;
  }

  #provisional(res: SrfResponse): void {
    if ((res.status !== 180 && res.status !== 183) || this.#rang) return;
    this.#rang = true;
    this.#o.onProgress?.({ event: 'ringing' });
  }

  /** Rung out, or given up on: CANCEL; the far end owes a 487, and if it never comes the call is over all the same. */
  #cancel(why: CancelReason): void {
    if (this.#settled || this.#cancelled) return;
    this.#cancelled = why;
    if (this.#req) cancelInvite(this.#req, this.#deps.leg.log, this.#callId);
    this.#timers.push(this.#deps.leg.clock.timer(CANCEL_GRACE_MS, () => this.#unanswered(487)));
  }

  #stop(reason: string): void {
    if (this.#settled) return;
    if (this.#req) cancelInvite(this.#req, this.#deps.leg.log, this.#callId);
    this.#settleUnanswered({ answered: false, status: 'failed', reason });
  }

  #refused(err: Error): void {
    if (!isSipError(err)) {
      this.#deps.leg.log.warn('placing a call: the INVITE failed', { callId: this.#callId, uri: this.#out.uri, error: String(err) });
      return this.#settleUnanswered({ answered: false, status: this.#cancelled ? unansweredStatus(undefined, this.#cancelled) : 'failed', reason: `the INVITE to ${this.#to} failed: ${err.message}` });
    }
    this.#unanswered(err.status, err.reason);
  }

  #unanswered(code: number, phrase?: string): void {
    const status = unansweredStatus(code, this.#cancelled);
    const reason =
      status === 'no-answer'
        ? `no answer within the timeout of ${this.#o.timeout} s`
        : status === 'canceled'
          ? 'the call was canceled before it was answered'
          : status === 'busy'
            ? `${this.#to} is busy (${code})`
            : `${this.#to} answered ${code}${phrase ? ` ${phrase}` : ''}`;
    this.#settleUnanswered({ answered: false, status, sipResponseCode: code, reason });
  }

  #answered(dialog: SrfDialog): void {
    const log = this.#deps.leg.log;
    if (this.#settled || this.#cancelled) {
      // RFC 3261 §9.1: a 200 that crossed our CANCEL stands; drachtio-srf has ACKed it, so BYE.
      log.debug('the far end answered as the call was given up; hanging it up', { callId: this.#callId });
      void dialog.destroy().catch(() => undefined);
      if (this.#settled) return;
      const status = this.#cancelled === 'timeout' ? 'no-answer' : 'canceled';
      return this.#settleUnanswered({ answered: false, status, sipResponseCode: 200, reason: `${this.#to} answered as the call was ${status === 'no-answer' ? 'rung out' : 'canceled'}; hung up at once` });
    }
    this.#finish();
    const leg = new DrachtioPlacedLeg(this.#deps.leg, { dialog, socket: (this.#req as { socket?: unknown } | undefined)?.socket, ...this.#media });
    if (!leg.isEnded) this.#deps.admit(leg);
    const answered: OriginateResult = { answered: true, call: { ...this.#described(dialog), callId: leg.callId, leg } };
    const { endpoint, rtp } = this.#media;
    if (rtp && !rtp.answered(dialog.remote.sdp)) {
      log.warn("placing a call: the far end's answer has no G.711 audio; <Connect><Stream> will hear nothing", { callId: leg.callId });
    }
    if (!endpoint) return this.#resolve(answered);
    // The endpoint offered; the far end's answer tells it where to send.
    endpoint.modify(dialog.remote.sdp).then(
      () => {
        if (!this.#o.signal?.aborted) return this.#resolve(answered);
        // Given up on while its media was being set up: too late for a CANCEL, so a BYE.
        void leg.hangup('canceled as it was answered');
        this.#resolve({ answered: false, status: 'canceled', sipResponseCode: 200, reason: `${this.#to} answered as the call was canceled; hung up at once` });
      },
      (e: unknown) => {
        // Hung up meanwhile (the endpoint went with the call): answered all the same, and over.
        if (leg.isEnded) return this.#resolve(answered);
        log.warn("placing a call: the media server did not take the far end's answer; hanging up", { callId: leg.callId, error: String(e) });
        void leg.hangup('the media server did not take the answer');
        this.#resolve({ answered: false, status: 'failed', sipResponseCode: 200, reason: `the media server did not take the answer of ${this.#to}: ${(e as Error).message}` });
      },
    );
  }

  /** The answered call as the session sees it: who placed it to whom, the 200's headers, where it came from. */
  #described(dialog: SrfDialog): Omit<InboundCall, 'callId' | 'leg'> {
    const res = (dialog as unknown as { res?: SrfResponse & { source_address?: string } }).res;
    const sourceIp = res?.source_address;
    return {
      from: this.#o.from,
      to: this.#to,
      fromUri: parseNameAddr(this.#req?.get('From') ?? '').uri,
      toUri: this.#req?.uri ?? this.#out.uri,
      headers: headersAsReceived(res?.raw, res?.headers ?? {}),
      ...(sourceIp ? { sourceIp } : {}),
    };
  }

  /** Answered or over: the timers, the abort listener and the adapter's hold on it go. */
  #finish(): void {
    this.#settled = true;
    for (const cancel of this.#timers.splice(0)) cancel();
    this.#o.signal?.removeEventListener('abort', this.#onAbort);
    this.#untrack();
  }

  #settleUnanswered(r: Unanswered): void {
    if (this.#settled) return;
    this.#finish();
    release(this.#media);
    this.#resolve(r);
  }
}
