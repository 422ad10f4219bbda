// didml/testing's startCall as a user's own Vitest suite would use it: a call driven step by step
// against a folder app, an in-process handler and a live URL on loopback, with no server of our
// own and no real time; and the messages a wrong expectation fails with.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CallExpectationError, startCall, type HandlerRequest } from '../../src/testing/index.js';

const flows = join(import.meta.dirname, '../../fixtures/flows');
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;

/** An IVR in-process: what a user's own request handler looks like. */
function ivr(seen: HandlerRequest[] = []) {
  return (req: HandlerRequest) => {
    seen.push(req);
    const path = new URL(req.url).pathname;
    if (path === '/' || path === '/voice') return xml('<Gather action="/menu" numDigits="1"><Say>Welcome to Acme. Press 1 for sales.</Say></Gather><Say>Goodbye.</Say>');
    if (path === '/menu' && req.params['Digits'] === '1') {
      return xml('<Say>Connecting you.</Say><Dial action="/done"><Sip>sip:sales@pbx.example.com?X-Department=sales</Sip></Dial>');
    }
    if (path === '/done') return xml('<Hangup/>');
    return xml('<Say>Sorry.</Say>');
  };
}

/** What a failed expectation says, as Vitest would print it. */
async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CallExpectationError);
  return (e as Error).message;
}

