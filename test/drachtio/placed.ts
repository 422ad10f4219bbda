// A call the runtime places, for a session (SessionOptions.outbound) on a drachtio adapter: its
// originate is the adapter's, as the Calls API's is; `result` is what originate resolved with.
import type { OutboundCall } from '../../src/runtime/session.js';
import { targetAddress, type DialTarget, type OriginateResult, type TelephonyAdapter } from '../../src/telephony/adapter.js';

export function placedCall(adapter: TelephonyAdapter, target: DialTarget, o: { from?: string; timeout?: number } = {}): { outbound: OutboundCall; result: Promise<OriginateResult> } {
  const from = o.from ?? '+14155550100';
  let give!: (r: Promise<OriginateResult>) => void;
  const result = new Promise<OriginateResult>((resolve) => (give = resolve));
  result.catch(() => undefined); // the session sees a refusal too; a test need not
  const outbound: OutboundCall = {
    from,
    to: targetAddress(target),
    originate: (more) => {
      const r = adapter.originate({ target, from, timeout: o.timeout ?? 30, ...more });
      give(r);
      return r;
    },
  };
  return { outbound, result };
}
