// `didml call` and `didml serve` run an app's documents with the dialect and strictness of the
// lint config of the app's folder (serve: the largest document too), the command line winning.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const repo = join(import.meta.dirname, '../..');
// DIDML runs this recovered document (a warning); TwiML's engine refuses it (12100).
const BROKEN = '<Response><say>Hello</say><dial><sip>sip:a@example.com</Say></dial></Response>';

function app(config?: object, doc = BROKEN): string {
  const dir = mkdtempSync(join(tmpdir(), 'didml-app-config-'));
  writeFileSync(join(dir, 'voice.xml'), doc);
  if (config) writeFileSync(join(dir, 'didml.config.json'), JSON.stringify(config));
  return dir;
}

async function call(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['call', '--no-input', '--json', ...args], { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, err, result: out ? (JSON.parse(out) as { errors: { code: string }[]; events: { type: string; text?: string }[] }) : undefined };
}

describe('didml call with a config', () => {
  it('without one, the DIDML document runs, with its warning', async () => {
    const r = await call([app()]);
    expect(r.code).toBe(0);
    expect(r.result!.events.find((e) => e.type === 'say')?.text).toBe('Hello');
  });

  it("strictness strict: the recovered document fails (12100); --lenient wins over the config", async () => {
    const dir = app({ strictness: 'strict' });
    const r = await call([dir]);
    expect(r.code).toBe(1);
    expect(r.result!.errors.map((e) => e.code)).toEqual(['DIDML_DOCUMENT_INVALID']);
    expect(r.err).toContain(`didml call: ${join(dir, 'didml.config.json')}: strictness strict`);
    expect((await call([dir, '--lenient'])).code).toBe(0);
  });

  it('dialect twiml: the document is run as TwiML, whose engine refuses it', async () => {
    const dir = app({ dialect: 'twiml' });
    const r = await call([join(dir, 'voice.xml')]);
    expect(r.code).toBe(1);
    expect(r.result!.errors.map((e) => e.code)).toEqual(['DIDML_DOCUMENT_INVALID']);
  });

  it('a bad config stops the call before it starts, naming file and key', async () => {
    const dir = app({ strictnes: 'strict' });
    const r = await call([dir]);
    expect(r.code).toBe(2);
    expect(r.result).toBeUndefined();
    expect(r.err).toContain(`${join(dir, 'didml.config.json')}: (top level): unknown key "strictnes" (did you mean "strictness"?)`);
  });
});

const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

async function serve(appDir: string, cwd: string): Promise<{ url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [join(repo, 'bin/didml.js'), 'serve', '--app', appDir, '--port', '0'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /runtime on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(stderr)));
  });
  return { url, stderr: () => stderr };
}

const placeCall = async (url: string) =>
  (await (await fetch(`${url}/calls`, { method: 'POST', body: JSON.stringify({ hangupAfter: 1 }) })).json()) as { errors?: { code: string }[]; events: { type: string; text?: string; code?: string }[] };

describe('didml serve with a config', () => {
  it("runs each folder app with its folder's dialect and strictness", async () => {
    const dir = app({ strictness: 'strict' });
    const { url, stderr } = await serve(dir, tmpdir());
    expect(stderr()).toContain(`${join(dir, 'didml.config.json')}: strictness strict`);
    const r = await placeCall(url);
    expect(JSON.stringify(r)).toContain('DIDML_DOCUMENT_INVALID');
    expect(r.events.find((e) => e.type === 'say' && e.text === 'Hello')).toBeUndefined();
  });

  it("takes the largest document from the working folder's config when its own config does not say", async () => {
    const cwd = app({ maxBytes: 1024 });
    const dir = app(undefined, `<Response><Say>${'Hello there. '.repeat(100)}</Say></Response>`);
    const { url, stderr } = await serve(dir, cwd);
    expect(stderr()).toContain(`webhook.maxBytes 1024, from ${join(cwd, 'didml.config.json')}`);
    const r = await placeCall(url);
    expect(JSON.stringify(r)).toContain('DIDML_WEBHOOK_TOO_LARGE');
  });
});
