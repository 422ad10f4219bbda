// Two mock legs bridged (a caller taken from a queue): the bridge lasts until either side hangs
// up, the session aborts, or this leg's caller has talked script.bridgeDuration seconds.
import type { BridgeResult, CallLeg } from '../adapter.js';
import { Operation, type LegContext } from './operation.js';
import { CALLEE_TALK_SECONDS, ms } from './script.js';

export function bridge(ctx: LegContext, other: CallLeg, signal?: AbortSignal): Promise<BridgeResult> {
  if (ctx.gone.aborted || signal?.aborted || other.isEnded) {
    return Promise.resolve({ endedBy: ctx.gone.aborted ? 'caller' : other.isEnded ? 'other' : 'abort', duration: 0 });
  }
  ctx.emit({ type: 'bridge-leg', callId: other.callId });
  const end = (endedBy: BridgeResult['endedBy']): BridgeResult => {
    const duration = Math.round(op.elapsed / 1000);
    ctx.emit({ type: 'bridge-end', callId: other.callId, endedBy, duration });
    return { endedBy, duration };
  };
  const op: Operation<BridgeResult> = new Operation(ctx, signal, (why) => end(why === 'hangup' ? 'caller' : 'abort'));
  void other.ended.then(() => op.settle(end('other')));
  op.in(ms(ctx.script.bridgeDuration ?? CALLEE_TALK_SECONDS), () => {
    op.settle(end('caller'));
    ctx.callerHangup();
  });
  return op.promise;
}
