import { describe, expect, it } from 'vitest';
import { isSipUriError, parseSipUri, type SipUri } from '../../src/sip/uri.js';
import { isE164, nanpToE164 } from '../../src/sip/e164.js';

const ok = (s: string): SipUri => {
  const r = parseSipUri(s);
  if (isSipUriError(r)) throw new Error(`${s}: ${r.error}`);
  return r;
};

describe('parseSipUri', () => {
  it('reads the Synthflow seed URI with its X-EI header', () => {
    const u = ok('sip:+14155550142@sipin.synthflow.ai:32681?X-EI=CA123');
    expect(u).toMatchObject({ scheme: 'sip', user: '+14155550142', host: 'sipin.synthflow.ai', port: 32681 });
    expect(u.headers).toEqual([{ name: 'X-EI', value: 'CA123' }]);
    expect(u.uri).toBe('sip:+14155550142@sipin.synthflow.ai:32681');
  });

  it('decodes %-escaped header values and keeps every header in order', () => {
    const u = ok('sip:jack@example.com?x-customname=Madhu%2CMathiyalagan%3BTitle%3DManager&x-other=bar');
    expect(u.headers).toEqual([
      { name: 'x-customname', value: 'Madhu,Mathiyalagan;Title=Manager' },
      { name: 'x-other', value: 'bar' },
    ]);
  });

  it('reads URI parameters such as transport, lower-casing their names', () => {
    const u = ok('  sips:alice:pw@[2001:db8::1]:5061;Transport=TLS;lr  ');
    expect(u).toMatchObject({ scheme: 'sips', user: 'alice', password: 'pw', host: '[2001:db8::1]', port: 5061 });
    expect(u.params).toEqual({ transport: 'TLS', lr: '' });
  });

  it("accepts Twilio's scheme-less form and says so", () => {
    expect(ok('kate@example.com')).toMatchObject({ schemeMissing: true, user: 'kate', host: 'example.com' });
  });

  it('reads a bare host (DIDML: the called number at that host)', () => {
    const u = ok('sip.example.com');
    expect(u).toMatchObject({ schemeMissing: true, host: 'sip.example.com' });
    expect(u.user).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['sip:bob@pbx.example.com:99999', 'port'],
    ['sip:bob@exa mple.com', 'not a valid host'],
    ['tel:+14155550100', 'not a SIP scheme'],
    ['sip:@example.com', 'user part'],
    ['sip:bob@example.com;bad param', 'not a valid URI parameter'],
  ])('refuses %j (%s)', (input, words) => {
    const r = parseSipUri(input);
    expect(isSipUriError(r) && r.error).toContain(words);
  });
});

describe('E.164', () => {
  it.each(['+14155550100', '+442071838750', '+861012345678'])('%s is E.164', (n) => expect(isE164(n)).toBe(true));
  it.each(['14155550100', '+04155550100', '+1415555010012345', '(415) 555-0100'])('%s is not', (n) => expect(isE164(n)).toBe(false));
  it('suggests the E.164 form of loosely written NANP numbers only', () => {
    expect(nanpToE164('(415) 555-0100')).toBe('+14155550100');
    expect(nanpToE164('1-415-555-0100')).toBe('+14155550100');
    expect(nanpToE164('020 7183 8750')).toBeUndefined();
  });
});
