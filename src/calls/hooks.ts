// What the call service tells a listener about its calls (the server's metrics: src/server/metrics.ts),
// so that nothing under src/calls, src/runtime or src/telephony needs to know who listens. A hook
// is told plain data, synchronously; one that throws is a bug of the listener's and never reaches
// a call (`safely`).
import type { TimedEvent } from '../runtime/events.js';
import type { CallLeg, CallStatus, OriginateResult } from '../telephony/adapter.js';

/** The request a SIP final response answered: a <Dial>'s INVITE to a callee, a placed call's INVITE, a <Refer>'s REFER. */
export type SipRequestKind = 'dial' | 'outbound' | 'refer';

export interface CallHooks {
  /** A call began: one that arrived and was routed to an app, or one placed (queued). */
  started?(direction: string): void;
  /** The call's session is over, with the call's final status. */
  ended?(direction: string, status: CallStatus): void;
  /** Each event the call's session emits (its transcript's runtime events), as it happens. */
  event?(event: TimedEvent): void;
  /** A final response to a request the runtime sent on a call, whatever the backend. */
  sipFinal?(code: number, request: SipRequestKind): void;
}

/** Runs a hook; a listener's exception is swallowed: metrics must never end a call. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // nothing: a listener's bug is not the call's
  }
}

/** The final response a placed call's INVITE got: 200 once answered, else the far end's (when the backend knows it). */
export function placedResponse(result: OriginateResult): number | undefined {
  return result.answered ? 200 : result.sipResponseCode;
}

/**
 * Tells `sipFinal` what a leg's <Dial> attempts and <Refer> were answered, on any backend: the
 * backends report those final responses in their results (DialResult.attempts, ReferResult), so
 * the leg's own two methods are wrapped on this instance, behaviour and identity unchanged.
 */
export function watchLeg(leg: CallLeg, sipFinal: NonNullable<CallHooks['sipFinal']>): void {
  const dial = leg.dial.bind(leg);
  const refer = leg.refer.bind(leg);
  leg.dial = async (options, signal) => {
    const r = await dial(options, signal);
    for (const a of r.attempts) if (a.sipResponseCode !== undefined) safely(() => sipFinal(a.sipResponseCode!, 'dial'));
    return r;
  };
  leg.refer = async (options, signal) => {
    const r = await refer(options, signal);
    safely(() => sipFinal(r.referSipResponseCode, 'refer'));
    return r;
  };
}
