#!/usr/bin/env node
// Folder documents as templates (TwiML Bins), run at the end of `npm run bench` (or alone:
// `node bench/templates.mjs` after `npx tsc -p tsconfig.build.json`). Printed beside a baseline
// measured in the same run, never asserted (timings depend on the machine):
//   1. a static document through the folder transport as it was before templates (render: false):
//      the baseline;
//   2. the same static document through the transport as it is (it looks for a `{{` and finds
//      none). Target: the same as 1, within noise;
//   3. a template of the same size with placeholders, a section and a list, rendered for each
//      request from its POST parameters. Target: within 1.5x of 1 (the file is read either way);
//   4. rendering alone (parameters parsed, the cached template rendered), per request.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const { folderTransport, folderAppUrl } = await dist('webhook/folder.js');
const { renderTemplate, templateView } = await dist('webhook/template.js');

const N = 5000;
const ROUNDS = 5;

const STATIC = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather action="/menu" method="POST" numDigits="1" timeout="5">
    <Say voice="Polly.Joanna">Thanks for calling, +14155550100. For sales press 1. For support press 2.</Say>
  </Gather>
  <Say>We did not hear anything.</Say>
  <Dial callerId="+14155550199"><Number>+14155550123</Number><Number>+14155550124</Number></Dial>
  <Redirect method="POST">/voice?Retried=yes</Redirect>
</Response>
`;
const TEMPLATE = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather action="/menu" method="POST" numDigits="1" timeout="5">
    <Say voice="Polly.Joanna">Thanks for calling, {{From}}. For sales press 1. For support press 2.</Say>
  </Gather>
  {{^Retried}}<Say>We did not hear anything.</Say>{{/Retried}}
  <Dial callerId="{{#e164}}{{To}}{{/e164}}">{{#Dest}}<Number>{{.}}</Number>{{/Dest}}</Dial>
  <Redirect method="POST">/voice?Retried=yes</Redirect>
</Response>
`;

const dir = mkdtempSync(join(tmpdir(), 'didml-bench-bins-'));
writeFileSync(join(dir, 'static.xml'), STATIC);
writeFileSync(join(dir, 'template.xml'), TEMPLATE);

const params = new URLSearchParams({ CallSid: 'CA0123', From: '+14155550100', To: 'sip:+14155550199@sip.example.com', Direction: 'inbound', CallStatus: 'in-progress' });
const body = params.toString();
const request = (path, query = '') => ({
  url: folderAppUrl(dir, path) + query,
  method: 'POST',
  headers: {},
  body,
  connectTimeoutMs: 5000,
  readTimeoutMs: 5000,
  maxBytes: 65536,
});

async function best(fn) {
  let ms = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    ms = Math.min(ms, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}

const raw = folderTransport(dir, { render: false });
const live = folderTransport(dir);
const signal = new AbortController().signal;
const staticReq = request('static');
const templateReq = request('template', '?Dest[]=%2B14155550123&Dest[]=%2B14155550124');

// Same output, or the comparison means nothing.
const rendered = (await live.send(templateReq, signal)).body;
if (!rendered.includes('<Number>+14155550124</Number>') || rendered.includes('{{')) throw new Error(`the template did not render: ${rendered}`);

for (const t of [raw, live]) for (let i = 0; i < 500; i++) await t.send(i % 2 ? staticReq : templateReq, signal); // warm up
const base = await best(() => raw.send(staticReq, signal));
const staticLive = await best(() => live.send(staticReq, signal));
const templated = await best(() => live.send(templateReq, signal));
const renderOnly = await best(() => renderTemplate(TEMPLATE, templateView(templateReq.url, body), 'template.xml'));
rmSync(dir, { recursive: true, force: true });

const row = (name, ms, target) =>
  `${name.padEnd(44)} ${((ms / N) * 1000).toFixed(1).padStart(9)} µs  ${(ms / base).toFixed(2).padStart(6)}x  (target ${target})`;
console.log(`\nfolder documents as templates: ${N} requests per round, best of ${ROUNDS}`);
console.log(row('static document, no rendering (baseline)', base, '1x'));
console.log(row('static document, as served now', staticLive, '≈ 1x'));
console.log(row('template, rendered per request', templated, '≤ 1.5x'));
console.log(row('rendering alone (params + render)', renderOnly, '-'));
