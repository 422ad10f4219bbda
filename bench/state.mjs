#!/usr/bin/env node
// The shared call state (issue 14): what a Redis-backed registry operation adds over the
// in-process one. One cycle is what a placed call costs the store: its create (a durable add,
// which waits for the write, as POST Calls.json does before answering 201), a status change, and
// a GET of the record from another instance (read from Redis); then a command sent from another
// instance to the owner and answered (pub/sub round trip). Then calls per second through the Calls
// API (Twiml <Hangup/>, the mock's callee answering at once) of 1, 2 and 3 instances, each its own
// process (bin/didml.js serve), over one Redis, beside one instance in-process: the creates go
// round robin over the instances. Against a redis-server started here on a loopback port; skipped,
// saying so, when redis-server is not installed. Also a caller's trip through a queue (join,
// position, dequeue by another instance) in Redis beside in-process. Printed, never asserted.
// Run at the end of `npm run bench`, or alone after the build: `node bench/state.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'undici';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { MemoryCallStore } = await dist('state/memory.js');
const { RedisCallStore } = await dist('state/redis.js');
const { silentLogger } = await dist('log.js');

const CYCLES = 2000;
const COMMANDS = 1000;
const BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

const row = (name, ms, baseline, target) => `${name.padEnd(44)} ${ms.toFixed(3).padStart(9)} ms  ${(ms / baseline).toFixed(2).padStart(6)}x  (target ${target})`;

if (spawnSync(BIN, ['--version']).status !== 0) {
  console.log(`state bench skipped: ${BIN} is not installed (apt-get install -y redis-server)`);
} else {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'didml-bench-redis-'));
  const server = spawn(BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  try {
    await waitFor(port);
    const retention = { keepEnded: 1000, keepEndedSeconds: 3600 };
    const state = (id) => ({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'bench:', instanceId: id, instanceTtlSeconds: 15, commandTimeoutMs: 5000, writeTimeoutMs: 2000, ...retention });
    const memory = new MemoryCallStore(retention);
    const a = new RedisCallStore(state('a'), silentLogger);
    const b = new RedisCallStore(state('b'), silentLogger);
    for (const s of [memory, a, b]) await s.start(async (sid) => s.owned(sid));

    let n = 0;
    const cycle = async (owner, reader) => {
      const sid = 'CA' + (n++).toString(16).padStart(32, '0');
      const now = Date.now();
      await owner.add({ sid, accountSid: 'AC' + '0'.repeat(32), from: '+14155550100', to: '+14155550123', direction: 'outbound-api', status: 'queued', dateCreated: now, dateUpdated: now }, { durable: true });
      owner.update(sid, { status: 'in-progress', startTime: now });
      if (!(await reader.get(sid))) throw new Error(`${sid} not found`);
      return sid;
    };
    const perOp = async (count, f) => {
      let best = Infinity;
      for (let r = 0; r < 3; r++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < count; i++) await f();
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6 / count);
      }
      return best;
    };
    await perOp(200, () => cycle(memory, memory)); // warm up
    await perOp(200, () => cycle(a, b));
    const inProcess = await perOp(CYCLES, () => cycle(memory, memory));
    const shared = await perOp(CYCLES, () => cycle(a, b));
    const live = await cycle(a, b);
    const mine = await cycle(memory, memory);
    const localCommand = await perOp(COMMANDS, () => memory.command(mine, {}));
    const remote = await perOp(COMMANDS, () => b.command(live, {}));
    console.log(`state bench: a call's create + status change + read by another instance, ${CYCLES} sequential cycles; a command to the owner, ${COMMANDS}; redis-server on loopback`);
    console.log(row('in-process store, one cycle (baseline)', inProcess, inProcess, '1x'));
    console.log(row('Redis store, one cycle (A writes, B reads)', shared, inProcess, '-'));
    console.log(row('in-process command to the owner (baseline)', localCommand, localCommand, '1x'));
    console.log(row('Redis command B → A, answered (pub/sub)', remote, localCommand, '-'));
    console.log(`${''.padEnd(44)} ${(shared - inProcess).toFixed(3).padStart(9)} ms  added per call by the shared state (${((1000 / shared) | 0)} cycles/s on one connection)`);
    await queueOps(memory, a, b);
    for (const s of [memory, a, b]) await s.close();
    await throughput(port, dir);
  } finally {
    server.kill('SIGTERM');
    await new Promise((ok) => server.once('exit', ok));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a Redis-backed queue adds to one caller's trip through a queue: its join on A, the position
 * its wait document is told (asked on A), and its dequeue by an agent on B (B's claim of the front, A's serving it).
 */
async function queueOps(memory, a, b) {
  const QUEUE_CYCLES = 2000;
  let k = 0;
  const newSid = () => 'QU' + (++k).toString(16).padStart(32, '0');
  const trip = async (joiner, taker) => {
    const callSid = 'CA' + (++k).toString(16).padStart(32, '0');
    const now = Date.now();
    await joiner.queues.join('bench', { callSid, instance: joiner.instanceId, enqueuedAt: now, from: '+14155550100', to: '+14155550123' }, 100, newSid);
    const s = await joiner.queues.status('bench', callSid, newSid);
    if (s.position !== 1) throw new Error(`position ${s.position}, not 1`);
    // As the runtime takes another instance's caller: B claims the front for a lease, A serves the claim.
    const claim = 'CL' + k;
    if ((await taker.queues.front('bench', now + 1, undefined, claim))?.callSid !== callSid) throw new Error(`${callSid} not claimed`);
    if (!(await joiner.queues.serve('bench', callSid, claim, now + 2))) throw new Error(`${callSid}: the claim was not served`);
  };
  const best = async (f) => {
    let t = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < QUEUE_CYCLES; i++) await f();
      t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e6 / QUEUE_CYCLES);
    }
    return t;
  };
  await best(() => trip(memory, memory)); // warm up
  const local = await best(() => trip(memory, memory));
  const shared = await best(() => trip(a, b));
  console.log(`queue bench: one caller's enqueue + position + dequeue, ${QUEUE_CYCLES} sequential trips`);
  console.log(row('in-process queue, one trip (baseline)', local, local, '1x'));
  console.log(row('Redis queue, one trip (A joins, B takes)', shared, local, '-'));
  console.log(`${''.padEnd(44)} ${(shared - local).toFixed(3).padStart(9)} ms  added per queued caller (four scripts); the claim's message to the caller's instance adds one command round trip, above`);
}

