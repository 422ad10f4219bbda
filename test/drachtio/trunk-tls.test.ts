// didml's check of a TLS trunk's certificate (tls-check.ts): a real TLS server on loopback with
// certificates openssl made for the test plays the carrier's TLS port; the stand-in drachtio-server
// carries the SIP. An untrusted, misnamed or unreachable far end is not used, and says why.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import type { TrunkConfig } from '../../src/telephony/drachtio/index.js';
import { toHeaderOf } from '../../src/telephony/drachtio/targets.js';
import { haveOpenssl, makeCertificates, type Certificates } from './certs.js';
import { answersThenHangsUp, startHarness, type Harness } from './harness.js';
import { freeTcpPort } from './real-peers.js';
import { header } from './stand-in/sip.js';

let certs: Certificates;
let h: Harness | undefined;
const servers: Server[] = [];

beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs?.remove());
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** The carrier's TLS port on 127.0.0.1, presenting `pair` (and `chain` after it). */
async function carrierTls(pair: { cert: string; key: string }, chain?: string): Promise<number> {
  const cert = readFileSync(pair.cert, 'utf8') + (chain ? readFileSync(chain, 'utf8') : '');
  const server = createServer({ cert, key: readFileSync(pair.key) }, (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

/** A TLS trunk through the carrier's port; `tls` null leaves the setting out. */
const trunk = (port: number, tls: TrunkConfig['tls'] | null = { ca: certs.ca }): TrunkConfig => ({
  name: 'carrier',
  domain: 'carrier.example',
  username: 'u1',
  password: 'pw',
  proxy: `127.0.0.1:${port}`,
  transport: 'tls',
  register: true,
  expires: 3600,
  ...(tls ? { tls } : {}),
});

/** The registration once it has failed (or registered), bounded. */
async function settled(x: Harness) {
  for (let i = 0; i < 500 && !['failed', 'registered'].includes(x.adapter.registrations()[0]?.state ?? ''); i++) await new Promise((r) => setTimeout(r, 10));
  return x.adapter.registrations()[0]!;
}

const registrar = (req: { method: string; respond: (s: number, o?: { headers?: Record<string, string> }) => void; get: (n: string) => string | undefined }) =>
  req.method === 'REGISTER' ? req.respond(200, { headers: { Contact: `${req.get('Contact')};expires=3600` } }) : answersThenHangsUp(20)(req as never);

describe.skipIf(!haveOpenssl)("didml checks a TLS trunk's certificate before using it", () => {
  it('a certificate issued by the trunk\'s CA: the REGISTER goes out and the trunk registers', async () => {
    const port = await carrierTls(certs.server);
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port)] } });
    h.stand.onRequest = registrar as never;
    expect(await settled(h)).toMatchObject({ state: 'registered', failures: 0 });
    expect(h.stand.sent('REGISTER')[0]!.proxy).toBe(`sip:127.0.0.1:${port};transport=tls`);
  });

  it('a leaf issued by an intermediate the far end sends along chains to the root in tls.ca', async () => {
    const port = await carrierTls(certs.chained, certs.intermediate);
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port)] } });
    h.stand.onRequest = registrar as never;
    expect(await settled(h)).toMatchObject({ state: 'registered' });
  });

  it('a self-signed certificate: no REGISTER, the registration fails saying the certificate is not trusted and what to set', async () => {
    const port = await carrierTls(certs.rogue);
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port)] }, registrationTiming: { retryMs: 60_000 } });
    h.stand.onRequest = registrar as never;
    const status = await settled(h);
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(
      new RegExp(`^TLS trunk "carrier": the certificate of 127\\.0\\.0\\.1:${port} is not trusted: it does not chain to the CA\\(s\\) in .*ca\\.pem \\(DEPTH_ZERO_SELF_SIGNED_CERT: .*\\); put the CA that issued it in drachtio\\.trunks\\[0\\]\\.tls\\.ca$`),
    );
    expect(h.stand.sent('REGISTER')).toEqual([]);
  });

  it("without tls.ca the certificate must chain to Node's bundled roots: the test CA's is refused", async () => {
    const port = await carrierTls(certs.server);
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port, null)] }, registrationTiming: { retryMs: 60_000 } });
    const status = await settled(h);
    expect(status).toMatchObject({ state: 'failed', error: expect.stringMatching(/does not chain to Node's bundled root CAs \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/) });
  });

  it('a certificate for another name: refused, naming the name it must carry; tls.servername set to that name accepts it', async () => {
    const port = await carrierTls(certs.otherName);
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port)] }, registrationTiming: { retryMs: 60_000 } });
    const status = await settled(h);
    expect(status.error).toMatch(/the certificate of 127\.0\.0\.1:\d+ is not for 127\.0\.0\.1 \(ERR_TLS_CERT_ALTNAME_INVALID: .*\); if the carrier says its certificate carries another name, give that name in drachtio\.trunks\[0\]\.tls\.servername/);
    await h.close();
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port, { ca: certs.ca, servername: 'sip.other.example' })] } });
    h.stand.onRequest = registrar as never;
    expect(await settled(h)).toMatchObject({ state: 'registered' });
  });

  it('nothing listening: the trunk is not used, saying didml could not check', async () => {
    const port = await freeTcpPort();
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port)] }, registrationTiming: { retryMs: 60_000 } });
    const status = await settled(h);
    expect(status.error).toMatch(new RegExp(`didml could not check the certificate of 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED: .*\\).*tls\\.verify false turns the check off`));
    expect(h.stand.sent('REGISTER')).toEqual([]);
  });

  it('tls.verify false: not checked (a warning at start), the REGISTER goes out to the self-signed far end', async () => {
    const port = await carrierTls(certs.rogue);
    h = await startHarness({ routes: {}, config: { trunks: [trunk(port, { verify: false })] } });
    h.stand.onRequest = registrar as never;
    expect(await settled(h)).toMatchObject({ state: 'registered' });
    expect(h.logs.some((l) => l.level === 'warn' && /does not check the far end's certificate/.test(l.msg) && l['trunk'] === 'carrier')).toBe(true);
  });

  it('a <Dial><Number> through an untrusted trunk is not sent: DialCallStatus failed, the reason logged', async () => {
    const port = await carrierTls(certs.rogue);
    h = await startHarness({
      routes: { '/voice': '<Response><Dial action="/dialed"><Number>+14155550142</Number></Dial></Response>', '/dialed': '<Response><Hangup/></Response>' },
      config: { trunks: [{ ...trunk(port), register: false }], numbers: { trunk: 'carrier' } },
    });
    h.stand.call();
    await h.finished();
    expect(h.stand.sent('INVITE')).toEqual([]);
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'failed' });
    expect(h.logs.find((l) => l.msg === '<Dial> target not dialled')?.['error']).toMatch(/^TLS trunk "carrier": the certificate of 127\.0\.0\.1:\d+ is not trusted/);
  });

  it('a <Dial><Number> through a trusted trunk goes out as sips: over TLS', async () => {
    const port = await carrierTls(certs.server);
    h = await startHarness({
      routes: { '/voice': '<Response><Dial action="/dialed"><Number>+14155550142</Number></Dial></Response>', '/dialed': '<Response><Hangup/></Response>' },
      config: { trunks: [{ ...trunk(port), register: false }], numbers: { trunk: 'carrier' } },
    });
    h.stand.onRequest = answersThenHangsUp(20);
    h.stand.call();
    await h.finished();
    expect(h.stand.sent('INVITE')[0]!.message.startLine).toBe('INVITE sips:+14155550142@carrier.example:5061;transport=tls SIP/2.0');
    expect(header(h.stand.sent('INVITE')[0]!.message, 'To')).toBe('<sips:+14155550142@carrier.example>');
    expect(h.to('/dialed')[0]!.params).toMatchObject({ DialCallStatus: 'completed' });
  });

  it('a call placed through an untrusted trunk fails before any INVITE, with the reason', async () => {
    const port = await carrierTls(certs.rogue);
    h = await startHarness({ routes: {}, config: { trunks: [{ ...trunk(port), register: false }], numbers: { trunk: 'carrier' } } });
    const placed = h.place({ kind: 'number', number: '+14155550142' });
    await expect(placed.result).rejects.toThrow(/placing a call: TLS trunk "carrier": the certificate of 127\.0\.0\.1:\d+ is not trusted/);
    expect(h.stand.sent('INVITE')).toEqual([]);
  });
});

