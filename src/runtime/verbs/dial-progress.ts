// A dialled leg's statusCallback (<Number|Sip|Client statusCallback statusCallbackEvent>): the
// events asked for (initiated, ringing, answered, completed; `completed` alone by default), each a
// request with the child leg's own parameters: its CallSid and ParentCallSid, From (the caller ID)
// and To (the target), Direction outbound-dial, CallStatus, and CallDuration and SipResponseCode
// once it is over; CallbackSource call-progress-events, SequenceNumber (per leg, from 0),
// Timestamp. `completed` is sent "regardless of the termination status" (reference §2.3).
// https://www.twilio.com/docs/voice/twiml/number#statuscallbackevent
import type { Projected } from '../../grammar/index.js';
import { targetAddress, type DialProgress, type DialTarget } from '../../telephony/adapter.js';
import { methodOf, str, type VerbContext } from '../verb.js';

const CALL_STATUS: Record<Exclude<DialProgress['event'], 'completed'>, string> = {
  initiated: 'initiated',
  ringing: 'ringing',
  answered: 'in-progress',
};

export interface ChildLegs {
  /** For DialOptions.onProgress; undefined when no noun asked for callbacks. */
  onProgress?: (attempt: number, p: DialProgress) => void;
  /** The CallSid the attempt's callbacks carried, when it had any. */
  sidOf(attempt: number): string | undefined;
  /** The attempt's CallSid, made now if it has none yet (a leg being screened). */
  sidFor(attempt: number): string;
}

export function childLegs(nouns: (Projected | undefined)[], targets: DialTarget[], callerId: string, ctx: VerbContext): ChildLegs {
  const sids: (string | undefined)[] = [];
  const sequence: number[] = [];
  const sidFor = (i: number) => (sids[i] ??= ctx.newSid('CA'));
  const asked = nouns.map((noun) => {
    const url = noun && str(noun, 'statusCallback');
    if (!noun || !url) return undefined;
    const events = new Set(str(noun, 'statusCallbackEvent', 'completed').split(/[\s,]+/).filter(Boolean));
    return { url: ctx.resolve(url), method: methodOf(noun, 'statusCallbackMethod'), events };
  });
  if (!asked.some(Boolean)) return { sidOf: (i) => sids[i], sidFor };
  return {
    sidOf: (i) => sids[i],
    sidFor,
    onProgress(i, p) {
      const cb = asked[i];
      const target = targets[i];
      if (!cb || !target) return;
      const sid = sidFor(i);
      if (!cb.events.has(p.event)) return;
      const to = targetAddress(target);
      const seq = sequence[i] ?? 0;
      sequence[i] = seq + 1;
      ctx.notifyChild(cb.url, cb.method, {
        CallSid: sid,
        ParentCallSid: ctx.call.callSid,
        From: callerId,
        To: to,
        Caller: callerId,
        Called: to,
        Direction: 'outbound-dial',
        CallStatus: p.event === 'completed' ? p.status : CALL_STATUS[p.event],
        ...(p.event === 'completed' ? { CallDuration: String(Math.round(p.duration)), ...(p.sipResponseCode !== undefined ? { SipResponseCode: String(p.sipResponseCode) } : {}) } : {}),
        ...(p.event === 'initiated' && target.kind === 'sip' ? { SipCallId: p.callId } : {}),
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(seq),
        Timestamp: new Date().toUTCString(),
      });
    },
  };
}
