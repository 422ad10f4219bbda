// URLs the platform will request: absolute http(s) or relative to the document's own URL
// (Twilio resolves action, Redirect and friends against the document that held them). A dialect
// may allow more schemes for a value (`x-schemes`; SignalWire's <Play> takes rtmp: streams).
// An empty value is a valid relative reference to the document itself (RFC 3986 section 5.2):
// Twilio's own examples use <Redirect></Redirect> and waitUrl="" (silence); what an empty
// action means is the action-loop rule's business, not this one's.
import { orList } from '../diagnostic.js';
import { isTemplated, type Rule } from './rule.js';
import { valuesOfFormat } from './values.js';

const BASE = 'https://document.invalid/app/voice';
const HTTP = ['http', 'https'] as const;

export function urlProblem(value: string, schemes: readonly string[] = HTTP): string | null {
  if (!value) return null;
  if (/\s/.test(value)) return 'contains white space; encode it as %20';
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return 'is not a valid URL';
  }
  const scheme = url.protocol.slice(0, -1);
  if (!schemes.includes(scheme)) return `uses ${scheme}:, not ${orList(schemes.map((s) => `${s}:`))}`;
  return null;
}

export const url: Rule = {
  id: 'url',
  severity: 'error',
  description: 'URLs must be absolute http(s) URLs or relative to the document.',
  check(ctx) {
    for (const v of valuesOfFormat(ctx, ['url'])) {
      if (isTemplated(v.value)) continue;
      const problem = urlProblem(v.value, v.schemes);
      if (!problem) continue;
      const where = v.attrName ? `<${v.node.tag} ${v.attr?.name}>` : `<${v.node.tag}>`;
      const fixable = /\s/.test(v.value) && !/^\s|\s$/.test(v.value);
      ctx.report({
        message: `${where} URL "${v.value}" ${problem}`,
        span: v.span,
        ...(fixable && v.span.end - v.span.start === v.value.length
          ? { fix: { description: 'encode spaces as %20', edits: [{ ...v.span, text: v.value.replace(/ /g, '%20') }] } }
          : {}),
      });
    }
  },
};