describe.skipIf(!haveOpenssl)('the tls setting of a trunk in the configuration', () => {
  const base = { app: { url: 'https://app.example/voice' }, adapter: 'drachtio' };
  const cfg = (t: Record<string, unknown>) => ({ ...base, drachtio: { inbound: { secret: 'x' }, trunks: [{ name: 'carrier', domain: 'carrier.example', transport: 'tls', ...t }] } });

  it('defaults to verify: true and takes a readable CA file', () => {
    expect(checkConfig(cfg({ tls: { ca: certs.ca } })).drachtio!.trunks![0]!.tls).toEqual({ verify: true, ca: certs.ca });
  });

  it.each([
    [{ tls: { verify: 'yes' } }, /drachtio\.trunks\.0\.tls\.verify must be boolean/],
    [{ tls: { check: true } }, /drachtio\.trunks\.0\.tls "check" is not a known key/],
    [{ tls: { ca: '/nonexistent/ca.pem' } }, /drachtio\.trunks\[0\]\.tls\.ca cannot read \/nonexistent\/ca\.pem \(ENOENT\): give the PEM file of the CA\(s\)/],
    [{ transport: 'udp', tls: { verify: true } }, /drachtio\.trunks\[0\]\.tls is for a trunk with transport "tls"; "carrier" uses udp/],
  ])('refuses %j', (t, message) => {
    expect(() => checkConfig(cfg(t))).toThrow(message);
  });

  it('refuses a CA file with no certificate in it', () => {
    expect(() => checkConfig(cfg({ tls: { ca: certs.server.key } }))).toThrow(/tls\.ca .*server\.key holds no PEM certificate/);
  });
});

describe('the To of an INVITE', () => {
  it.each([
    ['sips:+14155550142@carrier.example:5061;transport=tls', '<sips:+14155550142@carrier.example>'],
    ['sip:+14155550142@127.0.0.1:5070;transport=tcp;user=phone', '<sip:+14155550142@127.0.0.1;user=phone>'],
    ['sip:alice@[2001:db8::1]:5062;maddr=10.0.0.1;lr', '<sip:alice@[2001:db8::1]>'],
    ['sip:sip.example.com', '<sip:sip.example.com>'],
  ])('%s: %s (RFC 3261 §19.1.1: no port, transport, maddr, lr in To)', (uri, to) => {
    expect(toHeaderOf(uri)).toBe(to);
  });
});
