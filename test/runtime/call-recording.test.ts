// The whole call recorded in the background: <Start><Recording> and DIDML's <Recording>; the
// recordingStatusCallback hears of it when the call ends.
// https://www.twilio.com/docs/voice/twiml/recording
import { afterEach, describe, expect, it } from 'vitest';
import { ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('call recording', () => {
  it('<Start><Recording> records until the call ends, then the callback hears of it', async () => {
    app = await startApp({
      '/voice': xml('<Start><Recording channels="dual" recordingStatusCallback="/rec"/></Start><Say>Hello</Say><Pause length="10"/><Hangup/>'),
      '/rec': '',
    });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(ofType(events, 'call-recording-start')).toEqual([expect.objectContaining({ t: 0, channels: 2 })]);
    const stop = ofType(events, 'call-recording-stop')[0]!;
    expect(stop['duration']).toBe(10);
    const cb = app.to('/rec')[0]!.params;
    expect(cb).toMatchObject({ RecordingSource: 'StartCallRecordingTwiML', RecordingStatus: 'completed', RecordingChannels: '2', RecordingDuration: '10', RecordingUrl: stop['url'] });
    expect(cb['RecordingSid']).toMatch(/^RE[0-9a-f]{32}$/);
    // Reported before the call's end.
    expect(events.findIndex((e) => e.type === 'call-recording-stop')).toBeLessThan(events.findIndex((e) => e.type === 'end'));
  });

  it('DIDML <Recording> records the complete call', async () => {
    app = await startApp({ '/voice': '<Response><Recording/><Say>This call is recorded.</Say><Pause length="3"/></Response>' });
    const { events } = await runApp({ app: { url: app.url('/voice'), dialect: 'didml' } });
    expect(ofType(events, 'call-recording-start')).toHaveLength(1);
    expect(ofType(events, 'call-recording-stop')[0]!['duration']).toBeGreaterThanOrEqual(4);
  });

  it('a recording of nothing is reported absent, to a callback that asks for absent', async () => {
    app = await startApp({ '/voice': xml('<Start><Recording recordingStatusCallback="/rec" recordingStatusCallbackEvent="completed absent"/></Start><Hangup/>'), '/rec': '' });
    await runApp({ app: app.url('/voice') });
    expect(app.to('/rec')[0]!.params).toMatchObject({ RecordingStatus: 'absent', RecordingDuration: '0' });
  });

  it('a second start is a warning, not a second recording', async () => {
    app = await startApp({ '/voice': xml('<Start><Recording/></Start><Start><Recording/></Start><Pause length="1"/>') });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(ofType(events, 'call-recording-start')).toHaveLength(1);
    expect(ofType(events, 'warning').map((e) => e['message'])).toContainEqual(expect.stringMatching(/being recorded already/));
  });
});
