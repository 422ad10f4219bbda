// A call the runtime places on the mock (Twilio's Calls API): the far end is looked up in the
// adapter's outbound script as a <Dial> target is (`callees`, '*' for any other), and does what
// its behaviour says: rings `ring` s, then answers, is busy, fails with a code, or rings until
// the Timeout (487, no-answer). Once answered, the far end is the party the app's document runs
// on: its `actions` are what it presses and says at the app's Gathers, `talk` when it hangs up.
// With machine detection, its `answeredBy` is the verdict, after MACHINE_DETECTION_SECONDS.
import type { Clock } from '../../clock.js';
import { targetAddress, type OriginateOptions, type OriginateResult } from '../adapter.js';
import type { MockCallLeg } from './leg.js';
import { CALLEE_RING_SECONDS, MACHINE_DETECTION_SECONDS, calleeFor, ms, type CalleeBehaviour, type MockCallScript } from './script.js';
import { viewTarget } from './transcript.js';

export interface OriginateDeps {
  clock: Clock;
  /** What the parties reached by placed calls do, and the rest of their calls' script. */
  script: MockCallScript;
  /** A new leg for the far end (not answered yet), with this script; its events are its own transcript. */
  newLeg(script: MockCallScript): MockCallLeg;
}

/** The verdict detection gives: with `Enable` a machine is known at its start; `DetectMessageEnd` waits for the beep. */
function verdict(behaviour: CalleeBehaviour, mode: 'Enable' | 'DetectMessageEnd') {
  const said = behaviour.answeredBy ?? 'human';
  if (mode === 'Enable' && said.startsWith('machine_')) return 'machine_start' as const;
  if (mode === 'DetectMessageEnd' && said === 'machine_start') return 'machine_end_beep' as const;
  return said;
}

export function originate(deps: OriginateDeps, o: OriginateOptions): Promise<OriginateResult> {
  const { clock } = deps;
  const behaviour = calleeFor(deps.script, o.target);
  const to = targetAddress(o.target);
  const leg = deps.newLeg({
    ...deps.script,
    from: o.from,
    to,
    caller: behaviour.actions ?? [],
    hangupAfter: undefined,
  });
  leg.log({
    type: 'outbound',
    target: viewTarget(o.target),
    from: o.from,
    timeout: o.timeout,
    ...(o.machineDetection ? { machineDetection: o.machineDetection.mode } : {}),
  });
  o.onProgress?.({ event: 'initiated', callId: leg.callId });

  return new Promise<OriginateResult>((resolve) => {
    const timers: (() => void)[] = [];
    let settled = false;
    const settle = (r: OriginateResult) => {
      if (settled) return;
      settled = true;
      for (const cancel of timers) cancel();
      o.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const refuse = (sipResponseCode: number, status: 'busy' | 'no-answer' | 'failed' | 'canceled', reason: string) => {
      leg.log({ type: 'outbound-response', sipResponseCode, status });
      leg.drop(reason);
      settle({ answered: false, status, sipResponseCode, reason });
    };
    const onAbort = () => refuse(487, 'canceled', 'the call was canceled before it was answered');
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const response = behaviour.response ?? 'answer';
    const ring = ms(behaviour.ring ?? (response === 'answer' ? CALLEE_RING_SECONDS : 0));
    if (ring > 0 || response === 'no-answer') {
      leg.log({ type: 'ringing' });
      o.onProgress?.({ event: 'ringing' });
    }
    timers.push(clock.timer(ms(o.timeout), () => refuse(487, 'no-answer', `no answer within the timeout of ${o.timeout} s`)));
    if (response === 'no-answer') return;
    timers.push(
      clock.timer(ring, () => {
        if (response === 'busy') return refuse(486, 'busy', `${to} is busy`);
        if (response !== 'answer') return refuse(response, 'failed', `${to} answered ${response}`);
        for (const cancel of timers.splice(0)) cancel();
        void leg.answer();
        if (behaviour.talk !== undefined) {
          const cancel = clock.timer(ms(behaviour.talk), () => leg.callerHangup());
          void leg.ended.then(cancel);
        }
        const md = o.machineDetection;
        if (!md) return settle({ answered: true, call: { callId: leg.callId, from: o.from, to, headers: { ...(behaviour.headers ?? {}) }, leg } });
        // Synchronous detection: the app is requested once it has an answer (AnsweredBy).
        timers.push(
          clock.timer(ms(Math.min(MACHINE_DETECTION_SECONDS, md.timeout)), () => {
            const answeredBy = MACHINE_DETECTION_SECONDS > md.timeout ? ('unknown' as const) : verdict(behaviour, md.mode);
            leg.log({ type: 'machine-detection', answeredBy });
            settle({ answered: true, answeredBy, call: { callId: leg.callId, from: o.from, to, headers: { ...(behaviour.headers ?? {}) }, leg } });
          }),
        );
        // Hung up while it listened: answered all the same (completed, as Twilio counts it), verdict unknown.
        void leg.ended.then(() => settle({ answered: true, answeredBy: 'unknown', call: { callId: leg.callId, from: o.from, to, headers: {}, leg } }));
      }),
    );
  });
}
