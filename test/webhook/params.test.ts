import { parse as legacyParse, stringify as legacyStringify } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import {
  appendQuery,
  encodeForm,
  parseConnectionOverrides,
  parseForm,
  wellFormedParams,
} from '../../src/webhook/params.js';

describe('form encoding', () => {
  const params = { SpeechResult: 'oui, très bien 👍', Form: 'a=b&c=d+e 100%', Empty: '', 'Digits[]': '#' };

  it('round-trips through a standard form decoder', () => {
    expect(parseForm(encodeForm(params))).toEqual(params);
    expect(Object.fromEntries(new URLSearchParams(encodeForm(params)))).toEqual(params);
  });

  it('spells the query the way legacy querystring re-encodes it (twilio-node falls back to that)', () => {
    const encoded = encodeForm(params);
    expect(legacyStringify(legacyParse(encoded))).toBe(encoded);
    expect(encoded).toContain('SpeechResult=oui%2C%20tr%C3%A8s%20bien%20%F0%9F%91%8D');
  });

  it('reads + as a space when parsing', () => {
    expect(parseForm('a=b+c&d=%2B')).toEqual({ a: 'b c', d: '+' });
  });

  it('replaces a lone surrogate, which has no UTF-8 form, before encoding', () => {
    const p = wellFormedParams({ a: 'x\uD83Dy', ok: '👍' });
    expect(p).toEqual({ a: 'x\uFFFDy', ok: '👍' });
    expect(() => encodeForm(p)).not.toThrow();
  });
});

describe('appendQuery', () => {
  it('starts a query, or appends to the one already there', () => {
    expect(appendQuery('http://h/v', { a: '1' })).toBe('http://h/v?a=1');
    expect(appendQuery('http://h/v?t=x', { a: '1', b: '2' })).toBe('http://h/v?t=x&a=1&b=2');
    expect(appendQuery('http://h/v?', { a: '1' })).toBe('http://h/v?a=1');
    expect(appendQuery('http://h/v?t=x&', { a: '1' })).toBe('http://h/v?t=x&a=1');
  });

  it('leaves the URL alone when there is nothing to add', () => {
    expect(appendQuery('http://h/v?t=x', {})).toBe('http://h/v?t=x');
  });
});

describe('parseConnectionOverrides', () => {
  it('strips the fragment and reads every override', () => {
    const r = parseConnectionOverrides('https://h/v?x=1#ct=1000&rt=2000&tt=9000&rc=3&rp=5xx,rt&e=ashburn&sni=y');
    expect(r.url).toBe('https://h/v?x=1');
    expect(r.overrides).toEqual({ connectTimeoutMs: 1000, readTimeoutMs: 2000, totalTimeoutMs: 9000, retries: 3, retryOn: ['5xx', 'rt'], edge: 'ashburn', sni: 'y' });
    expect(r.warnings).toEqual([]);
  });

  it('sets nothing when there is no fragment', () => {
    expect(parseConnectionOverrides('https://h/v')).toEqual({ url: 'https://h/v', overrides: {}, warnings: [] });
  });

  it('clamps out-of-range values to Twilio bounds, with a warning each', () => {
    const r = parseConnectionOverrides('https://h/v#ct=50&rt=20000&tt=99&rc=9');
    expect(r.overrides).toEqual({ connectTimeoutMs: 100, readTimeoutMs: 15000, totalTimeoutMs: 100, retries: 5 });
    expect(r.warnings).toHaveLength(4);
    expect(r.warnings[0]).toBe('ct=50 is outside 100–10000; 100 is used');
  });

  it('ignores malformed numbers, unknown keys and unknown retry policies, and says so', () => {
    const r = parseConnectionOverrides('https://h/v#ct=fast&rt=1.5&zz=1&rp=ct,oops');
    expect(r.overrides).toEqual({ retryOn: ['ct'] });
    expect(r.warnings).toEqual([
      'ct=fast is not a whole number; the default 5000 applies',
      'rt=1.5 is not a whole number; the default 15000 applies',
      'unknown connection override zz=1 ignored',
      'rp: unknown retry policy oops ignored (valid: 4xx, 5xx, ct, rt, all)',
    ]);
  });

  it('reads rp=all as every policy', () => {
    expect(parseConnectionOverrides('http://h/#rp=all').overrides.retryOn).toEqual(['4xx', '5xx', 'ct', 'rt']);
  });
});
