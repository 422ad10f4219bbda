// <Redirect>: go on with the document at this URL (relative to the current one). An empty
// <Redirect/> requests the current document again, as Twilio's own queue example relies on
// (an empty relative reference resolves to the base URL: RFC 3986 §5.2.2).
// https://www.twilio.com/docs/voice/twiml/redirect
import { methodOf, type Verb } from '../verb.js';

export const redirect: Verb = {
  names: ['Redirect'],
  async run(node, ctx) {
    return { kind: 'fetch', url: node.text ? ctx.resolve(node.text) : ctx.documentUrl, method: methodOf(node), params: {} };
  },
};
