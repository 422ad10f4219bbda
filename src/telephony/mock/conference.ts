// A conference on the mock: the leg sits in the room until the caller hangs up, the session
// aborts, or the conference ends without it (the other participants leave) after
// script.conferenceDuration seconds.
import { Operation, type LegContext } from './operation.js';
import { CONFERENCE_SECONDS, ms } from './script.js';

export interface ConferenceOptions {
  muted: boolean;
  startOnEnter: boolean;
  endOnExit: boolean;
  beep: string;
}

export function conference(
  ctx: LegContext,
  name: string,
  o: ConferenceOptions,
  signal?: AbortSignal,
): Promise<{ callerHungUp: boolean; duration: number }> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve({ callerHungUp: ctx.endedBy === 'caller', duration: 0 });
  ctx.emit({ type: 'conference', name, muted: o.muted, startOnEnter: o.startOnEnter, endOnExit: o.endOnExit, beep: o.beep });
  const op: Operation<{ callerHungUp: boolean; duration: number }> = new Operation(ctx, signal, (why) => leave(why, why === 'hangup' && ctx.endedBy === 'caller'));
  const leave = (endedBy: 'conference' | 'hangup' | 'abort', callerHungUp: boolean) => {
    const duration = Math.round(op.elapsed / 1000);
    ctx.emit({ type: 'conference-end', duration, endedBy });
    return { callerHungUp, duration };
  };
  op.in(ms(ctx.script.conferenceDuration ?? CONFERENCE_SECONDS), () => op.settle(leave('conference', false)));
  return op.promise;
}
