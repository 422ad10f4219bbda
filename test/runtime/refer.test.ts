// <Refer> as Twilio runs it: a SIP REFER (RFC 3515) to the <Sip> URI with its headers, and the
// action's ReferCallStatus / ReferSipResponseCode / NotifySipResponseCode, as in the Refer doc's
// examples: success in-progress/202/200, target busy busy/202/486, refused failed/405, caller gone
// canceled/202/180. https://www.twilio.com/docs/voice/twiml/refer (reference §1.2, §2.2, §5)
import { afterEach, describe, expect, it } from 'vitest';
import { flow, heard, one, ofType, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const REFER = '<Refer action="/refer-done"><Sip>sip:agent@pbx.example.com?X-AcctNumber=123456&amp;X-ReasonForCalling=billing-question</Sip></Refer><Say>Not reached</Say>';

async function referApp(document = REFER, done = xml('<Say>The transfer did not go through</Say>')): Promise<TestApp> {
  app = await startApp({ '/voice': xml(`<Say>Transferring</Say>${document}`), '/refer-done': done });
  return app;
}

const done = (): Record<string, string> => {
  expect(app!.to('/refer-done')).toHaveLength(1);
  return app!.to('/refer-done')[0]!.params;
};

describe('<Refer>', () => {
  it('only X- headers (and the few named ones) go onto the Refer-To, as in <Dial><Sip>; the others are said, not sent', async () => {
    await referApp('<Refer action="/refer-done"><Sip>sip:agent@pbx.example.com?Contact=sip:evil@attacker.example&amp;X-Case=42</Sip></Refer>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { refer: { response: 202, notify: [200] } } });
    expect(one(events, 'refer')).toMatchObject({ uri: 'sip:agent@pbx.example.com', headers: { 'X-Case': '42' } });
    expect(Object.keys(one(events, 'refer')['headers'] as object)).toEqual(['X-Case']);
    expect(ofType(events, 'warning').map((e) => e['message'])).toContain('<Refer><Sip>: headers Contact are not passed on; name custom headers X-…');
  });

  it('sends the REFER with the URI\'s X- headers; on success the call is the far end\'s and ends here', async () => {
    await referApp();
    const { events, summary } = await runApp({ app: app!.url('/voice'), script: { refer: { response: 202, notify: [100, 200] } } });
    expect(one(events, 'refer')).toMatchObject({
      t: 720,
      uri: 'sip:agent@pbx.example.com',
      headers: { 'X-AcctNumber': '123456', 'X-ReasonForCalling': 'billing-question' },
    });
    expect(ofType(events, 'notify').map((e) => [e.t, e.sipResponseCode])).toEqual([
      [1720, 100],
      [2720, 200],
    ]);
    expect(done()).toMatchObject({ ReferCallStatus: 'in-progress', ReferSipResponseCode: '202', NotifySipResponseCode: '200' });
    // The action hears of it, but its document is not run: the caller has left.
    expect(heard(events)).toEqual(['Transferring']);
    expect(flow(events).slice(-2)).toEqual(['hangup', 'end']);
    expect(summary).toMatchObject({ status: 'completed', errors: [] });
  });

  it('a busy target: busy/202/486, and the call goes on with the action\'s document', async () => {
    await referApp();
    const { events } = await runApp({ app: app!.url('/voice'), script: { refer: { response: 202, notify: [100, 486] } } });
    expect(done()).toMatchObject({ ReferCallStatus: 'busy', ReferSipResponseCode: '202', NotifySipResponseCode: '486' });
    expect(heard(events)).toEqual(['Transferring', 'The transfer did not go through']);
  });

  it('a refused REFER (405): failed/405 with no NOTIFY, and the call goes on with the action\'s document', async () => {
    await referApp();
    const { events, summary } = await runApp({ app: app!.url('/voice'), script: { refer: { response: 405 } } });
    const p = done();
    expect(p).toMatchObject({ ReferCallStatus: 'failed', ReferSipResponseCode: '405' });
    expect(p['NotifySipResponseCode']).toBeUndefined();
    expect(ofType(events, 'notify')).toEqual([]);
    expect(heard(events)).toEqual(['Transferring', 'The transfer did not go through']);
    expect(summary.status).toBe('completed');
  });

  it('without an action, a refused REFER goes on with the next verb', async () => {
    await referApp('<Refer><Sip>sip:agent@pbx.example.com</Sip></Refer><Say>Still here</Say>');
    const { events } = await runApp({ app: app!.url('/voice'), script: { refer: { response: 403 } } });
    expect(heard(events)).toEqual(['Transferring', 'Still here']);
    expect(app!.to('/refer-done')).toEqual([]);
  });

  it('without an action, a successful REFER ends the call', async () => {
    await referApp('<Refer><Sip>sip:agent@pbx.example.com</Sip></Refer><Say>Not reached</Say>');
    const { events, summary } = await runApp({ app: app!.url('/voice') });
    expect(heard(events)).toEqual(['Transferring']);
    expect(summary.reason).toBe('transferred by <Refer>');
  });

  it('the caller hangs up during the transfer: canceled/202/180 on the action', async () => {
    await referApp();
    const { events } = await runApp({ app: app!.url('/voice'), script: { hangupAfter: 3, refer: { response: 202, notify: [100, 180, 200] } } });
    expect(done()).toMatchObject({ ReferCallStatus: 'canceled', ReferSipResponseCode: '202', NotifySipResponseCode: '180', CallStatus: 'completed' });
    expect(heard(events)).toEqual(['Transferring']);
  });
});
