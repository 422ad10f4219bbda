// SIP URIs in <Sip>: RFC 3261 syntax, and the headers Twilio passes through a URI.
// Twilio <Sip> doc: "Any headers starting with the x- prefix can be sent this way", plus
// User-to-User, Remote-Party-ID, P-Preferred-Identity and P-Called-Party-ID; a bad name draws
// warning 13252. "the SIP URI itself must be under 255 chars, the headers must be under 1024".
// <Refer><Sip> carries headers onto the REFER the same way, so the same names pass there
// (Twilio 32113: only X- extension headers are stamped); 13252 is <Dial>'s code, not Refer's.
import { otherScheme } from '../../sip/uri.js';
import { isSipUriError, parseSipUri, SIP_TOKEN } from '../../sip/uri.js';
import { parsePbxTarget } from '../../sip/pbx.js';
import { isTemplated, type Rule, type RuleContext } from './rule.js';
import { reportPbxTarget } from './pbx-target.js';
import { valuesOfFormat, type FormattedValue } from './values.js';

const PASSED_WITHOUT_X = new Set(['user-to-user', 'remote-party-id', 'p-preferred-identity', 'p-called-party-id']);
const TRANSPORTS = new Set(['udp', 'tcp', 'tls']);
const FORMATS = ['sip-uri', 'refer-sip-uri', 'sip-uri-or-host'];


function reportOtherScheme(ctx: RuleContext, v: FormattedValue, scheme: string): void {
  const instead = scheme === 'tel' ? `; to dial a phone number use <Number>${v.value.slice(4)}</Number>` : scheme === 'client' ? '; to dial a client use <Client>' : '';
  ctx.report({
    message: `<${v.node.tag}> "${v.value}" is a ${scheme}: URI, not a SIP URI; write sip:user@host (or sips:)${instead}`,
    span: v.span,
  });
}

export const sipUri: Rule = {
  id: 'sip-uri',
  severity: 'error',
  description: 'SIP URIs must be valid (RFC 3261) sip: or sips: URIs; only X- headers (and a few named ones) pass through a <Sip> URI.',
  check(ctx) {
    for (const v of valuesOfFormat(ctx, FORMATS)) {
      if (isTemplated(v.value)) continue;
      const pbx = v.attrName ? undefined : parsePbxTarget(v.value);
      if (pbx) {
        reportPbxTarget(ctx, v, pbx);
        continue;
      }
      const scheme = otherScheme(v.value);
      if (scheme) {
        reportOtherScheme(ctx, v, scheme);
        continue;
      }
      const parsed = parseSipUri(v.value);
      if (isSipUriError(parsed)) {
        ctx.report({ message: `<${v.node.tag}>${v.value ? ` "${v.value}"` : ''}: ${parsed.error}`, span: v.span });
        continue;
      }
      if (parsed.schemeMissing) {
        if (v.format === 'sip-uri-or-host' && parsed.user === undefined) {
          ctx.report({
            severity: 'info',
            message: `<${v.node.tag}>${v.value}</${v.node.tag}> dials the called number at ${parsed.host} (sip:<To>@${parsed.host})`,
            span: v.span,
          });
        } else {
          ctx.report({
            severity: 'warning',
            message: `<${v.node.tag}> "${v.value}" has no sip: scheme; write sip:${v.value}`,
            span: v.span,
            fix: { description: 'add sip:', edits: [{ start: v.span.start, end: v.span.start, text: 'sip:' }] },
          });
        }
      } else if (parsed.user === undefined && v.format !== 'sip-uri-or-host') {
        ctx.report({ severity: 'warning', message: `<${v.node.tag}> "${v.value}" has no user part (sip:user@${parsed.host})`, span: v.span });
      }
      if (parsed.uri.length >= 255) {
        ctx.report({ message: `<${v.node.tag}>: the SIP URI must be under 255 characters (it has ${parsed.uri.length})`, span: v.span });
      }
      const q = v.value.indexOf('?');
      if (q >= 0 && v.value.length - q - 1 >= 1024) {
        ctx.report({ message: `<${v.node.tag}>: the URI's headers must be under 1024 characters`, span: v.span });
      }
      const transport = parsed.params['transport'];
      if (transport !== undefined && !TRANSPORTS.has(transport.toLowerCase())) {
        ctx.report({ severity: 'warning', message: `<${v.node.tag}>: transport=${transport} is not udp, tcp or tls`, span: v.span });
      }
      const refer = v.format === 'refer-sip-uri';
      const code = refer ? {} : { code: 13252 };
      for (const h of parsed.headers) {
        if (!SIP_TOKEN.test(h.name)) {
          ctx.report({ severity: 'warning', ...code, message: `<${v.node.tag}>: "${h.name}" is not a valid SIP header name`, span: v.span });
        } else if (!/^x-/i.test(h.name) && !PASSED_WITHOUT_X.has(h.name.toLowerCase())) {
          ctx.report({
            severity: 'warning',
            ...code,
            message: refer
              ? `<${v.node.tag}>: header ${h.name} is not passed onto the REFER (only X- headers, User-to-User, Remote-Party-ID, P-Preferred-Identity and P-Called-Party-ID are); name custom headers X-${h.name}`
              : `<${v.node.tag}>: header ${h.name} is not passed through a SIP URI; name custom headers X-${h.name}`,
            span: v.span,
          });
        }
      }
    }
  },
};
