// Verbs the grammar knows and this runtime does not run. Each says so in the call's log and
// transcript, and ends the call or goes on, as a caller would least be misled.
import type { Verb } from '../verb.js';

function ends(name: string, why: string): Verb {
  return {
    names: [name],
    run(_node, ctx) {
      const reason = `<${name}> is not supported: ${why}`;
      ctx.emit({ type: 'warning', message: `${reason}; the call ends here` });
      return Promise.resolve({ kind: 'end', reason });
    },
  };
}

export const unsupported: Verb[] = [
  ends('Pay', 'it needs a payment connector, which didml does not have'),
  ends('Fax', 'didml does not receive faxes'),
  ends('Echo', 'the backends have no echo test'),
];
