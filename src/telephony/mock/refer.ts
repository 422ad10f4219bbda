// REFER on the mock (RFC 3515): the far end answers the REFER as the script says (202 by
// default), then reports the transfer's progress in NOTIFYs whose sipfrag status codes come from
// the script, 1 s apart; the operation ends with the last one. A refusal (405, 403...) ends it at
// once with no NOTIFY. The leg stays up: hanging up after a transfer is the session's choice.
// https://www.rfc-editor.org/rfc/rfc3515#section-2.4.5 (NOTIFY sipfrag bodies)
import type { ReferOptions, ReferResult } from '../adapter.js';
import { Operation, type LegContext } from './operation.js';
import { DEFAULT_REFER, NOTIFY_INTERVAL_MS } from './script.js';

export function refer(ctx: LegContext, o: ReferOptions, signal?: AbortSignal): Promise<ReferResult> {
  // A REFER inside a dialog that is gone gets 481 (RFC 3261 §12.2.2).
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve({ referSipResponseCode: 481, callerHungUp: ctx.endedBy === 'caller' });
  ctx.emit({ type: 'refer', uri: o.uri, headers: { ...o.headers } });
  const plan = ctx.script.refer ?? DEFAULT_REFER;
  const referSipResponseCode = plan.response;
  ctx.emit({ type: 'refer-response', sipResponseCode: referSipResponseCode });
  const notifies = referSipResponseCode >= 200 && referSipResponseCode < 300 ? (plan.notify ?? []) : [];

  let last: number | undefined;
  const result = (callerHungUp: boolean): ReferResult => ({
    referSipResponseCode,
    ...(last !== undefined ? { notifySipResponseCode: last } : {}),
    callerHungUp,
  });
  const op = new Operation<ReferResult>(ctx, signal, (why) => result(why === 'hangup' && ctx.endedBy === 'caller'));
  notifies.forEach((code, i) =>
    op.in((i + 1) * NOTIFY_INTERVAL_MS, () => {
      last = code;
      ctx.emit({ type: 'notify', sipResponseCode: code });
      if (i === notifies.length - 1) op.settle(result(false));
    }),
  );
  if (notifies.length === 0) op.settle(result(false));
  return op.promise;
}
