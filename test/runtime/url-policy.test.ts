// A document may send the call only to URLs of the app's own kind: an app on the web cannot make
// the runtime read local files, and a folder app cannot make it reach the network.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, runApp, xml, type TestApp } from './support.js';
import { simulateCall } from '../../src/runtime/simulate.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('URL policy', () => {
  it.each(['file:///etc/', 'app://anything/secret'])('a web app cannot redirect the call to %s', async (target) => {
    app = await startApp({ '/voice': xml(`<Redirect>${target}</Redirect>`) });
    const { summary, events } = await runApp({ app: app.url('/voice') });
    expect(summary.errors.map((e) => e.code)).toEqual(['DIDML_URL_FORBIDDEN']);
    expect(summary.errors[0]!.message).toContain(`${target}: an app at ${app.url('/voice')} may not send the call`);
    // Nothing was requested but the first document, and the caller heard the application error.
    expect(events.filter((e) => e.type === 'webhook')).toHaveLength(1);
    expect(events.some((e) => e.type === 'say' && /application error/.test(String(e['text'])))).toBe(true);
  });

  it('a folder app cannot send the call to the network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'didml-app-'));
    writeFileSync(join(dir, 'voice.xml'), xml('<Gather action="http://127.0.0.1:9/steal" numDigits="1"><Say>Press a key</Say></Gather>'));
    const { summary } = await simulateCall({ app: dir, call: { caller: [{ digits: '1' }] } });
    expect(summary.errors.map((e) => e.code)).toEqual(['DIDML_URL_FORBIDDEN']);
  });

  it('a folder app reaches its documents by absolute and relative paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'didml-app-'));
    writeFileSync(join(dir, 'voice.xml'), xml('<Gather action="/menu" numDigits="1"><Say>Press a key</Say></Gather>'));
    writeFileSync(join(dir, 'menu.xml'), xml('<Say>Menu</Say><Redirect>bye</Redirect>'));
    writeFileSync(join(dir, 'bye.xml'), xml('<Say>Bye</Say><Hangup/>'));
    const { summary, events } = await simulateCall({ app: dir, call: { caller: [{ digits: '1' }] } });
    expect(summary.errors).toEqual([]);
    const label = dir.split('/').pop()!.toLowerCase();
    expect(events.filter((e) => e.type === 'webhook').map((e) => e['url'])).toEqual([`app://${label}/`, `app://${label}/menu`, `app://${label}/bye`]);
    expect(events.filter((e) => e.type === 'say').map((e) => e['text'])).toEqual(['Press a key', 'Menu', 'Bye']);
  });
});
