// What every INVITE didml sends shares, a <Dial> leg's or a placed call's: how it is CANCELled,
// and what its final response means as a call status (Twilio's, for DialCallStatus and the Calls
// API's Status: https://www.twilio.com/docs/voice/api/call-resource#call-status-values).
import type { Logger } from '../../log.js';
import type { SrfRequest } from './srf.js';

/** How long a CANCELled INVITE may take to report its final response before it is counted as over. */
export const CANCEL_GRACE_MS = 4000;

/** Why didml CANCELled an INVITE: it rang past its timeout, or the call was given up on. */
export type CancelReason = 'timeout' | 'given-up';

/**
 * CANCELs the INVITE `req` (RFC 3261 §9.1). The far end then owes a 487 for the INVITE; a 200
 * that crossed the CANCEL is the caller's to ACK and hang up. drachtio-srf sends the CANCEL for
 * the INVITE that went again with credentials, when a 401/407 came first; drachtio-server's SIP
 * stack (sofia-sip's nta) holds it until a provisional response has come, as §9.1 requires.
 */
export function cancelInvite(req: SrfRequest | undefined, log: Logger, callId: string): void {
  try {
    req?.cancel({}, (err) => {
      if (err) log.debug('CANCEL not sent', { callId, error: String(err) });
    });
  } catch (e) {
    log.debug('CANCEL not sent', { callId, error: String(e) });
  }
}

/**
 * The status of an INVITE that was not answered, from its final response code: rung out (our
 * CANCEL at the timeout) is no-answer, given up on is canceled, 486 Busy Here and 600 Busy
 * Everywhere are busy (RFC 3261 §21.4.24, §21.6.1), anything else failed.
 */
export function unansweredStatus(code: number | undefined, cancelled: CancelReason | undefined): 'no-answer' | 'canceled' | 'busy' | 'failed' {
  if (cancelled === 'timeout') return 'no-answer';
  if (cancelled) return 'canceled';
  return code === 486 || code === 600 ? 'busy' : 'failed';
}
