// The caller's timeline (script.timeline): keys or speech at a second of the call, whatever runs,
// delivered to what listens then (a Gather; a Dial or Conference with hangupOnStar) or recorded as
// ignored. And <Dial hangupOnStar><Conference>: * takes the caller out of the room.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { DidmlError } from '../../src/errors.js';
import { runCall } from '../../src/runtime/session.js';
import { sequentialIds } from '../../src/ids.js';
import { checkScript, createMockAdapter, type MockCallScript, type TranscriptEvent } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { checkScenario } from '../../src/testing/validate.js';
import { runApp, startApp, xml } from '../runtime/support.js';

/** Runs `voice` (a folder-less inline document) on the mock; `backend` pretends the leg is another backend's. */
async function run(voice: string, script: MockCallScript, backend?: string): Promise<{ events: TranscriptEvent[]; pending: number }> {
  const clock = new VirtualClock();
  const adapter = createMockAdapter({ clock });
  const webhooks = createWebhookClient();
  const call = adapter.placeCall(script);
  if (backend) Object.defineProperty(call.leg, 'backend', { value: backend });
  try {
    await runCall(call, {
      app: { url: 'https://app.example.com/voice' },
      twiml: `<Response>${voice}</Response>`,
      webhooks,
      clock,
      ids: sequentialIds(),
      onEvent: ({ t: _t, ...event }) => void call.leg.log(event),
    });
    await call.leg.ended;
    return { events: [...call.leg.transcript], pending: clock.pendingTimers };
  } finally {
    await webhooks.close();
    await adapter.close();
  }
}

const of = (events: TranscriptEvent[], type: string) => events.filter((e) => e.type === type);

describe('script.timeline', () => {
  it('a key at a Gather counts as pressed there; the same key with nothing listening is ignored', async () => {
    const app = await startApp({ '/voice': xml('<Gather numDigits="1" timeout="5" action="/next"><Say>Press a key.</Say></Gather>'), '/next': xml('<Pause length="10"/>') });
    try {
      const { events } = await runApp({ app: app.url('/voice'), script: { timeline: [{ at: 2, digits: '4' }, { at: 6, digits: '9' }] } });
      expect(of(events, 'digits').map((e) => [e.t, e['digits'], e['ignored'] ?? false])).toEqual([
        [2000, '4', false],
        [6000, '9', true],
      ]);
      expect(of(events, 'gather-end')[0]).toMatchObject({ digits: '4', endedBy: 'num-digits' });
      expect(app.to('/next')[0]!.params['Digits']).toBe('4');
    } finally {
      await app.close();
    }
  });

  it('speech at a speech Gather is heard; at a keys-only one it is ignored', async () => {
    const speechApp = '<Gather input="speech" timeout="5"><Say>Say something.</Say></Gather>';
    const heard = await run(speechApp, { timeline: [{ at: 2, speech: 'sales please' }] });
    expect(of(heard.events, 'gather-end')[0]).toMatchObject({ speech: { text: 'sales please' }, endedBy: 'speech' });
    const keysOnly = await run('<Gather timeout="5"><Say>Press a key.</Say></Gather>', { timeline: [{ at: 2, speech: 'hello' }] });
    expect(of(keysOnly.events, 'speech')[0]).toMatchObject({ text: 'hello', ignored: true });
  });

  it('a finishing key at a Record ends the recording there; another key is ignored', async () => {
    const { events } = await run('<Record maxLength="60" timeout="0" finishOnKey="#" trim="do-not-trim"/>', { timeline: [{ at: 5, digits: '1' }, { at: 9, digits: '#' }] });
    expect(of(events, 'digits').map((e) => [e.t, e['digits'], e['ignored'] ?? false])).toEqual([
      [5000, '1', true],
      [9000, '#', false],
    ]);
    expect(of(events, 'record-end')[0]).toMatchObject({ digits: '#', endedBy: 'key', duration: 9 });
  });

  it('an entry after the call ended never happens, says so, and leaves no timer', async () => {
    const { events, pending } = await run('<Say>Bye.</Say>', { timeline: [{ at: 300, digits: '1' }] });
    expect(of(events, 'digits')).toEqual([]);
    expect(of(events, 'script').map((e) => e['warning'])).toEqual(['timeline: keys 1 at 300 s never happened: the call ended first']);
    expect(pending).toBe(0);
  });

  it('a timeline entry is checked by name: `at` missing, or neither digits nor speech', () => {
    expect(() => checkScript({ timeline: [{ digits: '1' } as never] })).toThrow(/timeline\[0\]\.at must be the second of the call/);
    expect(() => checkScript({ timeline: [{ at: 1 } as never] })).toThrow(DidmlError);
    expect(() => checkScript({ timeline: [{ at: 1, digits: '1', speech: 'x' } as never] })).toThrow(/timeline\[0\] must have exactly one of digits, speech/);
  });

  it('a scenario\'s timeline is checked against the schema, naming the key', () => {
    const bad = checkScenario({ app: 'x', call: { timeline: [{ at: 3, record: 5 }] }, expect: [{ say: 'x' }] });
    expect(bad.ok ? [] : bad.problems.join('\n')).toMatch(/call\.timeline\[0\]/);
    expect(checkScenario({ app: 'x', call: { timeline: [{ at: 3, digits: '*' }] }, expect: [{ say: 'x' }] }).ok).toBe(true);
  });
});

describe('<Dial hangupOnStar><Conference>', () => {
  const ROOM = '<Dial hangupOnStar="true"><Conference>support</Conference></Dial><Say>Out of the room.</Say>';

  it('* takes the caller out of the room and the document goes on', async () => {
    const { events } = await run(ROOM, { timeline: [{ at: 30, digits: '*' }], conferenceDuration: 600 });
    expect(of(events, 'conference-end')[0]).toMatchObject({ endedBy: 'hangup-on-star' });
    expect(of(events, 'conference-end')[0]!.t).toBe(30000);
    expect(of(events, 'say').map((e) => e['text'])).toEqual(['Out of the room.']);
  });

  it('another key does nothing; without hangupOnStar * does nothing either', async () => {
    const other = await run(ROOM, { timeline: [{ at: 30, digits: '5' }], conferenceDuration: 60 });
    expect(of(other.events, 'digits')[0]).toMatchObject({ digits: '5', ignored: true });
    expect(of(other.events, 'conference-end')[0]).toMatchObject({ endedBy: 'conference', duration: 60 });
    const plain = await run('<Dial><Conference>support</Conference></Dial>', { timeline: [{ at: 30, digits: '*' }], conferenceDuration: 60 });
    expect(of(plain.events, 'digits')[0]).toMatchObject({ digits: '*', ignored: true });
    expect(of(plain.events, 'conference-end')[0]).toMatchObject({ endedBy: 'conference' });
  });

  it('on a backend whose conferences do not listen for keys, the attribute is reported, not ignored (drachtio listens)', async () => {
    const { events } = await run(ROOM, { conferenceDuration: 10 }, 'carrier-x');
    expect(of(events, 'warning').map((e) => e['message'])).toContainEqual(
      '<Dial hangupOnStar> with <Conference>: the carrier-x backend does not listen for * in a conference; the caller stays in the room until it ends',
    );
    const drachtio = await run(ROOM, { conferenceDuration: 10 }, 'drachtio');
    expect(of(drachtio.events, 'warning')).toEqual([]);
  });
});
