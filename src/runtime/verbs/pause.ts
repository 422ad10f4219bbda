// <Pause>: silence. As the first verb it delays answering ("Twilio will wait the specified number
// of seconds before picking up the call"), so it does not answer. https://www.twilio.com/docs/voice/twiml/pause
import { CONTINUE, num, type Verb } from '../verb.js';

export const pause: Verb = {
  names: ['Pause'],
  async run(node, ctx) {
    await ctx.leg.pause(num(node, 'length', 1), ctx.signal);
    return CONTINUE;
  },
};
