// <Play>: an audio file, or DTMF tones with `digits`. https://www.twilio.com/docs/voice/twiml/play
import { CONTINUE, str, type Verb } from '../verb.js';
import { playPrompt } from '../prompts.js';

export const play: Verb = {
  names: ['Play'],
  async run(node, ctx) {
    await ctx.answer();
    const digits = str(node, 'digits');
    if (digits) await ctx.leg.sendDigits(digits, ctx.signal);
    if (node.text) await ctx.leg.play(playPrompt(node, ctx.resolve), ctx.signal);
    return CONTINUE;
  },
};
