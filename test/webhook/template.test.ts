// Folder documents are templates, as TwiML Bins are: rendered with the request's parameters
// (query string and POST body), XML-escaped, with sections, lists from `Name[]` and e164.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../src/parse/index.js';
import { simulateCall } from '../../src/runtime/simulate.js';
import { cachedFolderTransport } from '../../src/testing/folder-cache.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { folderAppUrl } from '../../src/webhook/folder.js';
import { renderTemplate, templateView, toE164 } from '../../src/webhook/template.js';
import type { FetchOutcome, HttpMethod } from '../../src/webhook/types.js';

const render = (text: string, query = '', body?: string) => renderTemplate(text, templateView(`app://t/doc${query}`, body), 'doc.xml');

describe('templateView', () => {
  it('takes the query, then the body, which wins where both name a parameter', () => {
    const view = templateView('app://t/menu?Name=Jane&From=query', 'From=%2B14155550100&Digits=1');
    expect({ ...view, e164: undefined }).toEqual({ Name: 'Jane', From: '+14155550100', Digits: '1', e164: undefined });
  });

  it('gathers Name[] into the list Name, in order; a repeated plain name keeps its last value', () => {
    const view = templateView('app://t/dial?Dest[]=%2B12025551212&Dest%5B%5D=%2B17035551212&Tier=a&Tier=b', undefined);
    expect(view['Dest']).toEqual(['+12025551212', '+17035551212']);
    expect(view['Tier']).toBe('b');
  });

  it('has no prototype: {{constructor}} is no parameter', () => {
    expect(render('<Say>[{{constructor}}][{{toString}}]</Say>')).toBe('<Say>[][]</Say>');
  });
});

