// Phone numbers in E.164 (+14155551212). Twilio asks for E.164 and also accepts unformatted US
// numbers, so anything else is a warning; `phone-digits` (DIDML's documented 19495551212) also
// accepts bare digits.
import { isE164, nanpToE164 } from '../../sip/e164.js';
import { parsePbxTarget } from '../../sip/pbx.js';
import { isTemplated, type Rule } from './rule.js';
import { reportPbxTarget } from './pbx-target.js';
import { valuesOfFormat } from './values.js';

const LOOKS_LIKE_NUMBER = /^[\d\s().+-]+$/;

export const e164: Rule = {
  id: 'e164',
  severity: 'warning',
  description: 'Phone numbers should be in E.164 form: + then the country code and number, no spaces.',
  check(ctx) {
    for (const v of valuesOfFormat(ctx, ['phone', 'phone-digits', 'phone-or-client'])) {
      if (isE164(v.value) || isTemplated(v.value)) continue;
      const pbx = v.attrName ? undefined : parsePbxTarget(v.value);
      if (pbx) {
        reportPbxTarget(ctx, v, pbx);
        continue;
      }
      if (v.format === 'phone-digits' && /^\+?\d{3,15}$/.test(v.value)) continue;
      if (v.format === 'phone-or-client' && !LOOKS_LIKE_NUMBER.test(v.value)) continue;
      const where = v.attrName ? `<${v.node.tag} ${v.attr?.name}>` : `<${v.node.tag}>`;
      const guess = nanpToE164(v.value);
      ctx.report({
        message: `${where} "${v.value}" is not an E.164 number; write it as +<country code><number>${guess ? `, e.g. ${guess}` : ''}`,
        span: v.span,
        ...(guess ? { suggestions: [{ description: `write ${guess}`, edits: [{ ...v.span, text: guess }] }] } : {}),
      });
    }
  },
};
