#!/usr/bin/env node
// `didml lsp`: the change-to-diagnostics round trip on a 64 KiB document, as an editor sees it on
// every keystroke: `didml lsp --stdio` in a child process, a one-character textDocument/didChange
// sent over its standard input, timed until textDocument/publishDiagnostics for that version
// arrives. Beside it, the bound: a bare lint() of the same text in this process. Printed as
// p50/p99 and their ratios, never asserted. Run at the end of `npm run bench`, or alone after the
// build: `node bench/lsp.mjs`.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { lint } = await import(pathToFileURL(join(root, 'dist/index.js')).href);

const KEYSTROKES = 300;
const WARMUP = 30;
const LIMIT = 64 * 1024;

/** An IVR of many menus, with a few problems for the linter to report, just under Twilio's 64 KiB. */
function document() {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n';
  const tail = '</Response>\n';
  const menu = (i) =>
    `  <Gather input="dtmf speech" numDigits="1" timeout="${i % 7}" action="/menu/${i}" method="POST">\n` +
    `    <Say voice="Polly.Joanna" language="en-US">Menu ${i}: for sales press 1, for support press 2, or say agent.</Say>\n` +
    `    <Play loop="1">https://cdn.example.com/prompts/menu-${i}.mp3</Play>\n` +
    `  </Gather>\n` +
    (i % 10 === 0 ? `  <Dial timeout="20" callerId="4155550100"><Number>+14155550${String(i).padStart(3, '0')}</Number></Dial>\n` : '') +
    (i % 25 === 0 ? `  <Gather finishOnKey="##" timout="5"/>\n` : '');
  let body = '';
  for (let i = 0; ; i++) {
    const next = menu(i);
    if (Buffer.byteLength(head + body + next + tail) > LIMIT - 64) break;
    body += next;
  }
  return head + body + tail;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const stats = (times) => {
  const s = [...times].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
};

const text = document();
const uri = 'file:///bench/voice.xml';
// Where a keystroke lands: inside the first <Say>'s words; typed, then deleted, by turns.
const at = text.indexOf('for sales');
const before = text.slice(0, at);
const line = before.split('\n').length - 1;
const character = at - (before.lastIndexOf('\n') + 1);

// The bound: lint() of the same text, as many times, in this process.
const bare = [];
for (let i = 0; i < WARMUP + KEYSTROKES; i++) {
  const edited = i % 2 ? text : before + 'x' + text.slice(at);
  const t0 = process.hrtime.bigint();
  lint(edited);
  if (i >= WARMUP) bare.push(Number(process.hrtime.bigint() - t0) / 1e6);
}

const child = spawn(process.execPath, [join(root, 'bin/didml.js'), 'lsp', '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
const waiting = new Map();
let diagnosticsSeen = 0;
connection.onNotification('textDocument/publishDiagnostics', (p) => {
  diagnosticsSeen = p.diagnostics.length;
  waiting.get(p.version)?.();
  waiting.delete(p.version);
});
connection.listen();
await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
await connection.sendNotification('initialized', {});
const published = (version) => new Promise((resolve) => waiting.set(version, resolve));

let version = 1;
let opened = published(version);
await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'xml', version, text } });
await opened;
const round = [];
for (let i = 0; i < WARMUP + KEYSTROKES; i++) {
  version++;
  const change =
    i % 2 === 0
      ? { range: { start: { line, character }, end: { line, character } }, text: 'x' }
      : { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' };
  const done = published(version);
  const t0 = process.hrtime.bigint();
  await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
  await done;
  if (i >= WARMUP) round.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
await connection.sendRequest('shutdown');
await connection.sendNotification('exit');
await new Promise((resolve) => child.on('exit', resolve));
connection.dispose();

const b = stats(bare);
const r = stats(round);
const row = (name, ms, baseline, target) =>
  `${name.padEnd(44)} ${ms.toFixed(2).padStart(9)} ms  ${(ms / baseline).toFixed(2).padStart(6)}x  (target ${target})`;
console.log(`didml lsp: ${KEYSTROKES} one-character changes to a ${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB document (${diagnosticsSeen} diagnostics each)`);
console.log(row('bare lint() of the document, p50 (baseline)', b.p50, b.p50, '1x'));
console.log(row('bare lint() of the document, p99', b.p99, b.p99, '1x'));
console.log(row('didChange → publishDiagnostics, p50', r.p50, b.p50, '≤ 1.5x'));
console.log(row('didChange → publishDiagnostics, p99', r.p99, b.p99, '≤ 2x'));
