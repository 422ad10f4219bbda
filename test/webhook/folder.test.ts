// A folder of XML files as an app: which file answers which URL, and that nothing outside the
// folder is ever read.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookClient } from '../../src/webhook/client.js';
import { appSpaceUrl, folderAppUrl, resolveAppFile } from '../../src/webhook/folder.js';
import type { FetchOutcome } from '../../src/webhook/types.js';

let base: string; // holds the app folder and a secret beside it
let app: string;

const doc = (name: string) => `<Response><Say>${name}</Say></Response>`;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'didml-folder-'));
  app = join(base, 'app');
  mkdirSync(join(app, 'a'), { recursive: true });
  mkdirSync(join(app, 'sales'));
  mkdirSync(join(app, 'empty'));
  writeFileSync(join(app, 'voice.xml'), doc('voice'));
  writeFileSync(join(app, 'menu.xml'), doc('menu'));
  writeFileSync(join(app, 'a', 'b.xml'), doc('a/b'));
  writeFileSync(join(app, 'sales', 'voice.xml'), doc('sales'));
  writeFileSync(join(app, 'big.xml'), `<Response>${' '.repeat(2000)}</Response>`);
  writeFileSync(join(base, 'secret.xml'), doc('secret'));
  symlinkSync(join(base, 'secret.xml'), join(app, 'leak.xml'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const body = (o: FetchOutcome) => (o.ok ? o.document.body : `${o.failure.error.code}: ${o.failure.error.message}`);

describe('folder app', () => {
  const get = (path: string, options = {}) =>
    createWebhookClient({ appRoot: app, ...options }).fetchDocument({ url: folderAppUrl(app, path), method: 'POST', params: { CallSid: 'CA1' } });

  it.each([
    ['', 'voice'],
    ['voice', 'voice'],
    ['menu', 'menu'],
    ['menu.xml', 'menu'],
    ['menu?Digits=1', 'menu'],
    ['a/b', 'a/b'],
    ['sales/', 'sales'],
    ['a/../menu', 'menu'],
  ])('/%s answers %s.xml', async (path, expected) => {
    expect(body(await get(path))).toBe(doc(expected));
  });

  it('answers as application/xml, from the URL asked', async () => {
    const out = await get('menu');
    expect(out.ok && out.document).toMatchObject({ status: 200, contentType: 'application/xml; charset=utf-8', url: folderAppUrl(app, 'menu') });
  });

  it('resolves a relative action against the document URL, the way the runtime will', async () => {
    const first = await get('');
    const next = new URL('menu', first.ok ? first.document.url : '').href;
    expect(next).toBe(folderAppUrl(app, 'menu'));
  });

  it('a missing file is a 404 that names the file', async () => {
    const out = await get('nope');
    expect(!out.ok && out.failure.status).toBe(404);
    expect(!out.ok && out.failure.error.code).toBe('DIDML_WEBHOOK_STATUS');
    expect(!out.ok && out.failure.error.message).toContain(`${join(app, 'nope.xml')} does not exist`);
  });

  it('a folder without voice.xml is a 404 too', async () => {
    const out = await get('empty/');
    expect(!out.ok && out.failure.status).toBe(404);
  });

  it('refuses .. out of the folder', async () => {
    const out = await get('../secret');
    expect(!out.ok && out.failure.error.code).toBe('DIDML_URL_FORBIDDEN');
    expect(!out.ok && out.failure.error.message).toContain('is outside the app folder');
  });

  it('refuses a symbolic link that points out of the folder', async () => {
    const out = await get('leak');
    expect(!out.ok && out.failure.error.code).toBe('DIDML_URL_FORBIDDEN');
  });

  it('applies the size limit before reading', async () => {
    const out = await get('big', { maxBytes: 1000 });
    expect(!out.ok && out.failure.error.code).toBe('DIDML_WEBHOOK_TOO_LARGE');
  });

  it('without appRoot, the first file: URL asked for fixes the app folder', async () => {
    const client = createWebhookClient();
    const first = await client.fetchDocument({ url: folderAppUrl(app), method: 'POST', params: {} });
    expect(body(first)).toBe(doc('voice'));
    const outside = await client.fetchDocument({ url: new URL('../secret', folderAppUrl(app)).href, method: 'POST', params: {} });
    expect(!outside.ok && outside.failure.error.code).toBe('DIDML_URL_FORBIDDEN');
  });
});

describe('resolveAppFile', () => {
  const file = (url: string) => {
    const r = resolveAppFile('/srv/app', url);
    return 'file' in r ? r.file : r.error.code;
  };

  it('maps URLs to files', () => {
    expect(file('file:///srv/app/')).toBe('/srv/app/voice.xml');
    expect(file('file:///srv/app')).toBe('/srv/app/voice.xml');
    expect(file('file:///srv/app/x/y')).toBe('/srv/app/x/y.xml');
  });

  it('refuses escapes however they are spelled', () => {
    expect(file('file:///srv/app/../etc/passwd')).toBe('DIDML_URL_FORBIDDEN');
    expect(file('file:///srv/app/%2e%2e/etc/passwd')).toBe('DIDML_URL_FORBIDDEN');
    expect(file('file:///srv/application')).toBe('DIDML_URL_FORBIDDEN'); // a sibling whose name starts the same
    expect(file('file:///srv/app/a%2F..%2F..%2Fetc')).toBe('DIDML_WEBHOOK_URL'); // an encoded slash is never a path
    expect(file('http://srv/app/')).toBe('DIDML_WEBHOOK_URL');
  });
});

describe('app: URLs (the folder as the root of its own URL space)', () => {
  it('serves absolute and relative paths from the folder, as a web app would', () => {
    const file = (url: string) => {
      const r = resolveAppFile('/srv/app', url);
      return 'file' in r ? r.file : r.error.code;
    };
    expect(appSpaceUrl('/srv/My App/')).toBe('app://my-app/');
    expect(new URL('/menu', appSpaceUrl('/srv/app', 'voice')).href).toBe('app://app/menu');
    expect(file('app://app/')).toBe('/srv/app/voice.xml');
    expect(file('app://app/menu')).toBe('/srv/app/menu.xml');
    expect(file('app://app/sales/')).toBe('/srv/app/sales/voice.xml');
    expect(file('app://app/../../etc/passwd')).toBe('/srv/app/etc/passwd.xml'); // dot segments cannot climb above the root
    expect(file('app://app/a%2F..%2F..%2Fetc')).toBe('DIDML_WEBHOOK_URL');
  });

  it('needs the folder: a client without appRoot refuses app: URLs', async () => {
    const out = await createWebhookClient().fetchDocument({ url: 'app://ivr/menu', method: 'POST', params: {} });
    expect(!out.ok && out.failure.error.code).toBe('DIDML_WEBHOOK_URL');
  });
});
