// pbx:NAME / ext:NAME destinations: read the same way by the linter, the runtime and the backends.
import { describe, expect, it } from 'vitest';
import { lint, lintAndFix } from '../../src/index.js';
import { parsePbxTarget } from '../../src/sip/pbx.js';
import { resolveSipText } from '../../src/sip/target.js';

describe('pbx: and ext: targets', () => {
  it('parses the prefix (any case) and the name, and nothing that is a SIP URI', () => {
    expect(parsePbxTarget(' PBX:2002 ')).toEqual({ prefix: 'pbx', name: '2002' });
    expect(parsePbxTarget('ext:+15551234567')).toEqual({ prefix: 'ext', name: '+15551234567' });
    for (const text of ['sip:pbx:2002', 'pbx:', 'pbx:a b', 'pbx:101@host', 'pbx:101;transport=tcp', 'ext:1?X-A=1', 'pbx.example.com:5060', 'pbx:101:5060']) {
      expect(parsePbxTarget(text), text).toBeUndefined();
    }
  });

  it('stays pbx:NAME in a <Sip> (not host "pbx", port 2002)', () => {
    expect(resolveSipText('pbx:2002', { dialled: '+15550001111', bareHostMeansDialled: true })).toEqual({ uri: 'pbx:2002', headers: {}, dropped: [] });
  });

  it('draws a note in <Sip> and <Number>, no warning and no "add sip:" fix', () => {
    const doc = '<Response><Refer><Sip>pbx:2002</Sip></Refer><Dial><Number>ext:101</Number></Dial></Response>';
    const r = lint(doc);
    expect(r.diagnostics.map((d) => [d.rule, d.severity, d.column])).toEqual([
      ['sip-uri', 'info', 23],
      ['e164', 'info', 59],
    ]);
    expect(r.diagnostics[0]!.message).toContain('goes to "2002" through didml\'s PBX registration');
    expect(lintAndFix(doc).output).toBe(doc);
  });

  it('is no phone number in an attribute', () => {
    const r = lint('<Response><Dial callerId="pbx:2002"><Number>+14155550100</Number></Dial></Response>');
    expect(r.diagnostics.filter((d) => d.rule === 'e164' || d.rule === 'sip-uri').map((d) => d.severity)).not.toContain('info');
  });
});
