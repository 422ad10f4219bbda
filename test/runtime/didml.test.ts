// Apps written for DIDforSale's DIDML: the request parameters they expect (callSid, CallerName:
// voice-api-request-params), the documents as DIDforSale's pages write them (lower case, unquoted
// attributes, DIDML spellings), and DIDML's own verbs. (reference §4a)
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SID, heard, one, runApp, startApp, xml, type TestApp } from './support.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('DIDML request parameters', () => {
  it('an app declared DIDML gets callSid and CallerName from the first request on', async () => {
    app = await startApp({ '/voice': '<Response><say>Hello</say></Response>' });
    await runApp({ app: { url: app.url('/voice'), dialect: 'didml' }, script: { callerName: 'IRVINE CA' } });
    expect(app.to('/voice')[0]!.params).toMatchObject({ callSid: CALL_SID, CallSid: CALL_SID, CallerName: 'IRVINE CA', From: '+14155550100', To: '+14155550199' });
  });

  it('CallerName is sent empty when the caller has none', async () => {
    app = await startApp({ '/voice': '<Response><hangup/></Response>' });
    await runApp({ app: { url: app.url('/voice'), dialect: 'didml' } });
    expect(app.to('/voice')[0]!.params).toMatchObject({ callSid: CALL_SID, CallerName: '' });
  });

  it('an app that answers in lower-case DIDML gets them on every request after that document', async () => {
    app = await startApp({
      '/voice': '<Response><gather numDigits="1" action="/next"><say>Press a key</say></gather></Response>',
      '/next': '<Response><hangup/></Response>',
    });
    await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '4' }] } });
    expect(app.to('/voice')[0]!.params['callSid']).toBeUndefined();
    expect(app.to('/next')[0]!.params).toMatchObject({ callSid: CALL_SID, CallerName: '', Digits: '4' });
  });

  it('a TwiML app never gets them', async () => {
    app = await startApp({ '/voice': xml('<Gather numDigits="1" action="/next"/>'), '/next': xml('<Hangup/>') });
    await runApp({ app: app.url('/voice'), script: { caller: [{ digits: '4' }] } });
    for (const r of app.requests) {
      expect(r.params['callSid']).toBeUndefined();
      expect(r.params['CallerName']).toBeUndefined();
    }
  });
});

describe('DIDML documents as DIDforSale writes them', () => {
  it('<dial record="on" timeout="60">: records and rings for 60 s', async () => {
    app = await startApp({ '/voice': '<Response><dial record="on" timeout="60">19492321402</dial></Response>' });
    const { events } = await runApp({ app: app.url('/voice'), script: { callees: { '*': { response: 'no-answer' } } } });
    expect(one(events, 'dial')).toMatchObject({ targets: [{ kind: 'number', number: '19492321402' }], record: true, timeout: 60 });
    expect(one(events, 'dial-end')).toMatchObject({ t: 60_000, status: 'no-answer' });
  });

  it('<number> on its own with unquoted attributes: forwards with its maxlength and timeout', async () => {
    app = await startApp({ '/voice': '<Response><number maxlength=60 timeout=15>19499300360</number></Response>' });
    const { events } = await runApp({ app: app.url('/voice'), script: { callees: { '*': { talk: 600 } } } });
    expect(one(events, 'dial')).toMatchObject({ targets: [{ kind: 'number', number: '19499300360' }], timeout: 15, timeLimit: 60 });
    expect(one(events, 'dial-end')).toMatchObject({ endedBy: 'time-limit', duration: 60 });
  });

  it('<dial><number timeout=15 callerid=…>: the number\'s own timeout and caller id are used', async () => {
    app = await startApp({ '/voice': '<Response><dial><number timeout="15" callerid="19490000000">19499300360</number></dial></Response>' });
    const { events } = await runApp({ app: app.url('/voice'), script: { callees: { '*': { response: 'no-answer' } } } });
    expect(one(events, 'dial')).toMatchObject({ timeout: 15, callerId: '19490000000' });
    expect(one(events, 'dial-end').t).toBe(15_000);
  });

  it('<dial callerid timelimit> in DIDML spelling', async () => {
    app = await startApp({ '/voice': '<Response><dial callerid="19490000000" timelimit="30">19499300360</dial></Response>' });
    const { events } = await runApp({ app: app.url('/voice'), script: { callees: { '*': { talk: 600 } } } });
    expect(one(events, 'dial')).toMatchObject({ callerId: '19490000000', timeLimit: 30 });
  });

  it('<Forward> is the same as <dial>', async () => {
    app = await startApp({ '/voice': '<Response><Forward action="/after" timeout="20">19499300360</Forward></Response>', '/after': '<Response><hangup/></Response>' });
    const { events } = await runApp({ app: app.url('/voice'), script: { callees: { '*': { response: 'busy' } } } });
    expect(one(events, 'dial')).toMatchObject({ targets: [{ kind: 'number', number: '19499300360' }], timeout: 20 });
    expect(app.to('/after')[0]!.params).toMatchObject({ DialCallStatus: 'busy', callSid: CALL_SID });
  });

  it('<Postcall> tells its URL about the call once it has ended', async () => {
    app = await startApp({ '/voice': '<Response><Postcall>/postcall</Postcall><say>Thanks for calling</say></Response>', '/postcall': '' });
    const { events } = await runApp({ app: app.url('/voice') });
    expect(heard(events)).toEqual(['Thanks for calling']);
    expect(app.to('/postcall')).toHaveLength(1);
    expect(app.to('/postcall')[0]!.params).toMatchObject({ callSid: CALL_SID, CallStatus: 'completed', CallDuration: '1' });
  });
});
