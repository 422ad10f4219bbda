// A dialled leg's statusCallback (<Number|Sip|Client statusCallback statusCallbackEvent>): the
// events asked for, with the child leg's own parameters, on the mock backend in virtual time.
// https://www.twilio.com/docs/voice/twiml/number#statuscallbackevent (reference §2.3)
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SID, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The callbacks as the app saw them, in the order sent (virtual time keeps them apart). */
async function run(dial: string, callees: Record<string, object>) {
  app = await startApp({ '/voice': xml(dial), '/after': xml(''), '/legs': '', '/sip-legs': '' });
  const { events } = await runApp({ app: app.url('/voice'), script: { callees } });
  const sent = ofType(events, 'callback').map((e) => ({ t: e.t, url: String(e['url']), params: e['params'] as Record<string, string> }));
  return { sent, after: app.to('/after')[0]?.params ?? {} };
}

describe('statusCallback on a dialled leg', () => {
  it('sends initiated, ringing, answered and completed with the leg its own CallSid, and DialCallSid is that leg', async () => {
    const { sent, after } = await run(
      '<Dial action="/after" callerId="+14155550100"><Number statusCallback="/legs" statusCallbackEvent="initiated ringing answered completed">+14155550111</Number></Dial>',
      { '*': { ring: 4, talk: 20 } },
    );
    expect(sent.map((s) => [s.t, s.params['CallStatus'], s.params['SequenceNumber']])).toEqual([
      [0, 'initiated', '0'],
      [0, 'ringing', '1'],
      [4000, 'in-progress', '2'],
      [24000, 'completed', '3'],
    ]);
    const leg = sent[0]!.params;
    expect(leg['CallSid']).toMatch(/^CA[0-9a-f]{32}$/);
    expect(leg['CallSid']).not.toBe(CALL_SID);
    expect(sent.every((s) => s.params['CallSid'] === leg['CallSid'] && s.url === app!.url('/legs'))).toBe(true);
    expect(leg).toMatchObject({ ParentCallSid: CALL_SID, From: '+14155550100', To: '+14155550111', Direction: 'outbound-dial', CallbackSource: 'call-progress-events' });
    expect(sent[3]!.params).toMatchObject({ CallStatus: 'completed', CallDuration: '20', SipResponseCode: '200' });
    expect(sent[0]!.params['CallDuration']).toBeUndefined();
    // None of the parent call's own parameters ride along.
    expect(leg['Called']).toBe('+14155550111');
    expect(after['DialCallSid']).toBe(leg['CallSid']);
  });

  it('sends completed alone by default, "regardless of the termination status": busy, no-answer, canceled', async () => {
    const { sent } = await run(
      '<Dial action="/after" timeout="10"><Number statusCallback="/legs">+14155550111</Number><Number statusCallback="/legs">+14155550112</Number><Sip statusCallback="/sip-legs">sip:agent@pbx.example.com</Sip></Dial>',
      { '+14155550111': { response: 'busy' }, '+14155550112': { response: 'no-answer' }, 'sip:agent@pbx.example.com': { ring: 3, talk: 5 } },
    );
    expect(sent.map((s) => [s.t, s.params['To'], s.params['CallStatus'], s.params['SipResponseCode']])).toEqual([
      [0, '+14155550111', 'busy', '486'],
      [3000, '+14155550112', 'canceled', '487'],
      [8000, 'sip:agent@pbx.example.com', 'completed', '200'],
    ]);
    expect(new Set(sent.map((s) => s.params['CallSid'])).size).toBe(3);
    expect(sent.every((s) => s.params['StatusCallbackEvent'] === undefined)).toBe(true);
  });

  it('only the legs that ask are told; the others keep their usual ids', async () => {
    const { sent, after } = await run('<Dial action="/after"><Number>+14155550111</Number><Number statusCallback="/legs" statusCallbackEvent="answered">+14155550112</Number></Dial>', {
      '+14155550111': { ring: 2, talk: 5 },
      '+14155550112': { response: 'no-answer' },
    });
    expect(sent).toEqual([]);
    expect(after['DialCallSid']).toMatch(/^CA[0-9a-f]{32}$/);
  });
});
