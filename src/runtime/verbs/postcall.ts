// DIDML <Postcall>: a URL that receives the call's details when it ends (DIDforSale verb list).
import { methodOf, CONTINUE, type Verb } from '../verb.js';

export const postcall: Verb = {
  names: ['Postcall'],
  async run(node, ctx) {
    if (node.text) ctx.addPostcall(ctx.resolve(node.text), methodOf(node));
    return CONTINUE;
  },
};