describe('renderTemplate', () => {
  it('puts parameters in text and attributes', () => {
    expect(render('<Dial callerId="{{From}}">{{To}}</Dial>', '', 'From=%2B14155550100&To=%2B14155550199')).toBe(
      '<Dial callerId="+14155550100">+14155550199</Dial>',
    );
  });

  it('escapes what XML needs in {{x}}, so a value cannot add markup; {{{x}}} is raw', () => {
    const out = render(`<Say voice="{{V}}">{{Name}}</Say><Say>{{{Raw}}}</Say>`, `?Name=${encodeURIComponent(`<Hangup/> & "x" 'y'`)}&V=${encodeURIComponent('a" loop="9')}&Raw=${encodeURIComponent('<Pause/>')}`);
    expect(out).toBe('<Say voice="a&quot; loop&#x3D;&quot;9">&lt;Hangup&#x2F;&gt; &amp; &quot;x&quot; &#39;y&#39;</Say><Say><Pause/></Say>');
    // And XML reads the escaped values back as they were sent.
    const doc = parse(`<Response>${out}</Response>`);
    expect(doc.diagnostics).toEqual([]);
    expect(doc.root?.children[0]).toMatchObject({ text: `<Hangup/> & "x" 'y'`, attrs: [{ name: 'voice', value: 'a" loop="9' }] });
  });

  it('replaces characters XML cannot hold, so a value never makes the document unreadable', () => {
    const out = render('<Say>{{Name}}</Say>', `?Name=${encodeURIComponent('a\u0001b')}`);
    expect(out).toBe('<Say>a\uFFFDb</Say>');
    expect(parse(`<Response>${out}</Response>`).diagnostics).toEqual([]);
  });

  it('renders a section when its parameter is there and not empty, an inverted one otherwise', () => {
    const t = '{{#Digits}}<Redirect>/menu/{{Digits}}</Redirect>{{/Digits}}{{^Digits}}<Say>Nothing?</Say>{{/Digits}}';
    expect(render(t, '', 'Digits=2')).toBe('<Redirect>/menu/2</Redirect>');
    expect(render(t, '', 'Digits=')).toBe('<Say>Nothing?</Say>');
    expect(render(t)).toBe('<Say>Nothing?</Say>');
  });

  it('repeats a section for each item of a list (simultaneous ring from Dest[])', () => {
    const t = '<Dial>{{#Dest}}<Number>{{.}}</Number>{{/Dest}}</Dial>';
    expect(render(t, '?Dest[]=%2B12025551212&Dest[]=%2B17035551212')).toBe('<Dial><Number>+12025551212</Number><Number>+17035551212</Number></Dial>');
    expect(render(t)).toBe('<Dial></Dial>');
  });

  it('e164 takes the number out of a SIP URI, and formats a loose NANP number', () => {
    const t = '<Dial>{{#e164}}{{To}}{{/e164}}</Dial>';
    expect(render(t, '', `To=${encodeURIComponent('sip:+14155550199@example.sip.twilio.com;transport=tcp')}`)).toBe('<Dial>+14155550199</Dial>');
    expect(render(t, '', `To=${encodeURIComponent('(415) 555-0199')}`)).toBe('<Dial>+14155550199</Dial>');
    expect(toE164('sip:alice@example.com')).toBe('sip:alice@example.com');
    expect(toE164('tel:+44-20-7183-8750')).toBe('+442071838750');
  });

  it('comes back unchanged without a {{', () => {
    const text = '<Response><Say>{ not a tag }</Say></Response>';
    expect(render(text, '?Say=x')).toBe(text);
  });

  it.each([
    ['<Response>\n  {{#Digits}}<Say>x</Say>\n</Response>', 'doc.xml:2:3: {{#Digits}} is never closed: end the section with {{/Digits}}'],
    ['<Say>{{#a}}x{{/b}}</Say>', 'doc.xml:1:13: {{/b}} closes a section that is not open: the open one is {{#a}}; close it first with {{/a}}'],
    ['<Say>x{{/a}}</Say>', 'doc.xml:1:7: {{/a}} closes a section that was never opened'],
    ['<Say>{{From</Say>', 'doc.xml:1:6: a tag opened with {{ is never closed: end it with }}'],
    ['<Say>{{> greeting}}</Say>', 'doc.xml:1:6: {{> greeting}} is a partial'],
    ['<Dial>{{e164}}</Dial>', 'doc.xml:1:7: {{e164}} is a function, not a value: wrap what it converts, {{#e164}}{{To}}{{/e164}}'],
    ['<Response>{{#if From == "+14155550100"}}<Hangup/>{{/if}}</Response>', 'doc.xml:1:11: {{#if From == "+14155550100"}}: a Mustache name has no spaces, and a template cannot compare'],
    ['<Say>{{#if Digits}}x{{/if Digits}}</Say>', 'doc.xml:1:6: {{#if Digits}}: a Mustache name has no spaces'],
    ['<Say>{{From Number}}</Say>', 'doc.xml:1:6: {{From Number}}: a Mustache name has no spaces'],
  ])('refuses a malformed template, naming the place: %s', (text, message) => {
    let error: unknown;
    try {
      render(text);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'DIDML_DOCUMENT_INVALID', twilioCode: 12100 });
    expect((error as Error).message).toContain(message);
  });
});

