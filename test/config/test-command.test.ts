// `didml test` runs an app's documents with the dialect and strictness of the didml.config.json
// of the app's folder, as `didml call` and `didml serve` do; the scenario's own app settings win,
// and --no-config runs without it.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

/** A folder app answering a TwiML document that is not well-formed, its scenario expecting it spoken. */
function project(config: object | undefined, app: object = { url: 'app' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'didml-test-config-'));
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'voice.xml'), '<Response><Say>Still spoken</Say><Hangup/>');
  if (config) writeFileSync(join(dir, 'app', 'didml.config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'spoken.call.json'), JSON.stringify({ app, expect: [{ say: 'Still spoken' }] }));
  return dir;
}

describe('didml test and the lint config', () => {
  it("the app folder's strictness applies: lenient runs the recovered TwiML", async () => {
    const r = await cli(['test', project({ strictness: 'lenient' })]);
    expect(r.out).toMatch(/1 passed/);
    expect(r.code).toBe(0);
  });

  it('without a config the TwiML document fails as on Twilio, and the scenario with it', async () => {
    const r = await cli(['test', project(undefined)]);
    expect(r.code).toBe(1);
  });

  it('--no-config leaves the config out; the scenario\'s own strictness wins over it', async () => {
    expect((await cli(['test', '--no-config', project({ strictness: 'lenient' })])).code).toBe(1);
    expect((await cli(['test', project({ strictness: 'lenient' }, { url: 'app', strictness: 'strict' })])).code).toBe(1);
  });

  it('a bad config makes the scenario invalid, naming the file and the key (exit 2)', async () => {
    const r = await cli(['test', project({ strictnes: 'lenient' })]);
    expect(r.code).toBe(2);
    expect(r.out + r.err).toMatch(/didml\.config\.json.*strictnes/);
  });
});
