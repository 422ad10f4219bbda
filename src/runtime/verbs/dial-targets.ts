// The nouns of a <Dial> as targets for the backend: <Number>, <Sip> (its URI's X- headers go on
// the INVITE, username/password answer a digest challenge; DIDML's bare host means the dialled
// number at that host), <Client>, or a bare number as the Dial's own text.
import type { Projected } from '../../grammar/index.js';
import type { DialTarget } from '../../telephony/adapter.js';
import { resolveSipText } from '../../sip/target.js';
import { isSipUriError, parseSipUri } from '../../sip/uri.js';
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
    const bare = withoutPassword(sip.uri);
    if (bare.auth) {
      ctx.emit({ type: 'warning', message: '<Sip>: a password in the URI is not sent on the INVITE; it answers a digest challenge (better: the username and password attributes)' });
    }
    const username = str(noun, 'username');
    const auth = username ? { username, password: str(noun, 'password') } : bare.auth;
    return {
      kind: 'sip',
      uri: bare.uri,
      headers: sip.headers,
      ...(auth ? { auth } : {}),
      ...(sip.transport ? { transport: sip.transport } : {}),
    };
  },
  Client(noun) {
    const identity = noun.children.find((c) => c.name === 'Identity')?.text ?? noun.text;
    return { kind: 'client', identity };
  },
};

/**
 * `sip:user:password@host` without its password, which would otherwise go out in the clear on the
 * Request-URI and into every transcript ("NOT RECOMMENDED", RFC 3261 §19.1.1); the user and
 * password become digest credentials instead.
 */
function withoutPassword(uri: string): { uri: string; auth?: { username: string; password: string } } {
  const parsed = parseSipUri(uri);
  if (isSipUriError(parsed) || parsed.password === undefined || parsed.user === undefined) return { uri };
  const start = parsed.scheme.length + 1;
  const at = uri.indexOf('@', start);
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { uri: uri.slice(0, start) + parsed.user + uri.slice(at), auth: { username: decode(parsed.user), password: decode(parsed.password) } };
}

export function isProblem(x: DialTarget | TargetProblem): x is TargetProblem {
  return 'error' in x;
}

/** The Dial's targets, and beside each the noun it came from (none for a bare number as the Dial's text). */
export function dialTargets(node: Projected, ctx: VerbContext): { targets: DialTarget[]; nouns: (Projected | undefined)[]; problems: TargetProblem[] } {
  const targets: DialTarget[] = [];
  const nouns: (Projected | undefined)[] = [];
  const problems: TargetProblem[] = [];
  const add = (t: DialTarget | TargetProblem, noun: Projected | undefined) => {
    if (isProblem(t)) return void problems.push(t);
    targets.push(t);
    nouns.push(noun);
  };
  if (node.text) add({ kind: 'number', number: node.text }, undefined);
  for (const child of node.children) {
    const make = MAKERS[child.name];
    if (make) add(make(child, ctx), child);
  }
  return { targets, nouns, problems };
}
