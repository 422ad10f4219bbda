// Media streams are WebSockets: <Stream url> must be ws:// or wss:// (wss:// in production).
import { isTemplated, type Rule } from './rule.js';
import { valuesOfFormat } from './values.js';

export const streamUrl: Rule = {
  id: 'stream-url',
  severity: 'error',
  description: 'A <Stream> URL must be an absolute ws:// or wss:// URL.',
  check(ctx) {
    for (const v of valuesOfFormat(ctx, ['ws-url'])) {
      if (isTemplated(v.value)) continue;
      let protocol = '';
      try {
        protocol = new URL(v.value).protocol;
      } catch {
        ctx.report({ message: `<${v.node.tag} url="${v.value}">: a stream URL must be absolute, e.g. wss://example.com/stream`, span: v.span });
        continue;
      }
      if (protocol === 'wss:') continue;
      if (protocol === 'ws:') {
        ctx.report({ severity: 'info', message: `<${v.node.tag}> streams unencrypted audio over ws://; use wss:// outside a test lab`, span: v.span });
        continue;
      }
      const suggested = v.value.replace(/^https?:/i, (m) => (m.toLowerCase() === 'https:' ? 'wss:' : 'ws:'));
      ctx.report({
        message: `<${v.node.tag} url="${v.value}">: a stream URL must use ws:// or wss://, not ${protocol}//`,
        span: v.span,
        ...(suggested !== v.value ? { suggestions: [{ description: `use ${suggested}`, edits: [{ ...v.span, text: suggested }] }] } : {}),
      });
    }
  },
};
