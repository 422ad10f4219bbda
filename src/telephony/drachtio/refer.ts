// <Refer> on drachtio: a REFER inside the caller's dialog (drachtio-srf has no refer(): it is
// dialog.request({method: 'REFER'})), with Refer-To, Referred-By and the URI's X- headers, then
// the NOTIFYs of the implicit subscription followed to a final status (RFC 3515 §2.4.4-2.4.5:
// each NOTIFY carries a message/sipfrag status line; Subscription-State: terminated ends it).
// A refusal (405 when the far end does not take transfers, 403...) is a result, never an error.
// The caller must be answered for a REFER: without a media server that is an inactive SDP.
// `pbx:NAME` / `ext:NAME` refers the caller to NAME at the PBX didml registers with.
import type { ReferOptions, ReferResult } from '../adapter.js';
import type { LegCore } from './core.js';
import { inactiveAnswer } from './sdp.js';
import { sleep } from './media-ops.js';
import { isSipError, type SrfRequest, type SrfResponse } from './srf.js';
import { pbxReferTarget } from './targets.js';
import { DidmlError } from '../../errors.js';

/** How long to wait for the NOTIFY that says how the transfer ended. */
export const REFER_NOTIFY_TIMEOUT_MS = 32_000;

/** `SIP/2.0 200 OK` in a sipfrag body → 200. */
export function sipfragStatus(body: string | undefined): number | undefined {
  const m = /^SIP\/2\.0\s+(\d{3})/m.exec(body ?? '');
  return m ? Number(m[1]) : undefined;
}

export async function refer(core: LegCore, o: ReferOptions, signal?: AbortSignal, notifyTimeoutMs = REFER_NOTIFY_TIMEOUT_MS): Promise<ReferResult> {
  // A REFER inside a dialog that is gone gets 481 (RFC 3261 §12.2.2).
  if (core.gone.aborted || signal?.aborted) return { referSipResponseCode: 481, callerHungUp: core.endedBy === 'caller' };
  const pbx = pbxReferTarget(o.uri, core.config);
  if (typeof pbx === 'object') throw new DidmlError('DIDML_TELEPHONY', `<Refer>: ${pbx.error}`);
  const referTo = pbx ?? o.uri;
  if (!core.answered) {
    if (core.mediaConfigured) await core.answer();
    else await core.answerWith(inactiveAnswer(core.partySdp));
  }
  const uas = core.dialog;
  if (!uas || core.gone.aborted) return { referSipResponseCode: 481, callerHungUp: core.endedBy === 'caller' };

  let last: number | undefined;
  let final = false;
  const notified = new AbortController();
  const onNotify = (req: SrfRequest, res: SrfResponse) => {
    res.send(200);
    const code = sipfragStatus(req.body);
    if (code !== undefined) last = code;
    if ((code !== undefined && code >= 200) || /terminated/i.test(req.get('Subscription-State') ?? '')) {
      final = true;
      notified.abort();
    }
  };
  uas.on('notify', onNotify);
  try {
    let response: SrfResponse;
    try {
      response = await uas.request({
        method: 'REFER',
        headers: { 'Refer-To': `<${referTo}>`, 'Referred-By': `<${uas.local.uri}>`, ...o.headers },
      });
    } catch (e) {
      // The dialog went away under the request (481), or drachtio-server refused to send it.
      core.log.warn('REFER not sent', { callId: core.callId, error: String(e) });
      return { referSipResponseCode: isSipError(e) ? e.status : 481, callerHungUp: core.endedBy === 'caller' };
    }
    const code = response.status;
    if (code < 200 || code >= 300) return { referSipResponseCode: code, callerHungUp: false };
    if (!final) await sleep(core, notifyTimeoutMs, AbortSignal.any([notified.signal, ...(signal ? [signal] : [])]));
    return { referSipResponseCode: code, ...(last !== undefined ? { notifySipResponseCode: last } : {}), callerHungUp: !final && core.endedBy === 'caller' };
  } finally {
    uas.off('notify', onNotify);
  }
}
