#!/usr/bin/env node
// The media relay of <Connect><Stream> (src/media/: didml as the RTP peer, Twilio's Media Streams
// to the app), run at the end of `npm run bench` (or alone: `node bench/media.mjs` after
// `npx tsc -p tsconfig.build.json`). Printed beside a baseline measured in the same run, never
// asserted: the same 20 ms RTP packets on loopback, received by a bare dgram socket and sent on
// as bare binary websocket frames (what any relay has to do), against didml's path (RTP header
// parsed, 20 ms framing, base64, Twilio's JSON `media` message). Per frame, in this process's
// CPU time. Target: within 3x of the bare relay (a call's 50 frames a second leave room for
// thousands of calls a core).
import { createSocket } from 'node:dgram';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';
import { WebSocket } from 'undici';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { RtpSession } = await dist('media/rtp.js');
const { TwilioMediaStream } = await dist('media/twilio-stream.js');

const FRAMES = 20_000;
const ROUNDS = 3;

/** An app's websocket that counts what arrives and says when `n` messages are in. */
async function sink() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let count = 0;
  let want = Infinity;
  let done = () => {};
  wss.on('connection', (ws) =>
    ws.on('message', () => {
      if (++count >= want) done();
    }),
  );
  return {
    url: `ws://127.0.0.1:${wss.address().port}/`,
    expect(n) {
      count = 0;
      want = n;
      return new Promise((r) => (done = r));
    },
    close: () => new Promise((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(r))),
  };
}

function packet(seq) {
  const b = Buffer.alloc(12 + 160, 0x55);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(seq * 160, 4);
  return b;
}

/**
 * Sends FRAMES packets to `port`, at most WINDOW ahead of what the receiver has taken (UDP on
 * loopback drops what its buffer cannot hold); resolves, once the app has all of them, with
 * this process's CPU µs.
 */
const WINDOW = 64;
async function drive(port, received, arrived) {
  const sender = createSocket('udp4');
  await new Promise((r) => sender.bind(0, '127.0.0.1', r));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < FRAMES; i++) {
    while (i - received() >= WINDOW) await new Promise((r) => setImmediate(r));
    sender.send(packet(i), port, '127.0.0.1');
  }
  await arrived;
  const cpu = process.cpuUsage(cpu0);
  sender.close();
  return cpu.user + cpu.system;
}

async function bare(app) {
  const ws = new WebSocket(app.url);
  await new Promise((r) => ws.addEventListener('open', r, { once: true }));
  const rx = createSocket('udp4');
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  let got = 0;
  rx.on('message', (m) => {
    got++;
    ws.send(m.subarray(12));
  });
  const cpu = await drive(rx.address().port, () => got, app.expect(FRAMES));
  rx.close();
  ws.close();
  return cpu;
}

async function didml(app) {
  const stream = await TwilioMediaStream.open({ url: app.url, accountSid: 'AC0', callSid: 'CA0', streamSid: 'MZ0', parameters: {} });
  let got = 0;
  const rtp = await RtpSession.open({
    address: '127.0.0.1',
    offer: { codec: 'PCMU', dtmf: 101, remote: { address: '127.0.0.1', port: 9 } },
    onAudio: (f) => {
      got++;
      stream.audio(f);
    },
    onDtmf: () => {},
  });
  stream.attach(rtp);
  // `connected` and `start` come first: the app counts them too.
  const cpu = await drive(rtp.port, () => got, app.expect(FRAMES + 2));
  stream.stop();
  rtp.close();
  return cpu;
}

const app = await sink();
let bestBare = Infinity;
let bestDidml = Infinity;
for (let i = 0; i < ROUNDS; i++) {
  bestBare = Math.min(bestBare, await bare(app));
  bestDidml = Math.min(bestDidml, await didml(app));
}
await app.close();
const perFrame = (cpu) => cpu / FRAMES;
const row = (name, cpu, target) =>
  `${name.padEnd(44)} ${FRAMES} frames ${perFrame(cpu).toFixed(1).padStart(7)} µs cpu/frame ${(cpu / bestBare).toFixed(2).padStart(6)}x  (target ${target})`;
console.log(`\nmedia: ${FRAMES} RTP frames (20 ms of G.711) on loopback to a websocket, best of ${ROUNDS}; per frame, this process's CPU`);
console.log(row('bare dgram → binary websocket (baseline)', bestBare, '1x'));
console.log(row('didml RTP → Twilio media message', bestDidml, '≤ 3x'));
// 50 frames a second per call; the app's websocket server runs in this process too, so this is a floor.
console.log(`${''.padEnd(44)} ${(1e6 / perFrame(bestDidml) / 50).toFixed(0)} calls' worth of caller audio per core (the app's server included)`);
