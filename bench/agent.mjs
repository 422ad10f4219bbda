#!/usr/bin/env node
// A mock call talking to a real Media Streams agent (call.agent): frames relayed per second,
// run by `npm run bench` (or alone: `node bench/agent.mjs` after `npx tsc -p tsconfig.build.json`).
// The caller's side is a WAV turn (read, converted to 8 kHz μ-law, cut into 20 ms frames, sent
// as Twilio `media` messages); the agent answers with as many frames of its own, which the call
// collects and plays in virtual time. Beside it, the bare relay of the same frames: binary
// websocket frames to the same kind of server, both ways, nothing parsed. Wall time, printed,
// never asserted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';
import { WebSocket } from 'undici';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { simulateCall } = await dist('runtime/simulate.js');
const { mulawToWav } = await dist('media/wav.js');

const FRAMES = 10_000; // 200 s of the caller's audio, and as much of the agent's
const ROUNDS = 3;
const FRAME = Buffer.alloc(160, 0x55);

/** An agent that answers all of the caller's audio, once it has it, with as many frames. */
async function agent() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    let sid;
    let got = 0;
    ws.on('message', (data, binary) => {
      if (binary) {
        // The bare relay: every frame straight back.
        ws.send(data, { binary: true });
        return;
      }
      const m = JSON.parse(String(data));
      if (m.event === 'start') sid = m.start.streamSid;
      if (m.event === 'media' && ++got === FRAMES) {
        const payload = FRAME.toString('base64');
        for (let i = 0; i < FRAMES; i++) ws.send(JSON.stringify({ event: 'media', streamSid: sid, media: { payload } }));
        ws.send(JSON.stringify({ event: 'mark', streamSid: sid, mark: { name: 'done' } }));
      }
      if (m.event === 'mark') ws.close();
    });
  });
  return { url: `ws://127.0.0.1:${wss.address().port}/`, close: () => new Promise((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(r))) };
}

async function bare(url) {
  const ws = new WebSocket(url);
  await new Promise((r) => ws.addEventListener('open', r, { once: true }));
  let back = 0;
  const t0 = performance.now();
  const done = new Promise((r) => ws.addEventListener('message', () => ++back === FRAMES && r()));
  for (let i = 0; i < FRAMES; i++) ws.send(FRAME);
  await done;
  const ms = performance.now() - t0;
  ws.close();
  return ms;
}

async function mock(url, dir) {
  const t0 = performance.now();
  const { events } = await simulateCall({
    app: dir,
    call: { agent: { url, first: 'caller', caller: [{ audio: join(dir, 'caller.wav') }], quiet: 0.05, timeout: 30 } },
  });
  const ms = performance.now() - t0;
  const turns = events.filter((e) => e.type === 'agent');
  const heard = turns.reduce((n, e) => n + (e.audio ?? 0), 0);
  if (Math.round(heard * 50) !== FRAMES) throw new Error(`bench: the call heard ${heard} s of the agent, not ${FRAMES / 50} s`);
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'didml-bench-agent-'));
writeFileSync(join(dir, 'voice.xml'), '<Response><Connect><Stream url="wss://agent.example.com/"/></Connect></Response>');
writeFileSync(join(dir, 'caller.wav'), mulawToWav(Buffer.alloc(FRAMES * 160, 0x55)));
const a = await agent();
let bestBare = Infinity;
let bestMock = Infinity;
try {
  for (let i = 0; i < ROUNDS; i++) {
    bestBare = Math.min(bestBare, await bare(a.url));
    bestMock = Math.min(bestMock, await mock(a.url, dir));
  }
} finally {
  await a.close();
  rmSync(dir, { recursive: true, force: true });
}
// The mock's time includes its agent's quiet period (0.05 s) and the call around the stream.
const fps = (ms) => ((2 * FRAMES) / ms) * 1000;
console.log(`\nagent: a mock call to a real Media Streams agent, ${FRAMES} frames each way (20 ms of μ-law), best of ${ROUNDS}; wall time`);
console.log(`${'bare binary websocket echo (baseline)'.padEnd(52)} ${fps(bestBare).toFixed(0).padStart(8)} frames/s  1x`);
console.log(`${'mock call: WAV → media messages, agent audio collected'.padEnd(52)} ${fps(bestMock).toFixed(0).padStart(8)} frames/s  ${(bestBare / bestMock).toFixed(2)}x of the baseline's rate`);
