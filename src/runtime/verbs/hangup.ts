// <Hangup>: end the call. https://www.twilio.com/docs/voice/twiml/hangup
import type { Verb } from '../verb.js';

export const hangup: Verb = {
  names: ['Hangup'],
  async run(_node, ctx) {
    await ctx.leg.hangup('<Hangup>');
    return { kind: 'end', reason: '<Hangup>' };
  },
};
