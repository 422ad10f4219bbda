// <Redirect>: go on with the document at this URL (relative to the current one).
// https://www.twilio.com/docs/voice/twiml/redirect
import { methodOf, type Verb } from '../verb.js';

export const redirect: Verb = {
  names: ['Redirect'],
  async run(node, ctx) {
    if (!node.text) return { kind: 'end', reason: '<Redirect> has no URL' };
    return { kind: 'fetch', url: ctx.resolve(node.text), method: methodOf(node), params: {} };
  },
};
