// The `state` section of the configuration: a mistake names its key and the fix, before anything
// connects; Redis refusing the credentials stops the start with a clear error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime } from '../../src/server/runtime.js';
import { redisOptions } from '../../src/state/redis.js';
import { haveRedis, NO_REDIS, startRedis } from './redis-server.js';

const base = { app: { url: 'https://app.example.com/voice' } };
const state = (more: Record<string, unknown>) => checkConfig({ ...base, state: { url: 'redis://127.0.0.1:6379', ...more } }, 'c.json');

describe('state configuration', () => {
  it('fills in the defaults and reads the URL: credentials, database, TLS for rediss://', () => {
    expect(state({}).state).toEqual({ url: 'redis://127.0.0.1:6379', keyPrefix: 'didml:', instanceTtlSeconds: 15, commandTimeoutMs: 5000, writeTimeoutMs: 2000, claimLeaseMs: 10000 });
    const o = redisOptions({ ...state({}).state!, url: 'rediss://user:p%40ss@redis.example.com:6380/2' });
    expect(o).toMatchObject({ host: 'redis.example.com', port: 6380, db: 2, username: 'user', password: 'p@ss', tls: { servername: 'redis.example.com' }, where: 'rediss://redis.example.com:6380/2' });
    expect(JSON.stringify(o)).not.toContain('where":"rediss://user');
    expect(redisOptions(state({}).state!)).not.toHaveProperty('tls');
  });

  it("takes the README's state section as written", () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const line = /^ {2}"state": (\{.*\})$/m.exec(readme)?.[1];
    expect(line, 'the README shows a "state" section').toBeDefined();
    expect(checkConfig({ ...base, state: JSON.parse(line!) as object }).state).toMatchObject({ url: 'redis://didml:secret@redis.internal:6379/0', instanceTtlSeconds: 15 });
  });

  it('names each mistake and its fix', () => {
    expect(() => state({ url: 'http://127.0.0.1:6379' })).toThrow(/state\.url must match pattern/);
    expect(() => state({ url: 'redis://127.0.0.1:6379?tls=true' })).toThrow('c.json: state.url: query parameters (?tls=true) are not read; give TLS in state.tls and the database as the path (/0)');
    expect(() => state({ url: 'redis://127.0.0.1/x' })).toThrow('must be a database number (/0), not /x');
    expect(() => state({ tls: {} })).toThrow('c.json: state.tls is given but the URL is redis://: use rediss:// for TLS');
    expect(() => state({ url: 'rediss://127.0.0.1', tls: { ca: '/nonexistent/ca.pem' } })).toThrow('c.json: state.tls.ca: cannot read /nonexistent/ca.pem (ENOENT)');
    expect(() => state({ instanceTtlSeconds: 0 })).toThrow(/state\.instanceTtlSeconds must be >= 1/);
    expect(() => state({ keyprefix: 'x' })).toThrow(/state "keyprefix" is not a known key/);
    expect(() => state({ claimLeaseMs: 50 })).toThrow('c.json: state.claimLeaseMs must be >= 100 (see grammar/config.schema.json)');
    expect(() => state({ claimLeaseMs: '5s' })).toThrow('c.json: state.claimLeaseMs must be integer (see grammar/config.schema.json)');
  });

  it.skipIf(!haveRedis)(`refuses to start when Redis refuses the credentials${haveRedis ? '' : ` (${NO_REDIS})`}`, async () => {
    const redis = await startRedis(['--requirepass', 'right-password']);
    try {
      const config = checkConfig({ ...base, http: { port: 0 }, state: { url: `redis://:wrong-password@127.0.0.1:${redis.port}` } });
      await expect(startRuntime(config, { log: createLogger({ level: 'error' }) })).rejects.toThrow(/state\.url: Redis at redis:\/\/127\.0\.0\.1:\d+ refused the credentials .*give them as redis:\/\/user:password@host/);
      const good = await startRuntime(checkConfig({ ...base, http: { port: 0 }, state: { url: `redis://:right-password@127.0.0.1:${redis.port}` } }), { log: createLogger({ level: 'error' }) });
      expect(((await (await fetch(`${good.url}/health`)).json()) as { status: string }).status).toBe('ok');
      await good.close();
    } finally {
      await redis.close();
    }
  });
});
