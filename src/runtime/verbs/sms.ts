// <Sms> during a call (legacy TwiML): recorded as an event; with an action, the action gets
// SmsSid and SmsStatus (SignalWire sms.mdx). didml sends no SMS itself.
import { actionOutcome, CONTINUE, str, type Verb } from '../verb.js';

export const sms: Verb = {
  names: ['Sms'],
  async run(node, ctx) {
    const sid = ctx.newSid('SM');
    ctx.emit({ type: 'sms', sid, to: str(node, 'to', ctx.call.from), from: str(node, 'from', ctx.call.to), body: node.text });
    const outcome = actionOutcome(node, ctx, { SmsSid: sid, SmsStatus: 'sent' }, false);
    return outcome.kind === 'fetch' ? outcome : CONTINUE;
  },
};
