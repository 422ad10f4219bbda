// <Reject>: refuse the call without answering it (busy → 486, rejected → 404 under SIP;
// reference §1.1). Once a verb has answered, the call can only be hung up.
// https://www.twilio.com/docs/voice/twiml/reject
import { str, type Verb } from '../verb.js';

export const reject: Verb = {
  names: ['Reject'],
  async run(node, ctx) {
    const reason = str(node, 'reason', 'rejected') === 'busy' ? 'busy' : 'rejected';
    if (ctx.leg.answered) {
      ctx.emit({ type: 'warning', message: '<Reject> after the call was answered: hanging up instead (put <Reject> first)' });
      await ctx.leg.hangup('<Reject> after answer');
      return { kind: 'end', reason: '<Reject> after answer' };
    }
    await ctx.leg.reject(reason);
    // "The call ends with a status of busy or no-answer, depending on the verb's reason attribute"
    // (Reject doc).
    return { kind: 'end', reason: `<Reject reason="${reason}">`, status: reason === 'busy' ? 'busy' : 'no-answer' };
  },
};
