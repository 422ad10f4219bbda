// <Number>pbx:101</Number>, <Sip>ext:sales</Sip>: no phone number and no SIP URI, but a
// destination through didml's PBX registration (src/sip/pbx.ts). Said once, as information:
// it is right for didml's drachtio backend and means nothing to Twilio or another platform.
import type { PbxTarget } from '../../sip/pbx.js';
import type { RuleContext } from './rule.js';
import type { FormattedValue } from './values.js';

export function reportPbxTarget(ctx: RuleContext, v: FormattedValue, t: PbxTarget): void {
  ctx.report({
    severity: 'info',
    message: `<${v.node.tag}>${v.value}</${v.node.tag}> goes to "${t.name}" through didml's PBX registration (a drachtio trunk with "register": true); Twilio and other platforms do not dial ${t.prefix}: destinations`,
    span: v.span,
  });
}
