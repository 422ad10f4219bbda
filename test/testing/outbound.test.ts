// didml/testing with calls the runtime places (`outbound`, the party called scripted in
// `callees`) and the Calls API's update of a live call at a moment the test chooses
// (`runUntil`, `update`, `hangup`), against the fixture apps of fixtures/flows/outbound and
// fixtures/flows/updates. The scenario side runs in flows.test.ts and failing.test.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallExpectationError, startCall } from '../../src/testing/index.js';

const flows = join(import.meta.dirname, '../../fixtures/flows');
const survey = { url: join(flows, 'outbound/survey.mjs'), path: '/survey' };
const assistant = join(flows, 'updates/assistant');
const to = '+14155550123';

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CallExpectationError);
  return (e as Error).message;
}

describe('startCall with outbound: a call the runtime places', () => {
  it('is answered after 3 s, then the app runs with Direction outbound-api and the party called presses keys', async () => {
    const call = await startCall({ app: survey, outbound: { to, from: '+14155550100' }, callees: { [to]: { ring: 3 } } });
    await call.expectOutbound({ to, status: 'answered', sipResponseCode: 200 });
    await call.expectWebhook({ path: '/survey', params: { Direction: 'outbound-api', From: '+14155550100', To: to, CallStatus: 'in-progress' } }, { at: 3 });
    expect(call.waitingFor).toBe('gather');
    await call.press('4');
    await call.expectSay('You rated us 4. Thank you.');
    await call.expectStatus('completed');
    expect(call.transcript().split('\n').slice(0, 3)).toEqual(['    0.0s  call placed to +14155550123 from +14155550100, timeout 60 s', '    0.0s  ringing', '    3.0s  answered']);
  });

  it('to a busy party ends busy; the app is never requested', async () => {
    const call = await startCall({ app: survey, outbound: { to }, callees: { '*': { response: 'busy' } } });
    await call.expectOutbound({ status: 'busy', sipResponseCode: 486 });
    await call.expectNo({ webhook: true });
    await call.expectStatus('busy');
    expect(call.summary).toMatchObject({ status: 'busy', duration: 0 });
  });

  it('nobody answering is given up at its timeout: no-answer', async () => {
    const call = await startCall({ app: survey, outbound: { to, timeout: 20 }, callees: { '*': { response: 'no-answer' } } });
    await call.expectOutbound({ status: 'no-answer', sipResponseCode: 487 });
    await call.expectStatus({ status: 'no-answer', duration: 20 });
  });

  it('with machine detection, an answering machine: the app hears AnsweredBy once the detector has decided', async () => {
    const call = await startCall({ app: survey, outbound: { to, machineDetection: 'Enable' }, callees: { [to]: { ring: 2, answeredBy: 'machine_end_silence' } } });
    await call.expectOutbound({ answeredBy: 'machine_start' });
    await call.expectWebhook({ path: '/survey', params: { AnsweredBy: 'machine_start' } }, { at: 4 });
    await call.expectSay({ contains: 'Please call us back' });
    await call.expectStatus('completed');
  });

  it('hangup() where runUntil holds it: the party called hangs up mid-sentence', async () => {
    const call = await startCall({ app: survey, outbound: { to }, callees: { [to]: { ring: 1 } } });
    await call.runUntil(3);
    await call.hangup();
    await call.expectHangup('caller', { at: 3 });
    await call.expectStatus({ status: 'completed', duration: 3 });
  });
});

