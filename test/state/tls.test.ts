// rediss://: the store over TLS to a real redis-server (its tls-port), the server's certificate
// checked against the CA given in state.tls.ca; without that CA the certificate is refused and
// the store says so in /health's reason instead of connecting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { RedisCallStore } from '../../src/state/redis.js';
import { haveOpenssl, makeCertificates, type Certificates } from '../drachtio/certs.js';
import { freePort, haveRedis, NO_REDIS, startRedis, type RedisServer } from './redis-server.js';

let certs: Certificates | undefined;
let redis: RedisServer | undefined;
let tlsPort = 0;

beforeAll(async () => {
  if (!haveRedis || !haveOpenssl) return;
  // The test CA's leaf for 127.0.0.1 and localhost (test/drachtio/certs.ts).
  certs = makeCertificates();
  tlsPort = await freePort();
  redis = await startRedis(['--tls-port', String(tlsPort), '--tls-cert-file', certs.server.cert, '--tls-key-file', certs.server.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no']);
});
afterAll(async () => {
  await redis?.close();
  certs?.remove();
});

const config = (tls: Record<string, unknown> | undefined) => ({
  url: `rediss://127.0.0.1:${tlsPort}`,
  ...(tls ? { tls } : {}),
  keyPrefix: 'tls:',
  instanceTtlSeconds: 15,
  commandTimeoutMs: 2000,
  writeTimeoutMs: 1000,
  keepEnded: 10,
  keepEndedSeconds: 60,
});

describe.skipIf(!haveRedis || !haveOpenssl)(`the state store over TLS${haveRedis ? (haveOpenssl ? '' : ' (openssl is not installed: skipped)') : ` (${NO_REDIS})`}`, () => {
  it('connects with the CA of state.tls.ca and shares records over rediss://', async () => {
    const a = new RedisCallStore({ ...config({ ca: certs!.ca, servername: 'localhost' }), instanceId: 'a' }, createLogger({ level: 'error' }));
    const b = new RedisCallStore({ ...config({ ca: certs!.ca }), instanceId: 'b' }, createLogger({ level: 'error' }));
    try {
      for (const s of [a, b]) await s.start(async (sid) => s.owned(sid)!);
      const now = Date.now();
      await a.add({ sid: 'CA' + '1'.repeat(32), accountSid: 'AC' + '0'.repeat(32), from: '+14155550100', to: '+14155550111', direction: 'inbound', status: 'ringing', dateCreated: now, dateUpdated: now }, { durable: true });
      expect(await b.get('CA' + '1'.repeat(32))).toMatchObject({ instance: 'a', status: 'ringing' });
      expect(a.health()).toMatchObject({ status: 'ok', backend: 'redis' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a certificate it cannot check, and says why', async () => {
    const s = new RedisCallStore({ ...config(undefined), instanceId: 'c' }, createLogger({ level: 'error' }));
    try {
      await s.start(async (sid) => s.owned(sid)!);
      expect(s.health()).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^Redis at rediss:\/\/127\.0\.0\.1:\d+ unreachable since .*(self-signed|certificate)/) });
    } finally {
      await s.close();
    }
  });
});
