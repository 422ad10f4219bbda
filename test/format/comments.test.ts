// fmt keeps every comment, in place among the elements: on its own line, or joined to the
// element it shares a line with; inside text it is kept with the text as written. The
// didml-disable directives silence the same problems after formatting.
import { describe, expect, it } from 'vitest';
import { formatDocument, lint } from '../../src/index.js';

const fmt = (source: string, dialect: 'twiml' | 'auto' = 'auto') => {
  const { output, reason } = formatDocument(lint(source, { dialect }).document);
  if (output === null) throw new Error(reason);
  // Its own format: formatting again changes nothing.
  expect(formatDocument(lint(output, { dialect }).document).output).toBe(output);
  return output;
};

describe('fmt and comments', () => {
  it('keeps comments before, inside and after the root, in order', () => {
    const source = '<?xml version="1.0"?>\n<!-- about this app -->\n<Response>\n<!-- greet -->\n<Say>Hi</Say>\n\n     <!-- then\n  hang up -->\n<Hangup/>\n</Response>\n<!-- end -->\n';
    expect(fmt(source)).toBe(
      ['<?xml version="1.0" encoding="UTF-8"?>', '<!-- about this app -->', '<Response>', '  <!-- greet -->', '  <Say>Hi</Say>', '  <!-- then\n  hang up -->', '  <Hangup/>', '</Response>', '<!-- end -->', ''].join('\n'),
    );
  });

  it('a comment that shares a line with an element stays on that line', () => {
    const source = '<Response><Say>Hi</Say><!-- after say -->\n<!-- before play --><Play>https://a.example/b.mp3</Play>\n<Dial><!-- in dial -->\n<Number>+14155550100</Number>\n</Dial></Response>';
    expect(fmt(source)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Response>',
        '  <Say>Hi</Say> <!-- after say -->',
        '  <!-- before play --><Play>https://a.example/b.mp3</Play>',
        '  <Dial> <!-- in dial -->',
        '    <Number>+14155550100</Number>',
        '  </Dial>',
        '</Response>',
        '',
      ].join('\n'),
    );
  });

  it('a comment inside text is kept with the text, as written', () => {
    expect(fmt('<Response><Say>Hello <!-- the name --> Ada</Say></Response>')).toContain('<Say>Hello <!-- the name --> Ada</Say>');
  });

  it('a comment with characters that need escaping elsewhere is kept as it is', () => {
    expect(fmt(`<Response>\n<!-- a & b <c> "d" --><Hangup/></Response>`)).toContain(`<!-- a & b <c> "d" --><Hangup/>`);
  });

  it('directives silence the same problems once formatted', () => {
    const source = [
      '<Response><Say></Say><!-- didml-disable-line say-empty -->',
      '<!-- didml-disable-next-line e164 -->',
      '<Dial><Number>4155550100</Number></Dial>',
      '<!-- didml-disable url --><Play>not a url at all</Play><!-- didml-enable url --></Response>',
    ].join('\n');
    const before = lint(source, { dialect: 'twiml', reportUnusedDirectives: 'warning' }).diagnostics;
    expect(before).toEqual([]);
    const output = fmt(source, 'twiml');
    expect(lint(output, { dialect: 'twiml', reportUnusedDirectives: 'warning' }).diagnostics).toEqual([]);
    expect(output.match(/<!--/g)).toHaveLength(4);
  });

  it('lint --fix keeps comments too', async () => {
    const { lintAndFix } = await import('../../src/validate/fix.js');
    const { output } = lintAndFix('<Response>\n<!-- keep me --><say>Hi</say><!-- and me -->\n</Response>', { dialect: 'twiml' });
    expect(output).toBe('<Response>\n<!-- keep me --><Say>Hi</Say><!-- and me -->\n</Response>');
  });
});
