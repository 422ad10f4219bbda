// The `drachtio` section of didml serve's configuration: the schema, and the checks beside it.
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import { accessList } from '../../src/sip/acl.js';

const base = { app: { url: 'https://app.example/voice' }, adapter: 'drachtio' };

describe('drachtio configuration', () => {
  it('fills defaults for a seed setup (SigmaMind trunk over TLS)', () => {
    const c = checkConfig({
      ...base,
      drachtio: {
        inbound: { secret: 's3cret' },
        trunks: [{ name: 'sigmamind', domain: 'your-domain.pstn.twilio.com', username: 'u', password: 'p', proxy: 'sip.twilio.com', transport: 'tls', register: true }],
        numbers: { trunk: 'sigmamind' },
      },
    });
    expect(c.drachtio).toMatchObject({ inbound: { host: '127.0.0.1', port: 9022, secret: 's3cret' }, requireE164From: false, rejectCode: 404 });
    expect(c.drachtio!.trunks![0]).toMatchObject({ transport: 'tls', register: true, expires: 3600 });
  });

  it('requires the section with adapter drachtio', () => {
    expect(() => checkConfig(base)).toThrow(/must have required property 'drachtio'/);
  });

  it.each([
    [{ outbound: { port: 3001, secret: 'x' }, inbound: { secret: 'x' } }, /exactly one of inbound/],
    [{}, /exactly one of inbound/],
    [{ inbound: { secret: 'x' }, accessList: ['10.0.0.0/33'] }, /accessList "10.0.0.0\/33": the prefix length must be 0 to 32/],
    [{ inbound: { secret: 'x' }, accessList: ['sip.example.com'] }, /not an IP address or a CIDR range/],
    [{ inbound: { secret: 'x' }, numbers: { route: 'sip.example.com;transport=sctp' } }, /numbers.route transport "sctp" must be udp, tcp or tls/],
    [{ inbound: { secret: 'x' }, numbers: { trunk: 'nope' } }, /"nope" is not the name of a trunk/],
    [{ inbound: { secret: 'x' }, pbxTrunk: 'pbx' }, /pbxTrunk "pbx" is not the name of a trunk/],
    [{ inbound: { secret: 'x' }, trunks: [{ name: 'pbx', domain: 'pbx.example.com', register: true }] }, /registers, so it needs a username/],
    [{ outbound: { port: 3001, secret: 'x' }, trunks: [{ name: 'pbx', domain: 'pbx.example.com', username: 'u', register: true }] }, /need a standing connection to drachtio-server: use drachtio.inbound/],
    [{ inbound: { secret: 'x' }, rejectCode: 200 }, /rejectCode must be >= 400/],
    [{ inbound: { secret: 'x' }, trunks: [{ name: 't', domain: 'd', transport: 'sctp' }] }, /transport must be equal to one of the allowed values: udp, tcp, tls/],
  ])('refuses %j', (drachtio, message) => {
    expect(() => checkConfig({ ...base, drachtio })).toThrow(message);
  });
});

describe('SIP IP access lists', () => {
  it('matches addresses and ranges, IPv4-mapped IPv6 included', () => {
    const acl = accessList(['203.0.113.0/24', '198.51.100.7', '2001:db8::/32']);
    expect(acl.allows('203.0.113.99')).toBe(true);
    expect(acl.allows('::ffff:203.0.113.5')).toBe(true);
    expect(acl.allows('198.51.100.7')).toBe(true);
    expect(acl.allows('198.51.100.8')).toBe(false);
    expect(acl.allows('2001:db8::1')).toBe(true);
    expect(acl.allows('2001:db9::1')).toBe(false);
    expect(acl.allows('not an address')).toBe(false);
  });
});
