// <Refer>: transfer the caller with a SIP REFER (RFC 3515) to the URI in <Sip>, with its headers.
// The action gets ReferCallStatus, ReferSipResponseCode and NotifySipResponseCode (Refer doc:
// success in-progress/202/200, target busy busy/202/486, refused failed/405, caller gone
// canceled/202/180). Once the transfer succeeded the call is the far end's; it ends here.
// https://www.twilio.com/docs/voice/twiml/refer
import type { ReferResult } from '../../telephony/adapter.js';
import { resolveSipText } from '../../sip/target.js';
import { actionOutcome, CONTINUE, type Verb } from '../verb.js';

/** RFC 3261 §21 classes → Twilio's call statuses. */
function referCallStatus(r: ReferResult): string {
  if (r.callerHungUp) return 'canceled';
  if (r.referSipResponseCode < 200 || r.referSipResponseCode >= 300) return 'failed';
  const n = r.notifySipResponseCode;
  if (n === undefined) return 'failed';
  if (n >= 200 && n < 300) return 'in-progress';
  if (n === 486 || n === 600) return 'busy';
  if (n === 408 || n === 480) return 'no-answer';
  if (n === 487 || n < 200) return 'canceled';
  return 'failed';
}

export const refer: Verb = {
  names: ['Refer'],
  async run(node, ctx) {
    const target = node.children.find((c) => c.name === 'Sip');
    if (!target?.text) return { kind: 'end', reason: '<Refer> needs a <Sip> with the URI to transfer to' };
    // As in <Dial><Sip>: only X- headers (and the few named ones) go onto the Refer-To URI.
    const sip = resolveSipText(target.text, { dialled: ctx.call.to, bareHostMeansDialled: false });
    if (sip.error) {
      ctx.emit({ type: 'error', message: `<Refer><Sip>${target.text}</Sip>: ${sip.error}` });
      return CONTINUE;
    }
    if (sip.dropped.length) ctx.emit({ type: 'warning', message: `<Refer><Sip>: headers ${sip.dropped.join(', ')} are not passed on; name custom headers X-…` });
    await ctx.answer();
    const r = await ctx.leg.refer({ uri: sip.uri, headers: sip.headers }, ctx.signal);
    const status = referCallStatus(r);
    const params: Record<string, string> = { ReferCallStatus: status, ReferSipResponseCode: String(r.referSipResponseCode) };
    if (r.notifySipResponseCode !== undefined) params['NotifySipResponseCode'] = String(r.notifySipResponseCode);
    if (status === 'in-progress') {
      await ctx.leg.hangup('transferred by <Refer>');
      return actionOutcome(node, ctx, params, true, false, 'transferred by <Refer>');
    }
    return actionOutcome(node, ctx, params, r.callerHungUp);
  },
};