describe('update(): the live call given new instructions', () => {
  it('with TwiML mid-<Say>: the sentence stops where runUntil held it, the new document runs', async () => {
    const call = await startCall({ app: assistant });
    await call.runUntil(1);
    // Time stands still while the test looks: the welcome has started, nothing after it has.
    await call.expectSay('Welcome to Acme. This call may be recorded.');
    expect(await failure(call.expectGather())).toContain('(the call is held at 1 s: update it, or let it run on with runUntil or expectStatus)');
    await call.update({ twiml: '<Response><Say>We are closed today. Goodbye.</Say></Response>' });
    await call.expectSay('We are closed today. Goodbye.', { at: 1 });
    await call.expectNo({ gather: true });
    await call.expectStatus({ status: 'completed', duration: 3 });
  });

  it('with TwiML mid-<Pause>: the pause ends there, what came after it never runs', async () => {
    const call = await startCall({ app: assistant, caller: [{ speech: 'where is my order' }] });
    await call.runUntil(15);
    await call.expect({ pause: 30 });
    await call.update({ twiml: '<Response><Say>Your order ships today.</Say></Response>' });
    await call.expectSay('Your order ships today.', { at: 15 });
    await call.expectStatus('completed');
    await call.expectNo({ say: 'Are you still there?' });
  });

  it('with a URL (relative to the app) while the call waits at a <Gather>: the Gather ends, its action is never requested', async () => {
    const call = await startCall({ app: assistant, callees: { '+14155550150': { ring: 2, talk: 20 } } });
    expect(call.waitingFor).toBe(undefined);
    await call.expectSay('I am the Acme assistant. How can I help?', { later: true });
    expect(call.waitingFor).toBe('gather');
    await call.update({ url: '/handoff' });
    await call.expectGather({ input: 'speech', endedBy: 'abort' });
    await call.expectWebhook({ url: 'app://assistant/handoff', method: 'POST' });
    await call.expectDial({ to: '+14155550150', status: 'completed', duration: 20 });
    await call.expectStatus('completed');
    await call.expectNo({ webhook: '/heard' });
  });

  it('with Status=completed: the call is hung up where it was', async () => {
    const call = await startCall({ app: assistant, caller: [{ speech: 'billing' }] });
    await call.runUntil(20);
    await call.update({ status: 'completed' });
    await call.expectHangup({ by: 'app', reason: 'an update ended the call (Status=completed)' }, { at: 20 });
    await call.expectStatus({ status: 'completed', duration: 20 });
  });

  it('the agent hands the caller over: the caller talks to the assistant, the test updates the call to <Dial> a person', async () => {
    const call = await startCall({ app: assistant, from: '+14155550100', callees: { '+14155550150': { ring: 3, talk: 45 } } });
    await call.speak('I want to talk to a person');
    // An expectation lets the call run to where it stops; runUntil stops it earlier, at 12 s.
    await call.runUntil(12);
    await call.expectWebhook({ path: '/heard', params: { SpeechResult: 'I want to talk to a person' } });
    await call.expectSay('Let me look into that for you.');
    await call.expect({ pause: 30 });
    await call.update({ twiml: '<Response><Dial action="/after-dial"><Number>+14155550150</Number></Dial></Response>' });
    await call.expectDial({ to: '+14155550150', callerId: '+14155550100', status: 'completed', duration: 45 }, { at: 12 });
    await call.expectWebhook({ path: '/after-dial', params: { DialCallStatus: 'completed' } });
    await call.expectStatus({ status: 'completed', duration: 60 });
    await call.expectNo({ say: 'Are you still there?' });
  });

  it('scheduled updates from the script run too (call.updates, as in a scenario)', async () => {
    const call = await startCall({ app: assistant, updates: [{ at: 1, twiml: '<Response><Say>Bye.</Say></Response>' }] });
    await call.expectSay('Bye.', { later: true, at: 1 });
    await call.expectStatus('completed');
  });
});

describe('the moment and the update, used wrongly', () => {
  it('a misshapen update is refused naming the key; a moment passed already, or an update of a call over, fails plainly', async () => {
    const call = await startCall({ app: assistant, caller: [{ speech: 'billing' }] });
    await expect(call.update({ twiml: '<Response/>', url: '/x' } as never)).rejects.toThrow('not a valid update: an update needs exactly one of twiml, url, status (found twiml and url)');
    await expect(call.update({ statsu: 'completed' } as never)).rejects.toThrow('not a valid update: unknown key "statsu" (did you mean "status"?)');
    await expect(call.runUntil(-1)).rejects.toThrow('runUntil: give seconds of call time (0 or more), not -1');
    await call.runUntil(10);
    expect(await failure(call.runUntil(5))).toMatch(/^the call cannot run on to 5 s\n {2}happened: it is at 10 s already/);
    expect(await failure(call.press('1'))).toMatch(/^the caller cannot press 1 at 10 s\n {2}happened: the call is not waiting for the caller there/);
    await call.update({ status: 'completed' });
    await call.expectStatus('completed');
    expect(await failure(call.update({ url: '/handoff' }))).toMatch(/^the call cannot be updated: it is over\n {2}happened: the call ended at 10 s/);
  });

  it('runUntil fails when the call waits for the caller before that moment', async () => {
    const call = await startCall({ app: assistant });
    expect(await failure(call.runUntil(30))).toMatch(/^the call cannot run on to 30 s\n {2}happened: it is waiting for the caller at a <Gather> \(at 4\.98 s\)/);
  });

  it('nobody can hang up a placed call still ringing', async () => {
    const call = await startCall({ app: survey, outbound: { to }, callees: { '*': { ring: 10 } } });
    await call.runUntil(2);
    expect(await failure(call.hangup())).toMatch(/^nobody can hang up at 2 s\n {2}happened: the call has not been answered yet/);
    await call.update({ status: 'canceled' });
    await call.expectStatus('canceled');
  });

  it('a placed call scripted with a caller is refused before it runs', async () => {
    await expect(startCall({ app: survey, outbound: { to }, caller: [{ digits: '1' }] }).then((c) => c.result())).rejects.toThrow(
      'call script: caller: a placed call has no caller: what the party called presses and says at the app\'s Gathers is callees["+14155550123"].actions',
    );
  });
});
