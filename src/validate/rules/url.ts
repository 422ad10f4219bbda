// URLs the platform will request: absolute http(s) or relative to the document's own URL
// (Twilio resolves action, Redirect and friends against the document that held them).
import { isTemplated, type Rule } from './rule.js';
import { valuesOfFormat } from './values.js';

const BASE = 'https://document.invalid/app/voice';

export function urlProblem(value: string): string | null {
  if (!value) return 'is empty';
  if (/\s/.test(value)) return 'contains white space; encode it as %20';
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `uses ${url.protocol.slice(0, -1)}:, not http: or https:`;
  return null;
}

export const url: Rule = {
  id: 'url',
  severity: 'error',
  description: 'URLs must be absolute http(s) URLs or relative to the document.',
  check(ctx) {
    for (const v of valuesOfFormat(ctx, ['url'])) {
      if (isTemplated(v.value)) continue;
      const problem = urlProblem(v.value);
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
