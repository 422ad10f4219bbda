// Vida's outbound route strings: every example of the seed, the defaults, and what is refused.
import { describe, expect, it } from 'vitest';
import { parseRoute, routeUri, RouteError } from '../../src/sip/route.js';
import { resolveSipText } from '../../src/sip/target.js';

describe('outbound route strings (Vida seed)', () => {
  it.each([
    ['sip.example.com', { host: 'sip.example.com', port: 5060, transport: 'udp' }],
    ['sip.example.com:6000;transport=tcp', { host: 'sip.example.com', port: 6000, transport: 'tcp' }],
    ['sip.example.com;proxyAddress=proxy.example.com', { host: 'sip.example.com', port: 5060, transport: 'udp', proxy: { host: 'proxy.example.com', port: 5060 } }],
    [
      'sip.example.com;transport=tcp;proxyAddress=proxy.example.com:6000',
      { host: 'sip.example.com', port: 5060, transport: 'tcp', proxy: { host: 'proxy.example.com', port: 6000 } },
    ],
    ['pbx.example.com;transport=tls', { host: 'pbx.example.com', port: 5061, transport: 'tls' }],
    ['10.0.0.5:5080', { host: '10.0.0.5', port: 5080, transport: 'udp' }],
  ])('%s', (text, expected) => {
    expect(parseRoute(text)).toEqual(expected);
  });

  it.each([
    ['sip.example.com;transport=sctp', /transport "sctp" must be udp, tcp or tls/],
    ['sip.example.com:99999', /port "99999" must be 1 to 65535/],
    ['sip.example.com;foo=bar', /unknown route parameter "foo"/],
    ['', /is not host\[:port\]/],
  ])('refuses %j', (text, message) => {
    expect(() => parseRoute(text)).toThrow(RouteError);
    expect(() => parseRoute(text)).toThrow(message);
  });

  it('builds the Request-URI for a user at a route', () => {
    expect(routeUri('+14155550100', parseRoute('sip.example.com:6000;transport=tcp'))).toBe('sip:+14155550100@sip.example.com:6000;transport=tcp');
    expect(routeUri('alice', parseRoute('pbx.example.com;transport=tls'))).toBe('sips:alice@pbx.example.com:5061;transport=tls');
  });
});

describe('<Sip> text as a dial target', () => {
  it('puts X- headers on the INVITE and keeps them out of the Request-URI (Synthflow seed)', () => {
    const r = resolveSipText(' sip:+14155550100@sip.synthflow.ai:5060?X-EI=CA123&x-other=a%20b ', { dialled: '+1', bareHostMeansDialled: false });
    expect(r).toEqual({ uri: 'sip:+14155550100@sip.synthflow.ai:5060', headers: { 'X-EI': 'CA123', 'x-other': 'a b' }, dropped: [] });
  });

  it('drops headers Twilio does not pass, and names them', () => {
    const r = resolveSipText('sip:a@b.com?Subject=hi&User-to-User=abc', { dialled: '+1', bareHostMeansDialled: false });
    expect(r.headers).toEqual({ 'User-to-User': 'abc' });
    expect(r.dropped).toEqual(['Subject']);
  });

  it('a bare host in DIDML dials the called number at that host (DIDforSale seed)', () => {
    expect(resolveSipText('sip.example.com', { dialled: '+19495551212', bareHostMeansDialled: true }).uri).toBe('sip:+19495551212@sip.example.com');
    expect(resolveSipText('sip:conference@sip.example.com', { dialled: '+19495551212', bareHostMeansDialled: true }).uri).toBe('sip:conference@sip.example.com');
  });

  it('reads the transport parameter', () => {
    expect(resolveSipText('sip:a@b.com;transport=TLS', { dialled: '', bareHostMeansDialled: false }).transport).toBe('tls');
  });

  it('reports a URI it cannot use', () => {
    expect(resolveSipText('sip:a@', { dialled: '', bareHostMeansDialled: false }).error).toMatch(/no host/);
  });
});
