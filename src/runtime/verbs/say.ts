// <Say>: text to speech. https://www.twilio.com/docs/voice/twiml/say
import { CONTINUE, type Verb } from '../verb.js';
import { sayPrompt } from '../prompts.js';

export const say: Verb = {
  names: ['Say'],
  async run(node, ctx) {
    await ctx.answer();
    await ctx.leg.say(sayPrompt(node), ctx.signal);
    return CONTINUE;
  },
};
