#!/usr/bin/env node
// The shared call state (issue 14): what a Redis-backed registry operation adds over the
// in-process one. One cycle is what a placed call costs the store: its create (a durable add,
// which waits for the write, as POST Calls.json does before answering 201), a status change, and
// a GET of the record from another instance (read from Redis); then a command sent from another
// instance to the owner and answered (pub/sub round trip). Against a redis-server started here on
// a loopback port; skipped, saying so, when redis-server is not installed. Printed, never asserted.
// Run at the end of `npm run bench`, or alone after the build: `node bench/state.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
  const port = await new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
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
    for (const s of [memory, a, b]) await s.close();
  } finally {
    server.kill('SIGTERM');
    await new Promise((ok) => server.once('exit', ok));
    rmSync(dir, { recursive: true, force: true });
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