/** Calls placed per second through the Calls API by 1, 2 and 3 instances (child processes) over the Redis on `redisPort`. */
async function throughput(redisPort, dir) {
  const CREATES = 1500;
  const CONCURRENCY = 16;
  const ACCOUNT = 'AC' + '0123456789abcdef'.repeat(2);
  const TOKEN = 'bench-token';
  const AUTH = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`;
  const BODY = new URLSearchParams({ To: '+14155550123', From: '+14155550100', Twiml: '<Response><Hangup/></Response>' }).toString();
  const PATH = `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`;
  const run = async (n, shared) => {
    const children = [];
    const urls = [];
    try {
      for (let i = 0; i < n; i++) {
        const http = await freePort();
        const file = join(dir, `instance-${n}-${i}-${shared}.json`);
        const config = { http: { port: http }, app: { url: 'http://127.0.0.1:9/unused' }, accountSid: ACCOUNT, authToken: TOKEN, mock: { callees: { '*': { ring: 0 } } }, log: { level: 'error' } };
        if (shared) config.state = { url: `redis://127.0.0.1:${redisPort}`, keyPrefix: `bench${n}:`, instanceId: `bench-${n}-${i}` };
        writeFileSync(file, JSON.stringify(config));
        children.push(spawn(process.execPath, [join(root, 'bin/didml.js'), 'serve', '--config', file], { stdio: 'ignore' }));
        urls.push(`http://127.0.0.1:${http}`);
      }
      for (const url of urls) await healthy(url);
      const dispatcher = new Agent({ connections: CONCURRENCY });
      const round = async (count) => {
        let next = 0;
        let failed = 0;
        const t0 = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < count) {
              const url = urls[next++ % urls.length];
              const r = await request(url + PATH, { method: 'POST', dispatcher, headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body: BODY });
              const text = await r.body.text();
              if (r.statusCode !== 201 && failed++ === 0) console.error(`first failure: ${r.statusCode} ${text}`);
            }
          }),
        );
        if (failed) throw new Error(`${failed} creates failed`);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      await round(300); // warm-up
      const ms = Math.min(await round(CREATES), await round(CREATES));
      await dispatcher.close();
      return (CREATES / ms) * 1000;
    } finally {
      for (const c of children) {
        const exited = new Promise((ok) => c.once('exit', ok));
        c.kill('SIGTERM');
        await exited;
      }
    }
  };
  const cores = availableParallelism();
  const base = await run(1, false);
  const perSecond = (name, cps) => `${name.padEnd(44)} ${cps.toFixed(0).padStart(9)} /s  ${(base / cps).toFixed(2).padStart(6)}x  ${(cps / cores).toFixed(0).padStart(6)} /s per core`;
  console.log(`state bench: calls placed per second through the Calls API (${CREATES} creates at ${CONCURRENCY} in flight, round robin, best of 2), ${cores} cores shared by the instances, Redis and this client`);
  console.log(perSecond('1 instance, in-process state (baseline)', base));
  for (const n of [1, 2, 3]) console.log(perSecond(`${n} instance${n > 1 ? 's' : ''} over one Redis`, await run(n, true)));
}

async function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
}

async function healthy(url) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok && (await r.json()).status === 'ok') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitFor(port) {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('error', () => resolve(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => (s.destroy(), resolve(d.toString().startsWith('+PONG'))));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
