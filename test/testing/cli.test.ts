// `didml test` as a user runs it: exit codes, the three formats, and --update writing snapshots.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const repo = join(import.meta.dirname, '../..');
const flows = join(repo, 'fixtures/flows');
const failing = join(repo, 'fixtures/flows-failing');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

describe('didml test', () => {
  it('exits 0 when every scenario passes, and says how many ran', async () => {
    const r = await cli(['test', flows]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+ scenarios: \d+ passed, 1 pending \(\d+ ms\)$/m);
    expect(r.out).toContain('✓ ');
    expect(r.out).toMatch(/^- .*runtime-refuses-a-from-not-in-e164\.call\.json .* pending: the From check is the SIP backend's/m);
  });

  it('exits 1 when a scenario fails, and prints the step, what was expected, what happened and the transcript', async () => {
    const r = await cli(['test', join(failing, 'expectations/wrong-say-text.call.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      [
        '    step 2 of 2: say "Connecting you to marketing."',
        '      expected: say "Connecting you to marketing." as the next say after step 1 (5.52 s)',
        '      happened: the next say (at 5.52 s) differs: text is "Connecting you to sales." (expected "Connecting you to marketing.")',
        '      transcript:',
        '              5.5s  caller presses 1',
      ].join('\n'),
    );
    expect(r.out).toMatch(/^1 scenario: 0 passed, 1 failed \(\d+ ms\)$/m);
  });

  it('exits 2 for an invalid scenario, even beside failures, naming each key that is wrong', async () => {
    const r = await cli(['test', failing]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('! fixtures/flows-failing/invalid/misspelt-keys.call.json  invalid scenario\n    call.caller[0]: unknown key "digit"');
    expect(r.out).toMatch(/^\d+ scenarios: 0 passed, \d+ failed, 9 invalid/m);
  });

  it('exits 2 for a path that does not exist or holds no scenario', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'didml-test-'));
    const r = await cli(['test', empty, join(empty, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`didml test: ${empty}: no *.call.json files in this folder\ndidml test: ${join(empty, 'nope')}: no such file or folder\n`);
  });

  it('--format json: a summary and one entry per scenario with its failures as data', async () => {
    const r = await cli(['test', '--format', 'json', join(failing, 'expectations/wrong-x-ei-header.call.json'), join(flows, 'synthflow')]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.summary).toMatchObject({ scenarios: 4, passed: 3, failed: 1, invalid: 0, pending: 0 });
    const failed = report.results[0];
    expect(failed).toMatchObject({ status: 'failed', steps: 1, call: { status: 'completed', duration: 35 } });
    expect(failed.failures[0]).toMatchObject({
      step: 0,
      title: 'step 1 of 1: dial {to: "sip:+18005550100@sipin.synthflow.ai:32681", headers: {X-EI: "+14155550100"}}',
      happened: 'the next dial (at 0 s) differs: headers.X-EI is "CA00000000000000000000000000000000" (expected "+14155550100")',
    });
    expect(failed.failures[0].excerpt).toContain('>     0.0s  dial sip:+18005550100@sipin.synthflow.ai:32681 [X-EI: CA00000000000000000000000000000000]');
    expect(report.results.slice(1).map((x: { status: string }) => x.status)).toEqual(['passed', 'passed', 'passed']);
  });

  it('--format junit: a test case per scenario, failures with the report, invalid ones as errors, pending as skipped', async () => {
    const r = await cli(['test', '--format', 'junit', join(failing, 'expectations/wrong-final-status.call.json'), join(failing, 'invalid/bad-regex.call.json'), join(flows, 'vida')]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="didml test" tests="8" failures="1" errors="1" skipped="1" time="[\d.]+">/);
    expect(r.out).toContain('<failure message="step 2 of 2: status &quot;completed&quot;" type="expectation">step 2 of 2: status &quot;completed&quot;\n  expected: status &quot;completed&quot; at the end of the call');
    expect(r.out).toContain('<error message="invalid scenario" type="invalid">expect[0].webhook.params.Digits.regex: not a valid regular expression');
    expect(r.out).toMatch(/<skipped message="the From check is the SIP backend's/);
    expect(r.out.match(/<testcase /g)).toHaveLength(8);
  });

  it('--update writes the transcript into the scenario as its snapshot, changing nothing else; the next run holds the call to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'didml-test-'));
    cpSync(join(flows, 'voicemail'), dir, { recursive: true });
    const file = join(dir, 'leave-a-message.call.json');
    const before = readFileSync(file, 'utf8');
    const r = await cli(['test', '--update', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('snapshot written');
    const after = readFileSync(file, 'utf8');
    expect(after.startsWith(before.replace(/\n  \]\n\}\n$/, '\n  ],\n  "snapshot": [\n'))).toBe(true);
    const snapshot = JSON.parse(after).snapshot as string[];
    expect(snapshot.slice(0, 3)).toEqual([
      '0.000s call from +14155550100 to +14155550199',
      '0.000s → POST app://mailbox/ (200) CallStatus=ringing',
      '0.000s answered',
    ]);
    expect(snapshot).toContain('16.560s → POST app://mailbox/recorded (200) CallStatus=in-progress RecordingUrl=file:///didml-mock/recordings/RE00000000000000010000000000000001.wav RecordingSid=RE00000000000000000000000000000001 RecordingDuration=12 Digits=*');
    expect((await cli(['test', file])).code).toBe(0);
    // Run again with --update: nothing changes, nothing is written.
    expect((await cli(['test', '--update', file])).out).not.toContain('snapshot written');
    expect(readFileSync(file, 'utf8')).toBe(after);
    // The call goes differently: the snapshot catches it.
    writeFileSync(join(dir, 'mailbox/recorded.xml'), '<Response><Say>Thanks!</Say><Hangup/></Response>');
    const changed = await cli(['test', file]);
    expect(changed.code).toBe(1);
    expect(changed.out).toContain('snapshot: the call went differently from the recorded transcript (run didml test --update to accept the new one)');
  });

  it('runs a scenario against a live app on loopback, signing its webhooks', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-twilio-signature'] ? 'signed' : 'unsigned'}`);
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response><Say>Hello from a real server.</Say></Response>');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'didml-test-'));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/voice`;
      writeFileSync(join(dir, 'live.call.json'), JSON.stringify({ app: url, authToken: 's3cret', expect: [{ webhook: { url, status: 200 } }, { say: 'Hello from a real server.' }] }));
      const r = await cli(['test', dir]);
      expect(r.out).toMatch(/^✓ .*live\.call\.json {2}2 steps, 2 s of call$/m);
      expect(r.code).toBe(0);
      expect(seen).toEqual(['POST /voice signed']);
    } finally {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  });

  it('runs the bundled examples\' scenarios green (examples/outbound-reminder: placed calls and a handoff; examples/ivr: each branch of a template menu; examples/relay-agent and media-agent: real agents they start)', async () => {
    const r = await cli(['test', join(repo, 'examples')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^13 scenarios: 13 passed \(\d+ ms\)$/m);
    expect(r.out).toContain('✓ examples/relay-agent/booked.call.json');
    expect(r.out).toContain('✓ examples/media-agent/conversation.call.json');
    expect(r.out).toContain('✓ examples/outbound-reminder/agent-handoff.call.json');
    expect(r.out).toContain('✓ examples/ivr/support.call.json');
  });

  it('runs from the real executable', () => {
    const r = spawnSync(process.execPath, ['bin/didml.js', 'test', 'fixtures/flows/synthflow'], { cwd: repo, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^3 scenarios: 3 passed \(\d+ ms\)$/m);
  });
});
