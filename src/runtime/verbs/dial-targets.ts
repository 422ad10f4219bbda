// The nouns of a <Dial> as targets for the backend: <Number>, <Sip> (its URI's X- headers go on
// the INVITE, username/password answer a digest challenge; DIDML's bare host means the dialled
// number at that host), <Client>, or a bare number as the Dial's own text.
import type { Projected } from '../../grammar/index.js';
import type { DialTarget } from '../../telephony/adapter.js';
import { resolveSipText } from '../../sip/target.js';
import { str } from '../verb.js';
import type { VerbContext } from '../verb.js';

export interface TargetProblem {
  noun: string;
  text: string;
  error: string;
}

type Make = (noun: Projected, ctx: VerbContext) => DialTarget | TargetProblem;

const MAKERS: Record<string, Make> = {
  Number(noun) {
    const sendDigits = str(noun, 'sendDigits');
    return { kind: 'number', number: noun.text, ...(sendDigits ? { sendDigits } : {}) };
  },
  Sip(noun, ctx) {
    const sip = resolveSipText(noun.text, { dialled: ctx.call.to, bareHostMeansDialled: ctx.dialect === 'didml' });
    if (sip.error) return { noun: 'Sip', text: noun.text, error: sip.error };
    if (sip.dropped.length) {
      ctx.emit({ type: 'warning', code: 13252, message: `<Sip>: headers ${sip.dropped.join(', ')} are not passed on; name custom headers X-…` });
    }
    const username = str(noun, 'username');
    return {
      kind: 'sip',
      uri: sip.uri,
      headers: sip.headers,
      ...(username ? { auth: { username, password: str(noun, 'password') } } : {}),
      ...(sip.transport ? { transport: sip.transport } : {}),
    };
  },
  Client(noun) {
    const identity = noun.children.find((c) => c.name === 'Identity')?.text ?? noun.text;
    return { kind: 'client', identity };
  },
};

export function isProblem(x: DialTarget | TargetProblem): x is TargetProblem {
  return 'error' in x;
}

export function dialTargets(node: Projected, ctx: VerbContext): { targets: DialTarget[]; problems: TargetProblem[] } {
  const targets: DialTarget[] = [];
  const problems: TargetProblem[] = [];
  const add = (t: DialTarget | TargetProblem) => (isProblem(t) ? problems.push(t) : targets.push(t));
  if (node.text) add({ kind: 'number', number: node.text });
  for (const child of node.children) {
    const make = MAKERS[child.name];
    if (make) add(make(child, ctx));
  }
  return { targets, problems };
}
