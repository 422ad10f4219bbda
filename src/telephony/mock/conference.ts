// A conference on the mock: the leg sits in the room until the caller hangs up, the session
// aborts, the room is over for it (`out`: the room ended, or the API removed it: the runtime's
// rooms, src/runtime/conferences.ts), the conference ends without it (the participants the script
// imagines leave) after script.conferenceDuration seconds, or, with the Dial's hangupOnStar, the
// caller presses * and leaves the room (the document goes on). No media flows: muted and hold
// are the runtime's records. With hangupOnStar the caller's next scripted action is
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
  /** Aborted when the room is over for this leg: its reason `ended` (the room ended) or `kicked` (removed by the API). */
  out?: AbortSignal;
}

type Result = { callerHungUp: boolean; duration: number };

export function conference(ctx: LegContext, name: string, o: ConferenceOptions, signal?: AbortSignal): Promise<Result> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve({ callerHungUp: ctx.endedBy === 'caller', duration: 0 });
  ctx.emit({ type: 'conference', name, muted: o.muted, startOnEnter: o.startOnEnter, endOnExit: o.endOnExit, beep: o.beep, ...(o.hangupOnStar ? { hangupOnStar: true as const } : {}) });
  const op: Operation<Result> = new Operation(ctx, signal, (why) => leave(why, why === 'hangup' && ctx.endedBy === 'caller'));
  let left = false;
  const leave = (endedBy: 'conference' | 'hangup' | 'abort' | 'hangup-on-star' | 'kicked', callerHungUp: boolean) => {
    left = true;
    const duration = Math.round(op.elapsed / 1000);
    ctx.emit({ type: 'conference-end', duration, endedBy });
    return { callerHungUp, duration };
  };
  op.in(ms(ctx.script.conferenceDuration ?? CONFERENCE_SECONDS), () => op.settle(leave('conference', false)));
  const out = o.out;
  if (out) {
    const over = () => {
      if (!left) op.settle(leave(out.reason === 'kicked' ? 'kicked' : 'conference', false));
    };
    if (out.aborted) over();
    else {
      out.addEventListener('abort', over, { once: true });
      void op.promise.then(() => out.removeEventListener('abort', over));
    }
  }
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
