// Opt-in: the SigmaMind TLS trunk against real drachtio-servers of the test's own (DRACHTIO_BIN):
// one for didml, with a TLS contact; one playing the carrier, with a `sips:` contact and a
// drachtio-srf app on it as registrar and far end (digest challenges, answers INVITEs). The
// certificates are openssl's, made for the run: a test CA; the carrier's leaf issued by an
// intermediate that its chain file holds. Everything on 127.0.0.1, on free ports.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { runCall, type CallSummary } from '../../src/runtime/session.js';
import { createDrachtioAdapter, withDefaults, type DrachtioAdapter, type RegistrationTiming, type TrunkConfig } from '../../src/telephony/drachtio/index.js';
import type { Srf, SrfRequest, SrfResponse } from '../../src/telephony/drachtio/srf.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport } from '../../src/webhook/handler.js';
import { haveOpenssl, makeCertificates, type Certificates } from './certs.js';
import { accepts, freeFixedPort, startOwnDrachtio, type OwnDrachtio } from './own-drachtio.js';
import { placedCall } from './placed.js';
import { BIN } from './real-peers.js';
import { digestValid } from './stand-in/sip.js';

const why = !BIN ? 'set DRACHTIO_BIN to a drachtio-server binary to run the TLS trunk against real drachtio-servers' : !haveOpenssl ? 'no openssl command to make the certificates' : '';
if (why) console.warn(`test/drachtio/real-tls.test.ts: skipped; ${why}`);

const SECRET = 'tls-suite';
const realm = 'carrier.example';
const nonce = 'a1b2c3d4';
const creds = { username: 'trunkuser', password: 'trunkpass', realm, nonce };
const SrfCtor = createRequire(import.meta.url)('drachtio-srf') as new () => Srf;

interface Seen {
  method: string;
  uri: string;
  protocol: string;
  port: number;
  callId: string;
  cseq: number;
  to: string;
  contact: string;
  authorized: boolean;
}

