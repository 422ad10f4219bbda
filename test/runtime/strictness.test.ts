// A document that is not well-formed runs as its platform would run it, against a real app on
// loopback: Twilio (and cXML, TeXML, Plivo) refuse it with 12100 (12102 without <Response>), so
// the fallback URL gets the error and the caller hears nothing of the broken document; DIDforSale's
// engine is lenient, so DIDML runs what the parser recovered, with the warning in the transcript.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APPLICATION_ERROR } from '../../src/runtime/session.js';
import { simulateCall } from '../../src/runtime/simulate.js';
import { heard, ofType, one, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const BROKEN = [
  { name: 'an unclosed <Say>', body: '<Response><Say>unclosed', code: 12100 },
  { name: 'a truncated <Dial>', body: '<Response><Dial><Number>+14155550123</Number>', code: 12100 },
  { name: 'a <Say> closed by </say>', body: '<Response><Say>Hi</say></Response>', code: 12100 },
  { name: 'an unquoted attribute', body: '<Response><Say voice=alice>Hi</Say></Response>', code: 12100 },
  { name: 'no <Response> root', body: '<Say>Hello</Say><Dial>+14155550123</Dial>', code: 12102 },
];

describe('TwiML that is not well-formed fails as on Twilio', () => {
  it.each(BROKEN)('$name: the fallback gets ErrorCode $code, nothing of the document runs', async (c) => {
    app = await startApp({ '/voice': c.body, '/fallback': xml('<Say>Sorry, try later</Say>') });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), fallbackUrl: app.url('/fallback'), dialect: 'twiml' } });
    expect(app.to('/fallback')[0]!.params).toMatchObject({ ErrorCode: String(c.code), ErrorUrl: app.url('/voice') });
    expect(heard(events)).toEqual(['Sorry, try later']);
    expect(ofType(events, 'dial')).toEqual([]);
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'DIDML_DOCUMENT_INVALID', twilioCode: c.code, url: app.url('/voice') })]);
    expect(one(events, 'error')).toMatchObject({ code: 'DIDML_DOCUMENT_INVALID', twilioCode: c.code });
  });

  it('without a fallback the caller hears the application error (auto-detected TwiML too)', async () => {
    app = await startApp({ '/voice': '<Response><Dial><Number>+14155550123</Number>' });
    const { events, summary } = await runApp({ app: app.url('/voice') });
    expect(heard(events)).toEqual([APPLICATION_ERROR]);
    expect(ofType(events, 'dial')).toEqual([]);
    expect(summary.errors[0]).toMatchObject({ twilioCode: 12100, message: expect.stringMatching(/never closed/) });
  });

  it('strictness "lenient" runs what was recovered, with the warning', async () => {
    app = await startApp({ '/voice': '<Response><Say>unclosed' });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), strictness: 'lenient' } });
    expect(heard(events)).toEqual(['unclosed']);
    expect(one(events, 'warning')).toMatchObject({ rule: 'xml/unclosed-tag', line: 1 });
    expect(summary.errors).toEqual([]);
  });

  it('a byte that are not UTF-8 fail the document in TwiML', async () => {
    app = await startApp({ '/voice': { body: Buffer.from('<Response><Say>caf\xe9</Say></Response>', 'latin1'), contentType: 'application/xml' } });
    const { summary } = await runApp({ app: { url: app.url('/voice'), dialect: 'twiml' } });
    expect(summary.errors[0]).toMatchObject({ twilioCode: 12100, message: expect.stringMatching(/not valid UTF-8.*offset 18/) });
  });
});

describe('a folder app reads its files as bytes', () => {
  const folder = (voice: Buffer) => {
    const dir = mkdtempSync(join(tmpdir(), 'didml-strict-app-'));
    writeFileSync(join(dir, 'voice.xml'), voice);
    return dir;
  };

  it('a byte that is not UTF-8 is reported at its place, and the TwiML document fails', async () => {
    const { summary } = await simulateCall({ app: folder(Buffer.from('<Response>\n<Say>caf\xe9</Say></Response>', 'latin1')) });
    expect(summary.errors[0]).toMatchObject({ twilioCode: 12100, message: expect.stringMatching(/2:9 The document is not valid UTF-8 \(first bad byte at offset 19\)/) });
  });

  it('in a template too, where rendering moved it', async () => {
    const { summary } = await simulateCall({ app: folder(Buffer.from('<Response>\n<Say>{{From}} caf\xe9</Say></Response>', 'latin1')) });
    expect(summary.errors[0]).toMatchObject({ twilioCode: 12100, message: expect.stringMatching(/2:22 The document is not valid UTF-8/) });
  });

  it('a file in the encoding its declaration names runs as written', async () => {
    const { events, summary } = await simulateCall({ app: folder(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><Response><Say>caf\xe9</Say></Response>', 'latin1')) });
    expect(summary.errors).toEqual([]);
    expect(heard(events)).toEqual(['café']);
  });
});

describe('DIDML is run leniently, as DIDforSale runs it', () => {
  it("DIDforSale's own <sip> closed by </Say> is dialled, with the warning in the transcript", async () => {
    app = await startApp({ '/voice': '<Response><dial><sip>sip:agent@pbx.example.com</Say></dial></Response>' });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), dialect: 'didml' } });
    expect(one(events, 'warning')).toMatchObject({ rule: 'xml/mismatched-close-tag' });
    expect(ofType(events, 'dial').length).toBe(1);
    expect(summary.errors).toEqual([]);
  });

  it('strictness "strict" makes it fail like TwiML', async () => {
    app = await startApp({ '/voice': '<Response><dial><sip>sip:agent@pbx.example.com</Say></dial></Response>' });
    const { events, summary } = await runApp({ app: { url: app.url('/voice'), dialect: 'didml', strictness: 'strict' } });
    expect(ofType(events, 'dial')).toEqual([]);
    expect(summary.errors[0]).toMatchObject({ code: 'DIDML_DOCUMENT_INVALID', twilioCode: 12100 });
  });
});