describe('startCall', () => {
  it('drives an in-process app step by step: say, press, dial, status', async () => {
    const seen: HandlerRequest[] = [];
    const call = await startCall({ app: { handler: ivr(seen), url: 'https://ivr.example.com/voice' }, from: '+14155550100', callees: { '*': { talk: 20 } } });
    expect(call.callSid).toBe('CA00000000000000000000000000000000');
    await call.expectSay(/Welcome to Acme/);
    expect(call.waitingFor).toBe('gather');
    await call.press('1');
    await call.expectWebhook({ path: '/menu', params: { Digits: '1', From: '+14155550100' } });
    await call.expectSay('Connecting you.');
    const dial = await call.expectDial({ to: 'sip:sales@pbx.example.com', headers: { 'X-Department': 'sales' }, status: 'completed', duration: 20 });
    expect(dial['t']).toBe(3000); // the menu (2.1 s), then "Connecting you." (0.9 s)
    await call.expectStatus('completed');
    expect(call.summary).toMatchObject({ status: 'completed', duration: 28 });
    expect(seen.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['POST /voice', 'POST /menu', 'POST /done']);
  });

  it('a wrong expectation fails with the step, what was expected, what happened and the transcript, and says where the call waits', async () => {
    const call = await startCall({ app: ivr() });
    expect(await failure(call.expectSay('Welcome to Acme.'))).toBe(
      [
        'expectation 1: say "Welcome to Acme."',
        '  expected: say "Welcome to Acme." as the next say from the start of the call',
        '  happened: the next say (at 0 s) differs: text is "Welcome to Acme. Press 1 for sales." (expected "Welcome to Acme.")',
        '  transcript:',
        '          0.0s  → POST http://app.test/ (200)',
        '          0.0s  answered',
        '          0.0s  gather dtmf, timeout 5 s',
        '    >     0.0s  say "Welcome to Acme. Press 1 for sales."',
        '  (the call is waiting for the caller at a <Gather>: press, speak, stay silent or hang up to go on)',
      ].join('\n'),
    );
    // What is said after the menu has not happened yet: the caller has to act first.
    expect(await failure(call.expectSay('Goodbye.', { later: true }))).toContain('happened: the only say from the start of the call differs');
    await call.silence();
    await call.expectSay('Goodbye.');
    await call.expectStatus('completed');
  });

  it('expectations look after the caller\'s last action', async () => {
    const call = await startCall({ app: ivr() });
    await call.press('9');
    expect(await failure(call.expectSay(/Welcome/))).toContain("expected: say /Welcome/ as the next say after the caller's action (press 9, at 2.1 s)");
    await call.expectSay('Sorry.');
    await call.expectNo({ dial: true });
  });

  it('a caller action once the call is over, or waiting for an end that needs the caller, fails plainly', async () => {
    const call = await startCall({ app: ivr() });
    expect(await failure(call.expectStatus('completed'))).toBe(
      [
        'the call did not end',
        '  happened: it is waiting for the caller at a <Gather>',
        '  transcript:',
        '          0.0s  → POST http://app.test/ (200)',
        '          0.0s  answered',
        '          0.0s  gather dtmf, timeout 5 s',
        '          0.0s  say "Welcome to Acme. Press 1 for sales."',
      ].join('\n'),
    );
    await call.hangup();
    await call.expectHangup('caller');
    expect(await failure(call.press('1'))).toMatch(/^the caller cannot press 1: the call is over\n {2}happened: the call ended at 2\.1 s \(completed: caller hung up during <Gather>\)/);
    await call.expectStatus({ status: 'completed', reason: 'caller hung up during <Gather>' });
  });

  it('runs a folder of XML documents by path or file: URL; a Record is answered by talking', async () => {
    const call = await startCall({ app: new URL('../../fixtures/flows/voicemail/mailbox/', import.meta.url) });
    await call.expectSay({ text: /leave a message/, voice: 'man' });
    expect(call.waitingFor).toBe('record');
    await call.talk(95, { then: '*' });
    await call.expectRecord({ duration: 95, digits: '*', endedBy: 'key' });
    await call.expectWebhook({ url: 'app://mailbox/recorded', params: { RecordingDuration: '95' } });
    await call.expectStatus({ status: 'completed', duration: 102 });

    const byPath = await startCall({ app: join(flows, 'voicemail/mailbox'), caller: [{ record: 3, digits: '*' }] });
    await byPath.expectSay('Thank you, your message has been saved.', { later: true });
  });

  describe('against a live app on loopback', () => {
    let server: Server | undefined;
    afterEach(async () => {
      server?.closeAllConnections();
      await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
      server = undefined;
    });

    it('speaks to it over HTTP with Twilio\'s parameters, signed', async () => {
      const signatures: string[] = [];
      server = createServer((req, res) => {
        signatures.push(String(req.headers['x-twilio-signature'] ?? ''));
        const body = req.url?.startsWith('/voice')
          ? xml('<Gather input="speech" action="/heard"><Say>What can I do for you?</Say></Gather>')
          : xml('<Say>You said billing.</Say><Refer><Sip>sip:billing@sbc.example.com?X-Intent=billing</Sip></Refer>');
        res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
      });
      await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/voice`;
      const call = await startCall({ app: url, authToken: 'secret', from: 'sip:+15551234567@sbc.example.com', headers: { 'X-Customer-Tier': 'vip' } });
      await call.speak('billing', { confidence: 0.7 });
      await call.expectGather({ speech: 'billing', confidence: 0.7, endedBy: 'speech' });
      await call.expectWebhook({ path: '/heard', params: { SpeechResult: 'billing', 'SipHeader_X-Customer-Tier': 'vip' } });
      await call.expectRefer({ to: 'sip:billing@sbc.example.com', headers: { 'X-Intent': 'billing' }, response: 202, notify: 200 });
      await call.expectStatus('completed');
      expect(signatures).toHaveLength(2);
      expect(signatures.every((s) => s.length > 10)).toBe(true);
    });
  });

  it('any scenario step works as an expectation; a misspelt one is refused naming the key', async () => {
    const call = await startCall({ app: ivr(), caller: [{ digits: '1' }], callees: { '*': { response: 'busy' } } });
    await call.expect({ gather: { digits: '1' } });
    await call.expect({ event: { type: 'dial-response', sipResponseCode: 486 } });
    await expect(call.expect({ dail: 'sip:sales@pbx.example.com' })).rejects.toThrow('not a valid expectation: unknown key "dail" (did you mean "dial"?)');
    await expect(call.expectDial({ to: 'x', statsu: 'busy' } as never)).rejects.toThrow('not a valid expectation: dial: unknown key "statsu"');
  });

  it('a handler that throws is the app failing: the call reports it and the test can expect the error', async () => {
    const call = await startCall({
      app: () => {
        throw new Error('database down');
      },
    });
    await call.expectError({ code: 'DIDML_WEBHOOK_STATUS', message: /database down/ });
    await call.expectSay('We are sorry, an application error has occurred. Goodbye.');
    await call.expectStatus('completed');
  });
});