/** The carrier's app on its drachtio-server: a registrar and a far end that challenge with digest. */
async function carrierApp(admin: number): Promise<{ seen: Seen[]; byes: string[]; close: () => void }> {
  const srf = new SrfCtor();
  const seen: Seen[] = [];
  const byes: string[] = [];
  const note = (req: SrfRequest) => {
    const s: Seen = {
      method: req.method,
      uri: req.uri,
      protocol: req.protocol,
      port: req.source_port,
      callId: req.get('Call-ID') ?? '',
      cseq: Number((req.get('CSeq') ?? '').split(' ')[0]),
      to: req.get('To') ?? '',
      contact: req.get('Contact') ?? '',
      authorized: digestValid(req.get('Authorization'), req.method, creds),
    };
    seen.push(s);
    return s;
  };
  const challenge = (res: SrfResponse) => res.send(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` } });
  (srf as unknown as { register(h: (req: SrfRequest, res: SrfResponse) => void): void }).register((req, res) => {
    if (!note(req).authorized) return challenge(res);
    res.send(200, { headers: { Contact: `${req.get('Contact')};expires=3600` } });
  });
  srf.invite((req, res) => {
    if (!note(req).authorized) return challenge(res);
    const sdp = 'v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 39000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
    srf.createUAS(req, res, { localSdp: sdp }, (err, dialog) => {
      if (!err) dialog.on('destroy', () => byes.push(dialog.sip.callId));
    });
  });
  srf.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    srf.on('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    srf.connect({ host: '127.0.0.1', port: admin, secret: SECRET });
  });
  return { seen, byes, close: () => srf.disconnect() };
}

interface Didml {
  adapter: DrachtioAdapter;
  logs: Record<string, unknown>[];
  summaries: Promise<CallSummary>[];
  place(number: string): Promise<unknown>;
  close(): Promise<void>;
}

/** didml on `admin` with one trunk; placed calls run `<Pause length="1"/>` once answered. */
async function didml(admin: number, trunk: TrunkConfig, timing: Partial<RegistrationTiming> = {}): Promise<Didml> {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) });
  const webhooks = createWebhookClient({ transport: handlerTransport(() => '<Response><Pause length="1"/></Response>') });
  const adapter = createDrachtioAdapter({ config: withDefaults({ inbound: { host: '127.0.0.1', port: admin, secret: SECRET }, trunks: [trunk], numbers: { trunk: trunk.name } }), log, registrationTiming: { retryMs: 60_000, ...timing } });
  await adapter.listen(() => undefined);
  const summaries: Promise<CallSummary>[] = [];
  return {
    adapter,
    logs,
    summaries,
    place(number) {
      const p = placedCall(adapter, { kind: 'number', number });
      summaries.push(runCall(undefined, { app: { url: 'https://agent.example/outbound' }, webhooks, clock: realClock, outbound: p.outbound }));
      return p.result;
    },
    async close() {
      await adapter.close();
      await webhooks.close();
    },
  };
}

/** Waits (bounded) until `pred` holds; `explain` adds what was seen to the failure. */
async function until(pred: () => boolean, what: string, ms = 15_000, explain: () => string = () => ''): Promise<void> {
  for (let i = 0; i < ms / 20 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!pred()) throw new Error(`${what} did not happen within ${ms} ms${explain() ? `; seen:\n${explain()}` : ''}`);
}

/** The last lines of a drachtio-server's log, without sofia-sip's reference counting. */
const tail = (d: OwnDrachtio, n = 40) => d.log().split('\n').filter((l) => !/tport_(un)?ref/.test(l)).slice(-n).join('\n');

describe.skipIf(Boolean(why))('a TLS trunk against real drachtio-servers', () => {
  let certs: Certificates;
  let carrier: OwnDrachtio;
  let ours: OwnDrachtio;
  let app: Awaited<ReturnType<typeof carrierApp>>;
  let carrierTls = 0;
  let ourTls = 0;
  const extra: OwnDrachtio[] = [];
  let current: Didml | undefined;

  beforeAll(async () => {
    certs = makeCertificates();
    carrierTls = await freeFixedPort();
    carrier = await startOwnDrachtio({
      bin: BIN!,
      secret: SECRET,
      admin: await freeFixedPort(),
      contacts: [`sips:127.0.0.1:${carrierTls};transport=tls`],
      // Its chain file holds the intermediate its leaf needs, and the root.
      tls: { ...certs.chained, chain: certs.bundle },
    });
    ourTls = await freeFixedPort();
    const ourSip = await freeFixedPort();
    ours = await startOwnDrachtio({
      bin: BIN!,
      secret: SECRET,
      admin: await freeFixedPort(),
      contacts: [`sip:127.0.0.1:${ourSip};transport=udp,tcp`, `sips:127.0.0.1:${ourTls};transport=tls`],
      tls: { ...certs.server, chain: certs.ca },
      verifyPeers: true,
    });
    app = await carrierApp(carrier.admin);
  }, 60_000);

  afterAll(async () => {
    app?.close();
    for (const d of [ours, carrier, ...extra]) await d?.remove();
    certs?.remove();
  });

  afterEach(async () => {
    await current?.close();
    current = undefined;
  });

  const trunk = (port: number, tls: TrunkConfig['tls'] = { ca: certs.ca }): TrunkConfig => ({
    name: 'sigmamind',
    domain: 'carrier.example',
    username: creds.username,
    password: creds.password,
    proxy: `127.0.0.1:${port}`,
    transport: 'tls',
    register: true,
    expires: 3600,
    tls,
  });

  it('registers over TLS (digest answered), and a placed call goes out sips: over TLS: INVITE, 401, INVITE, ACK, BYE', async () => {
    // Both checks on: didml's (tls.ca) and drachtio-server's own (DRACHTIO_TLS_VERIFY_CLIENT_CERT=1).
    expect(ours.log()).toMatch(/tls_policy: 3/);
    const from = app.seen.length;
    current = await didml(ours.admin, trunk(carrierTls));
    await until(() => current!.adapter.registrations()[0]?.state === 'registered', 'the registration', 15_000, () => `${JSON.stringify(current!.adapter.registrations())}\n${tail(ours)}`);
    const registers = app.seen.slice(from).filter((s) => s.method === 'REGISTER');
    expect(registers.map((r) => r.authorized)).toEqual([false, true]);
    expect(registers[1]).toMatchObject({ protocol: 'tls', uri: 'sip:carrier.example', contact: `<sip:trunkuser@127.0.0.1:${ourTls};transport=tls>` });

    const result = await current.place('+14155550142');
    expect(result).toMatchObject({ answered: true });
    expect((await current.summaries[0])!.status).toBe('completed');
    const invites = app.seen.slice(from).filter((s) => s.method === 'INVITE');
    expect(invites.map((i) => i.authorized)).toEqual([false, true]);
    expect(invites[1]).toMatchObject({ protocol: 'tls', uri: 'sips:+14155550142@carrier.example:5061;transport=tls', to: expect.stringMatching(/^<sips:\+14155550142@carrier\.example>(;|$)/) });
    await until(() => app.byes.includes(invites[1]!.callId), 'the BYE');
  }, 60_000);

  it('after drachtio-server restarts, didml reconnects and REGISTERs again at once: a new REGISTER on a new TLS connection', async () => {
    current = await didml(ours.admin, trunk(carrierTls));
    await until(() => current!.adapter.registrations()[0]?.state === 'registered', 'the registration');
    const before = app.seen.filter((s) => s.method === 'REGISTER').at(-1)!;
    const count = app.seen.length;
    await ours.restart();
    // Granted 3600 s, the refresh is 30 minutes away: only the reconnect sends this.
    await until(() => app.seen.slice(count).some((s) => s.method === 'REGISTER' && s.authorized), 'a REGISTER after the restart');
    const again = app.seen.slice(count).filter((s) => s.method === 'REGISTER').at(-1)!;
    expect(again).toMatchObject({ callId: before.callId, protocol: 'tls', authorized: true });
    expect(again.cseq).toBeGreaterThan(before.cseq);
    expect(again.port).not.toBe(before.port); // a new TLS connection
    await until(() => current!.adapter.registrations()[0]?.state === 'registered', 'registered again');
    expect(current.logs.some((l) => l['msg'] === 'registering every trunk on the new connection')).toBe(true);
  }, 60_000);

  describe('a carrier whose certificate no CA vouches for', () => {
    let rogue: OwnDrachtio;
    let rogueApp: Awaited<ReturnType<typeof carrierApp>>;
    let rogueTls = 0;

    beforeAll(async () => {
      rogueTls = await freeFixedPort();
      rogue = await startOwnDrachtio({ bin: BIN!, secret: SECRET, admin: await freeFixedPort(), contacts: [`sips:127.0.0.1:${rogueTls};transport=tls`], tls: { ...certs.rogue, chain: certs.rogue.cert } });
      extra.push(rogue);
      rogueApp = await carrierApp(rogue.admin);
    }, 30_000);
    afterAll(() => rogueApp?.close());

    it("didml's check refuses it: the registration fails saying the certificate is not trusted; no REGISTER reaches the carrier", async () => {
      current = await didml(ours.admin, trunk(rogueTls));
      await until(() => current!.adapter.registrations()[0]?.state === 'failed', 'the failure');
      expect(current.adapter.registrations()[0]!.error).toMatch(new RegExp(`^TLS trunk "sigmamind": the certificate of 127\\.0\\.0\\.1:${rogueTls} is not trusted: it does not chain to the CA\\(s\\) in .*ca\\.pem \\(DEPTH_ZERO_SELF_SIGNED_CERT`));
      await expect(current.place('+14155550142')).rejects.toThrow(/placing a call: TLS trunk "sigmamind": the certificate of .* is not trusted/);
      expect(rogueApp.seen).toEqual([]);
    }, 30_000);

    it("with didml's check off, drachtio-server's own (DRACHTIO_TLS_VERIFY_CLIENT_CERT=1) refuses it: 408, said to be drachtio-server's, and its log names the certificate", async () => {
      // sofia-sip answers the REGISTER when its transaction times out (64*T1, 32 s); didml's own timeout is later.
      current = await didml(ours.admin, trunk(rogueTls, { verify: false }));
      await until(() => current!.adapter.registrations()[0]?.state === 'failed', 'the failure', 50_000);
      expect(current.adapter.registrations()[0]).toMatchObject({ lastSipResponseCode: 408, error: expect.stringMatching(/answered 408 Request Timeout \(over TLS drachtio-server answers 408 itself when the TLS connection could not be made/) });
      expect(ours.log()).toMatch(/err 18:self-signed certificate/);
      expect(rogueApp.seen).toEqual([]);
    }, 70_000);

    it('with neither check, drachtio-server as started by default (no DRACHTIO_TLS_VERIFY_CLIENT_CERT) registers with it: what the checks are for', async () => {
      const plain = await startOwnDrachtio({ bin: BIN!, secret: SECRET, admin: await freeFixedPort(), contacts: [`sips:127.0.0.1:${await freeFixedPort()};transport=tls`], tls: { ...certs.server, chain: certs.ca } });
      extra.push(plain);
      await until(() => /tls_policy: 0/.test(plain.log()), 'its log saying tls_policy: 0');
      current = await didml(plain.admin, trunk(rogueTls, { verify: false }));
      await until(() => current!.adapter.registrations()[0]?.state === 'registered', 'the registration', 15_000, () =>
        [JSON.stringify(current!.adapter.registrations()), JSON.stringify(rogueApp.seen), JSON.stringify(current!.logs.slice(-6)), `didml's drachtio-server:\n${tail(plain, 60)}`, `the carrier's:\n${tail(rogue)}`].join('\n'),
      );
      expect(rogueApp.seen.filter((s) => s.method === 'REGISTER' && s.authorized)).toHaveLength(1);
    }, 30_000);
  });

  it("the README's drachtio-server command line starts, with its TLS transport open and presenting the certificate", async () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const block = /\n {2}drachtio (--contact(?:[^\n]*\\\n)*[^\n]*)/.exec(readme);
    expect(block, 'a drachtio command line in the README').not.toBeNull();
    const [udp, tls, admin] = [await freeFixedPort(), await freeFixedPort(), await freeFixedPort()];
    const args = [...block![1]!.replace(/\\\n/g, ' ').matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    const files: Record<string, string> = { '/certs/key.pem': certs.server.key, '/certs/cert.pem': certs.server.cert, '/certs/chain.pem': certs.ca };
    const local = args.map((a) => files[a] ?? a.replace('"$DRACHTIO_SECRET"', SECRET).replace('$DRACHTIO_SECRET', SECRET).replace('sip:*;', `sip:127.0.0.1:${udp};`).replace('sips:*:5061;', `sips:127.0.0.1:${tls};`));
    expect(local.filter((a) => a.startsWith('sip')).join(' ')).toBe(`sip:127.0.0.1:${udp};transport=udp,tcp sips:127.0.0.1:${tls};transport=tls`);
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync(join(certs.dir, 'readme-'));
    // The container image brings /etc/drachtio.conf.xml; here a minimal one gives the admin port.
    writeFileSync(join(dir, 'min.xml'), `<drachtio><admin port="${admin}" secret="${SECRET}">127.0.0.1</admin><cdrs>false</cdrs></drachtio>`);
    // cwd: the folder, so no cafile.pem of anyone's is found there by chance.
    const child = spawn(BIN!, ['-f', join(dir, 'min.xml'), '--stdout', ...local], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // drachtio-server exits (with 0) when a transport cannot be opened.
      for (let i = 0; i < 200 && child.exitCode === null && !(await accepts(tls)); i++) await new Promise((r) => setTimeout(r, 25));
      expect(child.exitCode, `drachtio-server exited:\n${out}`).toBeNull();
      const subject = await new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: tls, ca: readFileSync(certs.ca) }, () => {
          resolve(String(s.getPeerCertificate().subject?.CN));
          s.destroy();
        });
        s.once('error', reject);
      });
      expect(subject).toBe('localhost');
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
