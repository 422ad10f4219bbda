import { describe, expect, it } from 'vitest';
import { DidmlError } from '../../src/errors.js';
import { requestTarget } from '../../src/webhook/url.js';

const target = (raw: string) => {
  const t = requestTarget(raw);
  if (t instanceof DidmlError) throw t;
  return t;
};

describe('requestTarget: the URL requested and signed', () => {
  it('writes scheme and host as the Host header carries them, the rest as the user wrote it', () => {
    expect(target("HTTP://App.Example.COM:80/Voice?name=O'Brien&x=%2F").url).toBe("http://app.example.com/Voice?name=O'Brien&x=%2F");
    expect(target('https://h.example:8443/v').url).toBe('https://h.example:8443/v');
    expect(target('http://[::1]:3000/v').url).toBe('http://[::1]:3000/v');
  });

  it('requests / for an empty path', () => {
    expect(target('http://h.example').url).toBe('http://h.example/');
    expect(target('http://h.example?x=1').url).toBe('http://h.example/?x=1');
  });

  it('percent-encodes only what a request target cannot hold', () => {
    expect(target('http://h/menü here?q=a b|c').url).toBe('http://h/men%C3%BC%20here?q=a%20b%7Cc');
    expect(target('http://h/100%?a=%zz&b=%41').url).toBe('http://h/100%25?a=%25zz&b=%41');
  });

  it('moves credentials out of the URL into Basic auth', () => {
    expect(target('https://al%40ice:p%3Ass@h.example/v')).toEqual({
      url: 'https://h.example/v',
      authorization: `Basic ${Buffer.from('al@ice:p:ss').toString('base64')}`,
    });
  });

  it('leaves a file: URL as WHATWG writes it', () => {
    expect(target('file:///app/a/../menu').url).toBe('file:///app/menu');
  });

  it('refuses what is not an absolute URL', () => {
    const t = requestTarget('voice.xml');
    expect(t instanceof DidmlError && t.code).toBe('DIDML_WEBHOOK_URL');
  });
});
