// <Record> as Twilio runs it: when a recording ends, what it keeps, what the action receives, and
// the recordingStatusCallback. https://www.twilio.com/docs/voice/twiml/record (reference §1.5, §2.2)
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SID, heard, one, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function recordApp(record: string, done = xml('<Say>Thank you</Say>')): Promise<TestApp> {
  app = await startApp({ '/voice': xml(record), '/done': done, '/recording-status': '' });
  return app;
}

const done = (): Record<string, string> => {
  expect(app!.to('/done')).toHaveLength(1);
  return app!.to('/done')[0]!.params;
};

describe('<Record>', () => {
  it('beeps, records until a key, and posts RecordingUrl, RecordingSid, RecordingDuration and Digits', async () => {
    await recordApp('<Say>Leave a message</Say><Record action="/done"/><Say>Not reached</Say>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 12, digits: '#' }] } });
    expect(one(events, 'record')).toMatchObject({ t: 900, maxLength: 3600, timeout: 5, finishOnKey: '1234567890*#', playBeep: true, trim: 'trim-silence' });
    expect(one(events, 'beep').t).toBe(900);
    expect(one(events, 'record-end')).toMatchObject({ t: 12_900, duration: 12, digits: '#', endedBy: 'key' });
    const p = done();
    expect(p).toMatchObject({ CallSid: CALL_SID, RecordingDuration: '12', Digits: '#', RecordingSid: expect.stringMatching(/^RE[0-9a-f]{32}$/) });
    expect(p['RecordingUrl']).toBe(one(events, 'record-end')['url']);
    expect(heard(events)).toEqual(['Leave a message', 'Thank you']);
  });

  it('without an action posts the recording back to the current document', async () => {
    let n = 0;
    app = await startApp({ '/voicemail': () => (n++ === 0 ? xml('<Record/>') : xml('<Hangup/>')) });
    await runApp({ app: app.url('/voicemail'), script: { caller: [{ record: 4, digits: '1' }] } });
    expect(app.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /voicemail', 'POST /voicemail']);
    expect(app.requests[1]!.params).toMatchObject({ RecordingDuration: '4', Digits: '1' });
  });

  it('stops at maxLength', async () => {
    await recordApp('<Record action="/done" maxLength="10"/>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 30 }] } });
    expect(one(events, 'record-end')).toMatchObject({ t: 10_000, duration: 10, endedBy: 'max-length' });
    expect(done()).toMatchObject({ RecordingDuration: '10' });
    expect(done()['Digits']).not.toBe('hangup');
  });

  it('stops after timeout seconds of silence; trim-silence keeps only the talk', async () => {
    await recordApp('<Record action="/done" timeout="3"/>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 8 }] } });
    expect(one(events, 'record-end')).toMatchObject({ t: 11_000, duration: 8, endedBy: 'silence' });
    expect(done()['RecordingDuration']).toBe('8');
  });

  it('do-not-trim keeps the trailing silence', async () => {
    await recordApp('<Record action="/done" timeout="3" trim="do-not-trim"/>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 8 }] } });
    expect(one(events, 'record')).toMatchObject({ trim: 'do-not-trim' });
    expect(done()['RecordingDuration']).toBe('11');
  });

  it('timeout="0" never ends on silence', async () => {
    await recordApp('<Record action="/done" timeout="0" maxLength="60"/>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 8 }] } });
    expect(one(events, 'record-end')).toMatchObject({ t: 60_000, endedBy: 'max-length' });
  });

  it('finishOnKey limits the keys that end it; others are ignored', async () => {
    await recordApp('<Record action="/done" finishOnKey="*" timeout="2"/>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 5, digits: '#' }] } });
    expect(one(events, 'digits')).toMatchObject({ digits: '#', ignored: true });
    expect(one(events, 'record-end')).toMatchObject({ t: 7000, endedBy: 'silence' });
  });

  it('playBeep="false" records without a beep', async () => {
    await recordApp('<Record action="/done" playBeep="false"/>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ record: 3, digits: '#' }] } });
    expect(ofType(events, 'beep')).toEqual([]);
    expect(one(events, 'record')).toMatchObject({ playBeep: false });
  });

  it('the caller hangs up while recording: the action gets Digits=hangup and its document is not run', async () => {
    await recordApp('<Record action="/done"/>', xml('<Say>Never heard</Say>'));
    const { events, summary } = await runApp({ app: app!.url('/voice'), script: { caller: [{ hangup: true, after: 9 }] } });
    expect(one(events, 'record-end')).toMatchObject({ t: 9000, digits: 'hangup', endedBy: 'hangup' });
    expect(done()).toMatchObject({ Digits: 'hangup', RecordingDuration: '9', CallStatus: 'completed' });
    expect(heard(events)).toEqual([]);
    expect(summary).toMatchObject({ status: 'completed', errors: [] });
  });

  it('an empty recording goes on with the next verb and requests nothing', async () => {
    await recordApp('<Record action="/done" timeout="4"/><Say>I did not receive a recording</Say>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { caller: [{ silence: true }] } });
    expect(one(events, 'record-end')).toMatchObject({ t: 4000, duration: 0 });
    expect(app!.to('/done')).toEqual([]);
    expect(heard(events)).toEqual(['I did not receive a recording']);
  });

  it('recordingStatusCallback gets the recording (relative URL, its method), with the action\'s RecordingSid', async () => {
    app = await startApp({
      '/vm/voice': xml('<Record action="/done" recordingStatusCallback="recording-status" recordingStatusCallbackMethod="GET"/>'),
      '/vm/recording-status': '',
      '/done': xml('<Hangup/>'),
    });
    await runApp({ app: app.url('/vm/voice'), script: { caller: [{ record: 6, digits: '#' }] } });
    const cb = app.to('/vm/recording-status');
    expect(cb).toHaveLength(1);
    expect(cb[0]!.method).toBe('GET');
    expect(cb[0]!.params).toMatchObject({
      CallSid: CALL_SID,
      RecordingSid: done()['RecordingSid'],
      RecordingUrl: done()['RecordingUrl'],
      RecordingStatus: 'completed',
      RecordingDuration: '6',
      RecordingSource: 'RecordVerb',
    });
  });

  it('recordingStatusCallbackEvent="absent" hears of an empty recording; the default (completed) does not', async () => {
    app = await startApp({
      '/voice': xml('<Record timeout="2" recordingStatusCallback="/absent" recordingStatusCallbackEvent="completed absent"/><Record timeout="2" recordingStatusCallback="/default"/>'),
      '/absent': '',
      '/default': '',
    });
    await runApp({ app: app.url('/voice') });
    expect(app.to('/absent').map((r) => [r.params['RecordingStatus'], r.params['RecordingDuration']])).toEqual([['absent', '0']]);
    expect(app.to('/default')).toEqual([]);
  });
});
