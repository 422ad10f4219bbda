// <Record transcribe transcribeCallback> on the mock backend, against an app on loopback: the
// transcription's text comes from the caller's script, and Twilio's transcribeCallback parameters
// are POSTed once the recording is done. https://www.twilio.com/docs/voice/twiml/record#transcribe
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { sequentialIds } from '../../src/ids.js';
import { runCall } from '../../src/runtime/session.js';
import { createMockAdapter, type MockCallScript } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { CALL_SID, ofType, one, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const VOICEMAIL = xml('<Say>Leave a message</Say><Record action="/done" transcribe="true" transcribeCallback="/transcribed"/>');

async function voicemail(record = VOICEMAIL): Promise<TestApp> {
  app = await startApp({ '/voice': record, '/done': xml('<Hangup/>'), '/transcribed': '' });
  return app;
}

describe('<Record transcribe>', () => {
  it('POSTs the scripted words to transcribeCallback with the recording and the call', async () => {
    await voicemail();
    const { events, summary } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 7, digits: '#', transcription: 'Call me back about the invoice' }] } });
    const cb = app!.to('/transcribed');
    expect(cb).toHaveLength(1);
    expect(cb[0]!.method).toBe('POST');
    const done = app!.to('/done')[0]!.params;
    expect(cb[0]!.params).toMatchObject({
      TranscriptionSid: expect.stringMatching(/^TR[0-9a-f]{32}$/),
      TranscriptionText: 'Call me back about the invoice',
      TranscriptionStatus: 'completed',
      TranscriptionUrl: expect.stringMatching(/\.txt$/),
      RecordingSid: done['RecordingSid'],
      RecordingUrl: done['RecordingUrl'],
      CallSid: CALL_SID,
      AccountSid: expect.stringMatching(/^AC/),
      From: '+14155550100',
      To: '+14155550199',
      ApiVersion: '2010-04-01',
      Direction: 'inbound',
    });
    expect(one(events, 'transcription')).toMatchObject({ status: 'completed', text: 'Call me back about the invoice', recordingSid: done['RecordingSid'] });
    // Honoured on the mock: nothing says otherwise.
    expect(ofType(events, 'warning')).toEqual([]);
    expect(summary.errors).toEqual([]);
  });

  it('the words a caller speaks at the Record are its transcription', async () => {
    await voicemail();
    await runApp({ app: app!.url('/voice'), script: { caller: [{ speech: 'please call me' }] } });
    expect(app!.to('/transcribed')[0]!.params).toMatchObject({ TranscriptionStatus: 'completed', TranscriptionText: 'please call me' });
  });

  it('with no words scripted the transcription fails, and the transcript says why', async () => {
    await voicemail();
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 5, digits: '#' }] } });
    const p = app!.to('/transcribed')[0]!.params;
    expect(p['TranscriptionStatus']).toBe('failed');
    expect(p).not.toHaveProperty('TranscriptionText');
    expect(one(events, 'transcription')).toMatchObject({ status: 'failed', reason: expect.stringContaining('add "transcription" to its record action') });
  });

  it('a recording over two minutes is not transcribed: failed, as on Twilio', async () => {
    await voicemail(xml('<Record action="/done" transcribe="true" transcribeCallback="/transcribed" maxLength="600"/>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 121, digits: '#', transcription: 'a long story' }] } });
    expect(app!.to('/transcribed')[0]!.params).toMatchObject({ TranscriptionStatus: 'failed' });
    expect(one(events, 'transcription')['reason']).toBe('the recording is 121 s long; Twilio transcribes recordings of at most 120 s');
  });

  it('exactly two minutes is transcribed', async () => {
    await voicemail(xml('<Record action="/done" transcribe="true" transcribeCallback="/transcribed" maxLength="600"/>'));
    await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 120, digits: '#', transcription: 'just in time' }] } });
    expect(app!.to('/transcribed')[0]!.params).toMatchObject({ TranscriptionStatus: 'completed', TranscriptionText: 'just in time' });
  });

  it('nothing recorded: nothing to transcribe, no callback', async () => {
    await voicemail(xml('<Record action="/done" timeout="2" transcribe="true" transcribeCallback="/transcribed"/><Hangup/>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ silence: true }] } });
    expect(app!.to('/transcribed')).toEqual([]);
    expect(ofType(events, 'transcription')).toEqual([]);
  });

  it('transcribeCallback without transcribe="true" is never requested, and the transcript says so', async () => {
    await voicemail(xml('<Record action="/done" transcribeCallback="/transcribed"/>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 4, digits: '#', transcription: 'hi' }] } });
    expect(app!.to('/transcribed')).toEqual([]);
    expect(ofType(events, 'warning').map((e) => e['message'])).toEqual([expect.stringContaining('add transcribe="true"')]);
  });

  it('transcribe without a callback: the transcription is in the transcript only', async () => {
    await voicemail(xml('<Record action="/done" transcribe="true"/>'));
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 4, digits: '#', transcription: 'hi there' }] } });
    expect(app!.requests.map((r) => r.path)).toEqual(['/voice', '/done']);
    expect(one(events, 'transcription')).toMatchObject({ status: 'completed', text: 'hi there' });
  });

  it('with a recordings folder the text is written beside the recording, at TranscriptionUrl', async () => {
    await voicemail();
    const dir = await mkdtemp(join(tmpdir(), 'didml-transcripts-'));
    const clock = new VirtualClock();
    const adapter = createMockAdapter({ clock, recordingsDir: dir });
    const webhooks = createWebhookClient();
    const script: MockCallScript = { caller: [{ record: 3, digits: '#', transcription: 'saved words' }] };
    const call = adapter.placeCall(script);
    try {
      await runCall(call, { app: { url: app!.url('/voice') }, webhooks, clock, ids: sequentialIds() });
      await webhooks.close();
      const url = app!.to('/transcribed')[0]!.params['TranscriptionUrl']!;
      expect(await readFile(fileURLToPath(url), 'utf8')).toBe('saved words\n');
    } finally {
      await webhooks.close();
      await adapter.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
