// X-Twilio-Signature: the reference's test vectors (twilio-node spec/validation.spec.js), and the
// real `twilio` package as the judge of what didml signs.
import { createHash } from 'node:crypto';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { signRequest, signingPayload, validateSignature } from '../../src/webhook/signature.js';
import { appendQuery } from '../../src/webhook/params.js';

const TOKEN = '12345';
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };

describe('signRequest: the reference vectors', () => {
  it('signs the form POST vector', () => {
    expect(signRequest(TOKEN, URL_, PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('signs a URL with its port as given', () => {
    expect(signRequest(TOKEN, 'http://mycompany.com:1234/myapp.php?foo=1&bar=2', PARAMS)).toBe('Zmvh+3yNM1Phv2jhDCwEM3q5ebU=');
  });

  it('signs the bodySHA256 vector: the URL alone, no parameters', () => {
    const hash = createHash('sha256').update('{"property": "value", "boolean": true}').digest('hex');
    expect(hash).toBe('0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620');
    expect(signRequest(TOKEN, `${URL_}&bodySHA256=${hash}`, {})).toBe('a9nBmqA0ju/hNViExpshrM61xv4=');
  });

  it('builds the payload as URL then key+value in code-unit order, without = or &', () => {
    expect(signingPayload('https://x/?a=1', { b: '2', B: '3', a: 'x&y=z' })).toBe('https://x/?a=1B3ax&y=zb2');
    // A repeated key: values de-duplicated and sorted, key+value each.
    expect(signingPayload('u', { k: ['b', 'a', 'b'] })).toBe('ukakb');
  });
});

describe('validateSignature', () => {
  const sig = signRequest(TOKEN, URL_, PARAMS);

  it('accepts the signed request and refuses any change to it', () => {
    expect(validateSignature(TOKEN, sig, URL_, PARAMS)).toBe(true);
    expect(validateSignature(TOKEN, sig, URL_, { ...PARAMS, Digits: '1235' })).toBe(false);
    expect(validateSignature(TOKEN, sig, URL_.replace('foo=1', 'foo=2'), PARAMS)).toBe(false);
    expect(validateSignature('54321', sig, URL_, PARAMS)).toBe(false);
    expect(validateSignature(TOKEN, '', URL_, PARAMS)).toBe(false);
  });

  it('accepts a URL spelled with or without its default or explicit port, as twilio-node does', () => {
    expect(validateSignature(TOKEN, sig, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', PARAMS)).toBe(true);
    expect(validateSignature(TOKEN, sig, 'https://mycompany.com:1234/myapp.php?foo=1&bar=2', PARAMS)).toBe(true);
    const withPort = signRequest(TOKEN, 'http://mycompany.com:80/a', {});
    expect(validateSignature(TOKEN, withPort, 'http://mycompany.com/a', {})).toBe(true);
    expect(validateSignature(TOKEN, withPort, 'http://mycompany.com:8080/a', {})).toBe(false);
  });

  it('finds the port after an IPv6 literal, and keeps user info', () => {
    const s = signRequest(TOKEN, 'http://[::1]/voice', {});
    expect(validateSignature(TOKEN, s, 'http://[::1]:80/voice', {})).toBe(true);
    const u = signRequest(TOKEN, 'https://u:p@h.example/v', {});
    expect(validateSignature(TOKEN, u, 'https://u:p@h.example:443/v', {})).toBe(true);
  });

  it('agrees with twilio.validateRequest on the same inputs', () => {
    for (const url of ['https://mycompany.com:443/myapp.php?foo=1&bar=2', 'http://mycompany.com:1234/x', URL_]) {
      expect(validateSignature(TOKEN, sig, url, PARAMS)).toBe(twilio.validateRequest(TOKEN, sig, url, PARAMS));
    }
  });
});

// Parameters that trip up signers: unicode outside the BMP (sorted by UTF-16 code unit, so a
// surrogate pair sorts before U+FF21), keys that look like repeats or arrays, and values full of
// form syntax.
const TRICKY: Record<string, string> = {
  SpeechResult: 'Ça va? Oui — très bien 👍 ＡＢＣ',
  'SipHeader_X-A': '1',
  'SipHeader_X-A-B': '2',
  Digits: '1#',
  'Digits[]': '2',
  'Digits.0': '3',
  digits: 'lower',
  '👍': 'emoji key',
  'Ａ': 'fullwidth key',
  Empty: '',
  Form: 'a=b&c=d+e %20 100%',
  Quote: `it's "quoted" <x>`,
};

describe('twilio.validateRequest accepts what didml signs', () => {
  it('for POST: the URL, then the form parameters', () => {
    const url = 'https://app.example.com/voice?tenant=ü&x=1';
    expect(twilio.validateRequest('tok', signRequest('tok', url, TRICKY), url, TRICKY)).toBe(true);
    expect(signRequest('tok', url, TRICKY)).toBe(twilio.getExpectedTwilioSignature('tok', url, TRICKY));
  });

  it('for GET: every parameter in the query, an empty map', () => {
    const url = appendQuery('https://app.example.com/voice?tenant=1', TRICKY);
    expect(twilio.validateRequest('tok', signRequest('tok', url, {}), url, {})).toBe(true);
  });

  it('with repeated keys, as twilio-node orders them', () => {
    const params = { Digits: ['2', '1', '2'], To: '+1' };
    expect(signRequest('tok', 'https://h/x', params)).toBe(twilio.getExpectedTwilioSignature('tok', 'https://h/x', params as unknown as Record<string, string>));
  });

  it('and rejects it once a single parameter changes', () => {
    const url = 'https://app.example.com/voice';
    const sig = signRequest('tok', url, TRICKY);
    expect(twilio.validateRequest('tok', sig, url, { ...TRICKY, Digits: '1' })).toBe(false);
  });
});
