// A conference on the mock: the leg sits in the room until the caller hangs up, the session
// aborts, the conference ends without it (the other participants leave) after
// script.conferenceDuration seconds, or, with the Dial's hangupOnStar, the caller presses * and
// leaves the room (the document goes on). With hangupOnStar the caller's next scripted action is
// taken here, as at a Dial: its keys `after` seconds in the room (at once without `after`).
import { Operation, type LegContext } from './operation.js';
import { CONFERENCE_SECONDS, ms, type CallerAction } from './script.js';

export interface ConferenceOptions {
  muted: boolean;
  startOnEnter: boolean;
  endOnExit: boolean;
  beep: string;
  /** `<Dial hangupOnStar>`: * takes the caller out of the room. */
  hangupOnStar?: boolean;
}

type Result = { callerHungUp: boolean; duration: number };

export function conference(ctx: LegContext, name: string, o: ConferenceOptions, signal?: AbortSignal): Promise<Result> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve({ callerHungUp: ctx.endedBy === 'caller', duration: 0 });
  ctx.emit({ type: 'conference', name, muted: o.muted, startOnEnter: o.startOnEnter, endOnExit: o.endOnExit, beep: o.beep, ...(o.hangupOnStar ? { hangupOnStar: true as const } : {}) });
  const op: Operation<Result> = new Operation(ctx, signal, (why) => leave(why, why === 'hangup' && ctx.endedBy === 'caller'));
  const leave = (endedBy: 'conference' | 'hangup' | 'abort' | 'hangup-on-star', callerHungUp: boolean) => {
    const duration = Math.round(op.elapsed / 1000);
    ctx.emit({ type: 'conference-end', duration, endedBy });
    return { callerHungUp, duration };
  };
  op.in(ms(ctx.script.conferenceDuration ?? CONFERENCE_SECONDS), () => op.settle(leave('conference', false)));
  if (o.hangupOnStar) {
    const press = (keys: string) => {
      if (!keys.includes('*')) return ctx.emit({ type: 'digits', digits: keys, ignored: true });
      ctx.emit({ type: 'digits', digits: keys });
      op.settle(leave('hangup-on-star', false));
    };
    const off = ctx.hear({ digits: press });
    void op.promise.then(off);
    const act = (action: CallerAction) => {
      if ('record' in action || 'speech' in action) ctx.emit({ type: 'script', warning: 'only digits or hangup mean anything at a Dial with hangupOnStar' });
      else if ('hangup' in action) op.at(ms(action.after ?? 0), () => ctx.callerHangup());
      else if ('digits' in action) op.at(ms(action.after ?? 0), () => press(action.digits));
    };
    const next = ctx.nextAction('dial');
    if (typeof next === 'function') void next().then(act);
    else act(next);
  }
  return op.promise;
}