describe('folder apps render their documents per request', () => {
  let app: string;
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'didml-bins-'));
    writeFileSync(join(app, 'voice.xml'), '<Response><Say>Hello {{From}}, {{Name}}</Say></Response>');
    writeFileSync(join(app, 'static.xml'), '<Response><Say>Hello</Say></Response>');
    writeFileSync(join(app, 'broken.xml'), '<Response>{{#Digits}}<Say>x</Say></Response>');
    writeFileSync(join(app, 'big.xml'), `<Response>{{#L}}<Say>${'x'.repeat(100)}</Say>{{/L}}</Response>`);
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const body = (o: FetchOutcome) => (o.ok ? o.document.body : `${o.failure.error.code}: ${o.failure.error.message}`);
  const fetchWith = (transport: 'folder' | 'cached', path: string, method: HttpMethod, params: Record<string, string>, maxBytes?: number) =>
    createWebhookClient({ appRoot: app, ...(transport === 'cached' ? { transport: cachedFolderTransport(app) } : {}), ...(maxBytes ? { maxBytes } : {}) })
      .fetchDocument({ url: folderAppUrl(app, path), method, params });

  it.each(['folder', 'cached'] as const)('%s: POST body and query, GET query', async (transport) => {
    expect(body(await fetchWith(transport, 'voice?Name=Jane', 'POST', { From: '+14155550100' }))).toBe('<Response><Say>Hello +14155550100, Jane</Say></Response>');
    expect(body(await fetchWith(transport, 'voice?Name=Joe', 'GET', { From: '+14155550111' }))).toBe('<Response><Say>Hello +14155550111, Joe</Say></Response>');
  });

  it('the cached transport renders each request anew', async () => {
    const client = createWebhookClient({ appRoot: app, transport: cachedFolderTransport(app) });
    const a = await client.fetchDocument({ url: folderAppUrl(app, 'voice'), method: 'POST', params: { From: 'A' } });
    const b = await client.fetchDocument({ url: folderAppUrl(app, 'voice'), method: 'POST', params: { From: 'B' } });
    expect([body(a), body(b)]).toEqual(['<Response><Say>Hello A, </Say></Response>', '<Response><Say>Hello B, </Say></Response>']);
  });

  it.each(['folder', 'cached'] as const)('%s: a malformed template fails as a document that cannot be run (12100), naming file, line and column', async (transport) => {
    const out = await fetchWith(transport, 'broken', 'POST', {});
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure.error).toMatchObject({ code: 'DIDML_DOCUMENT_INVALID', twilioCode: 12100 });
    expect(out.failure.error.message).toContain(`${join(app, 'broken.xml')}:1:11: {{#Digits}} is never closed: end the section with {{/Digits}}`);
  });

  it.each(['folder', 'cached'] as const)('%s: a template that renders past the size limit is refused like a large file, naming it', async (transport) => {
    const url = `${folderAppUrl(app, 'big')}?${Array.from({ length: 30 }, () => 'L[]=x').join('&')}`;
    const client = createWebhookClient({ appRoot: app, maxBytes: 1000, ...(transport === 'cached' ? { transport: cachedFolderTransport(app) } : {}) });
    const out = await client.fetchDocument({ url, method: 'POST', params: {} });
    expect(out.ok ? 'ok' : out.failure.error.code).toBe('DIDML_WEBHOOK_TOO_LARGE');
    expect(out.ok ? '' : out.failure.error.message).toContain(`${join(app, 'big.xml')} renders to 3351 bytes`);
  });

  it('a call runs the rendered document: the caller hears their own number', async () => {
    const { events } = await simulateCall({ app, call: { from: '+14155550123' } });
    expect(events.find((e) => e.type === 'say')).toMatchObject({ text: 'Hello +14155550123,' });
  });

  it('a call rings every Dest[] of a redirect at once, and dials a SIP caller back by e164', async () => {
    const ring = mkdtempSync(join(tmpdir(), 'didml-bins-ring-'));
    try {
      writeFileSync(join(ring, 'voice.xml'), '<Response><Redirect>/ring?Dest[]=%2B14155550123&amp;Dest[]=%2B14155550124</Redirect></Response>');
      writeFileSync(join(ring, 'ring.xml'), '<Response><Dial callerId="{{#e164}}{{From}}{{/e164}}">{{#Dest}}<Number>{{.}}</Number>{{/Dest}}</Dial></Response>');
      const { summary, events } = await simulateCall({ app: ring, call: { from: 'sip:+14155550100@pbx.example.com' } });
      expect(summary.errors).toEqual([]);
      const dial = events.find((e) => e.type === 'dial');
      expect(dial).toMatchObject({ callerId: '+14155550100' });
      expect(dial?.['targets']).toEqual([{ kind: 'number', number: '+14155550123' }, { kind: 'number', number: '+14155550124' }]);
    } finally {
      rmSync(ring, { recursive: true, force: true });
    }
  });

  it('a static document is served as written', async () => {
    expect(body(await fetchWith('folder', 'static?Say=x', 'POST', { From: 'x' }))).toBe('<Response><Say>Hello</Say></Response>');
  });
});
