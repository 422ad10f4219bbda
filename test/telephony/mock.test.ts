// The mock backend driven directly through its CallLeg, in virtual time: what the caller and the
// far ends do comes from the script, and every assertion is on results, virtual times and the
// transcript, the things a scenario author sees.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { DidmlError } from '../../src/errors.js';
import type { CollectOptions, DialOptions, DialTarget, RecordOptions, SayPrompt, SipTarget } from '../../src/telephony/adapter.js';
import { createMockAdapter, type MockCallLeg, type MockCallScript, type TranscriptEvent } from '../../src/telephony/mock/index.js';

function start(script: MockCallScript = {}, recordingsDir?: string) {
  const clock = new VirtualClock();
  const adapter = createMockAdapter({ clock, ...(recordingsDir ? { recordingsDir } : {}) });
  const call = adapter.placeCall(script);
  return { clock, adapter, call, leg: call.leg };
}

/** Every call must end with no virtual timer left behind. */
async function end(leg: MockCallLeg, clock: VirtualClock): Promise<void> {
  await leg.hangup();
  expect(clock.pendingTimers).toBe(0);
}

const say = (text: string, loop = 1): SayPrompt => ({ kind: 'say', text, voice: 'alice', language: 'en-US', loop });
const gather = (o: Partial<CollectOptions> = {}): CollectOptions => ({
  prompts: [],
  dtmf: true,
  speech: false,
  timeout: 5,
  finishOnKey: '#',
  language: 'en-US',
  bargeIn: true,
  ...o,
});
const recording = (o: Partial<RecordOptions> = {}): RecordOptions => ({
  maxLength: 3600,
  timeout: 5,
  finishOnKey: '1234567890*#',
  playBeep: true,
  trim: 'trim-silence',
  ...o,
});
const dialing = (targets: DialTarget[], o: Partial<DialOptions> = {}): DialOptions => ({
  targets,
  sequential: false,
  timeout: 30,
  timeLimit: 14400,
  callerId: '+14155550100',
  hangupOnStar: false,
  answerOnBridge: false,
  ...o,
});
const num = (number: string): DialTarget => ({ kind: 'number', number });
const sip = (uri: string, extra: Partial<SipTarget> = {}): SipTarget => ({ kind: 'sip', uri, headers: {}, ...extra });

const events = (leg: MockCallLeg, type: string): TranscriptEvent[] => leg.transcript.filter((e) => e.type === type);
const types = (leg: MockCallLeg): string[] => leg.transcript.map((e) => e.type);

describe('mock call basics', () => {
  it('records the inbound INVITE, answer and hangup, with From/To user parts and headers', async () => {
    const { clock, adapter, call, leg } = start({
      from: 'sip:+14155550142@carrier.example.com',
      to: '+18005550100',
      headers: { 'X-Customer': '42' },
      sourceIp: '192.0.2.10',
    });
    expect(call).toMatchObject({ from: '+14155550142', fromUri: 'sip:+14155550142@carrier.example.com', to: '+18005550100', sourceIp: '192.0.2.10' });
    expect(call.headers).toEqual({ 'X-Customer': '42' });
    await leg.answer();
    await leg.answer();
    await leg.say(say('hello', 2));
    expect(clock.now()).toBe(5 * 60 * 2);
    await leg.pause(3);
    await end(leg, clock);
    expect(types(leg)).toEqual(['inbound', 'answer', 'say', 'pause', 'hangup']);
    expect(leg.transcript.map((e) => e.t)).toEqual([0, 0, 0, 600, 3600]);
    expect(await leg.ended).toEqual({ by: 'app' });
    expect(adapter.transcript(call.callId)).toBe(leg.transcript);
  });

  it('hands each placed call to the listen callback and reports events through onEvent', async () => {
    const adapter = createMockAdapter();
    const seen: string[] = [];
    adapter.onEvent((e) => seen.push(e.type));
    const calls: string[] = [];
    await adapter.listen((c) => calls.push(c.callId));
    const a = adapter.placeCall();
    const b = adapter.placeCall();
    expect(calls).toEqual([a.callId, b.callId]);
    expect(a.callId).toMatch(/^CA[0-9a-f]{32}$/);
    expect(a.callId).not.toBe(b.callId);
    a.leg.log({ type: 'webhook', url: 'https://app.example.com/voice', status: 200 });
    await adapter.close();
    expect(a.leg.transcript.at(1)).toEqual({ t: 0, type: 'webhook', url: 'https://app.example.com/voice', status: 200 });
    expect(await b.leg.ended).toEqual({ by: 'backend', reason: 'adapter closed' });
    expect(seen).toEqual(['inbound', 'inbound', 'webhook', 'hangup', 'hangup']);
    expect(() => adapter.placeCall()).toThrow(DidmlError);
  });

  it('sends DTMF at 200 ms a digit, w waiting 0.5 s', async () => {
    const { clock, leg } = start();
    await leg.sendDigits('12w3');
    expect(clock.now()).toBe(3 * 200 + 500);
    expect(events(leg, 'send-digits')).toEqual([{ t: 0, type: 'send-digits', digits: '12w3' }]);
    await end(leg, clock);
  });

  it('rejects busy with 486 and rejected with 404; after answer a reject hangs up', async () => {
    const busy = start();
    await busy.leg.reject('busy');
    expect(events(busy.leg, 'reject')).toEqual([{ t: 0, type: 'reject', reason: 'busy', sipResponseCode: 486 }]);
    const rejected = start();
    await rejected.leg.reject('rejected');
    expect(events(rejected.leg, 'reject')[0]).toMatchObject({ sipResponseCode: 404 });
    const late = start();
    await late.leg.answer();
    await late.leg.reject('rejected');
    expect(types(late.leg)).toEqual(['inbound', 'answer', 'hangup']);
  });

  it('ends with the caller after hangupAfter, cutting a Say short; an app hangup first leaves no timer', async () => {
    const { clock, leg } = start({ hangupAfter: 2 });
    await leg.answer();
    await leg.say(say('x'.repeat(100)));
    expect(clock.now()).toBe(2000);
    expect(await leg.ended).toEqual({ by: 'caller' });
    expect(clock.pendingTimers).toBe(0);

    const early = start({ hangupAfter: 60 });
    expect(early.clock.pendingTimers).toBe(1);
    await end(early.leg, early.clock);
  });

  it('refuses a caller action that is not exactly one kind, naming it', () => {
    const adapter = createMockAdapter();
    const bad = { caller: [{ digits: '1' }, { digits: '2', speech: 'two' }] } as unknown as MockCallScript;
    expect(() => adapter.placeCall(bad)).toThrow(/caller\[1\]/);
  });
});

describe('collect (Gather)', () => {
  const prompts = [say('Press 1 for sales'), say('Press 2 for support')]; // 17 and 19 characters

  it('takes digits pressed during a prompt, stops the prompts there, and drops the finishing key', async () => {
    const { clock, leg } = start({ caller: [{ digits: '12#', after: 0.5 }] });
    await leg.answer();
    const r = await leg.collect(gather({ prompts }));
    expect(r).toEqual({ digits: '12', finishedOnKey: '#', callerHungUp: false });
    expect(clock.now()).toBe(500);
    expect(events(leg, 'say')).toHaveLength(1);
    expect(events(leg, 'gather-end')).toEqual([{ t: 500, type: 'gather-end', digits: '12', finishedOnKey: '#', endedBy: 'key' }]);
    await end(leg, clock);
  });

  it('without bargeIn plays every prompt and ends when they do', async () => {
    const { clock, leg } = start({ caller: [{ digits: '12#', after: 0.5 }] });
    const r = await leg.collect(gather({ prompts, bargeIn: false }));
    expect(r.digits).toBe('12');
    expect(events(leg, 'say')).toHaveLength(2);
    expect(clock.now()).toBe((17 + 19) * 60);
    await end(leg, clock);
  });

  it('treats the finishing key pressed first as no input', async () => {
    const { clock, leg } = start({ caller: [{ digits: '#' }] });
    const r = await leg.collect(gather({ prompts }));
    expect(r).toEqual({ digits: '', finishedOnKey: '#', callerHungUp: false });
    expect(clock.now()).toBe((17 + 19) * 60);
    await end(leg, clock);
  });

  it('times out `timeout` seconds after the prompts when the caller is silent', async () => {
    const { clock, leg } = start({ caller: [{ silence: true }] });
    const r = await leg.collect(gather({ prompts, timeout: 7 }));
    expect(r).toEqual({ digits: '', finishedOnKey: '', callerHungUp: false });
    expect(clock.now()).toBe((17 + 19) * 60 + 7000);
    expect(events(leg, 'gather-end')[0]).toMatchObject({ endedBy: 'timeout' });
    await end(leg, clock);
  });

  it('also times out once the script has run out of actions', async () => {
    const { clock, leg } = start();
    expect((await leg.collect(gather({ timeout: 3 }))).digits).toBe('');
    expect(clock.now()).toBe(3000);
    await end(leg, clock);
  });

  it('stops at numDigits at once, dropping the keys after', async () => {
    const { clock, leg } = start({ caller: [{ digits: '12345', after: 1 }] });
    const r = await leg.collect(gather({ numDigits: 3 }));
    expect(r).toEqual({ digits: '123', finishedOnKey: '', callerHungUp: false });
    expect(clock.now()).toBe(1000);
    await end(leg, clock);
  });

  it('submits partial digits `timeout` seconds after the last key', async () => {
    const { clock, leg } = start({ caller: [{ digits: '42', after: 2 }] });
    const r = await leg.collect(gather({ timeout: 4 }));
    expect(r).toEqual({ digits: '42', finishedOnKey: '', callerHungUp: false });
    expect(clock.now()).toBe(6000);
    await end(leg, clock);
  });

  it('hears speech when input includes speech, and ignores keys when it excludes dtmf', async () => {
    const { clock, leg } = start({ caller: [{ speech: 'sales please', confidence: 0.8 }, { digits: '1' }] });
    const heard = await leg.collect(gather({ dtmf: false, speech: true, speechTimeout: 'auto' }));
    expect(heard).toMatchObject({ digits: '', speech: { text: 'sales please', confidence: 0.8 } });
    expect(clock.now()).toBe(12 * 60 + 1000);
    const ignored = await leg.collect(gather({ dtmf: false, speech: true }));
    expect(ignored.digits).toBe('');
    expect(events(leg, 'digits')).toEqual([expect.objectContaining({ digits: '1', ignored: true })]);
    await end(leg, clock);
  });

  it('reports a caller who hangs up mid-Gather', async () => {
    const { clock, leg } = start({ caller: [{ hangup: true, after: 2 }] });
    const r = await leg.collect(gather({ prompts }));
    expect(r.callerHungUp).toBe(true);
    expect(clock.now()).toBe(2000);
    expect(leg.isEnded).toBe(true);
    expect(types(leg).slice(-2)).toEqual(['hangup', 'gather-end']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('record', () => {
  it('ends on a finishing key and keeps the talk before it', async () => {
    const { clock, leg } = start({ caller: [{ record: 10, digits: '#' }] });
    const r = await leg.record(recording());
    expect(r).toMatchObject({ duration: 10, digits: '#', callerHungUp: false });
    expect(r.url).toMatch(/^file:\/\/.*RE[0-9a-f]{32}\.wav$/);
    expect(clock.now()).toBe(10_000);
    expect(types(leg)).toEqual(['inbound', 'record', 'beep', 'digits', 'record-end']);
    await end(leg, clock);
  });

  it('ends after `timeout` seconds of silence; trim-silence keeps only the talk', async () => {
    const trimmed = start({ caller: [{ record: 7 }] });
    expect(await trimmed.leg.record(recording({ timeout: 5 }))).toMatchObject({ duration: 7, digits: '' });
    expect(trimmed.clock.now()).toBe(12_000);
    await end(trimmed.leg, trimmed.clock);

    const whole = start({ caller: [{ record: 7 }] });
    expect((await whole.leg.record(recording({ timeout: 5, trim: 'do-not-trim' }))).duration).toBe(12);
    await end(whole.leg, whole.clock);
  });

  it('ends at maxLength', async () => {
    const { clock, leg } = start({ caller: [{ record: 200, digits: '#' }] });
    const r = await leg.record(recording({ maxLength: 60 }));
    expect(r).toMatchObject({ duration: 60, digits: '' });
    expect(clock.now()).toBe(60_000);
    expect(events(leg, 'record-end')[0]).toMatchObject({ endedBy: 'max-length' });
    await end(leg, clock);
  });

  it("ends with digits 'hangup' when the caller hangs up", async () => {
    const { clock, leg } = start({ caller: [{ hangup: true, after: 8 }] });
    const r = await leg.record(recording());
    expect(r).toMatchObject({ duration: 8, digits: 'hangup', callerHungUp: true });
    expect(await leg.ended).toEqual({ by: 'caller' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('ignores a key that is not a finishing key', async () => {
    const { clock, leg } = start({ caller: [{ record: 3, digits: '5' }] });
    const r = await leg.record(recording({ finishOnKey: '#', timeout: 2 }));
    expect(r).toMatchObject({ duration: 3, digits: '' });
    expect(clock.now()).toBe(5000);
    await end(leg, clock);
  });

  it('takes two minutes of virtual time for a two-minute recording, and writes it as a WAV', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'didml-mock-'));
    try {
      const { clock, leg } = start({ caller: [{ record: 120, digits: '#' }] }, dir);
      const r = await leg.record(recording());
      expect(clock.now()).toBe(120_000);
      expect(r.duration).toBe(120);
      const wav = await readFile(fileURLToPath(r.url));
      expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
      expect(wav.length).toBe(44 + 120 * 8000);
      await end(leg, clock);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dial', () => {
  it('rings in parallel: the first to answer is bridged, the others are cancelled', async () => {
    const { clock, leg } = start({
      callees: { '+14155550001': { ring: 8 }, '+14155550002': { ring: 3, talk: 10 }, '+14155550003': { response: 'no-answer' } },
    });
    const r = await leg.dial(dialing([num('+14155550001'), num('+14155550002'), num('+14155550003')]));
    expect(r).toMatchObject({ status: 'completed', duration: 10, endedBy: 'callee', sipResponseCode: 200, callerHungUp: false });
    expect(r.answered?.target).toEqual(num('+14155550002'));
    expect(r.attempts.map((a) => [a.status, a.sipResponseCode])).toEqual([
      ['canceled', 487],
      ['completed', 200],
      ['canceled', 487],
    ]);
    expect(clock.now()).toBe(13_000);
    expect(events(leg, 'dial-attempt').map((e) => e.t)).toEqual([0, 0, 0]);
    expect(events(leg, 'bridge')).toEqual([{ t: 3000, type: 'bridge', callId: r.answered?.callId }]);
    // answered before ringing (no answerOnBridge)
    expect(types(leg).slice(0, 3)).toEqual(['inbound', 'dial', 'answer']);
    await end(leg, clock);
  });

  it('reports busy with 486', async () => {
    const { clock, leg } = start({ callees: { '*': { response: 'busy' } } });
    const r = await leg.dial(dialing([num('+14155550001')]));
    expect(r).toMatchObject({ status: 'busy', sipResponseCode: 486, duration: 0 });
    await end(leg, clock);
  });

  it('gives up with no-answer after exactly `timeout` seconds of virtual time', async () => {
    const { clock, leg } = start({ callees: { '*': { response: 'no-answer' } } });
    const r = await leg.dial(dialing([num('+14155550001'), sip('sip:a@example.com')], { timeout: 20 }));
    expect(r).toMatchObject({ status: 'no-answer', sipResponseCode: 487 });
    expect(r.attempts.map((a) => a.status)).toEqual(['no-answer', 'no-answer']);
    expect(clock.now()).toBe(20_000);
    await end(leg, clock);
  });

  it('keeps ringing the others when one target fails at once (401 with no credentials)', async () => {
    const { clock, leg } = start({ callees: { 'sip:pbx@example.com': { requireAuth: { username: 'u', password: 'p' } } } });
    const r = await leg.dial(dialing([sip('sip:pbx@example.com'), num('+1001')]));
    expect(r.answered?.target).toEqual(num('+1001'));
    expect(r.attempts.map((a) => [a.status, a.sipResponseCode])).toEqual([
      ['failed', 401],
      ['completed', 200],
    ]);
    await end(leg, clock);
  });

  it('fails with the callee final code', async () => {
    const { clock, leg } = start({ callees: { 'sip:nobody@example.com': { response: 404 } } });
    const r = await leg.dial(dialing([sip('sip:nobody@example.com')]));
    expect(r).toMatchObject({ status: 'failed', sipResponseCode: 404 });
    await end(leg, clock);
  });

  it('dials sequentially, each target ringing for the full timeout', async () => {
    const { clock, leg } = start({
      callees: { '+1001': { response: 'busy' }, '+1002': { response: 'no-answer' }, '+1003': { ring: 2, talk: 4 } },
    });
    const r = await leg.dial(dialing([num('+1001'), num('+1002'), num('+1003')], { sequential: true, timeout: 10 }));
    expect(r.answered?.target).toEqual(num('+1003'));
    expect(r.attempts.map((a) => a.status)).toEqual(['busy', 'no-answer', 'completed']);
    expect(events(leg, 'dial-attempt').map((e) => e.t)).toEqual([0, 0, 10_000]);
    expect(clock.now()).toBe(10_000 + 2000 + 4000);
    await end(leg, clock);
  });

  it('puts the X- headers of a Sip URI on the outbound INVITE (the Synthflow X-EI)', async () => {
    const { clock, call, leg } = start();
    const target = sip('sip:+14155550142@sipin.synthflow.ai:32681', { headers: { 'X-EI': call.callId } });
    await leg.dial(dialing([target]));
    expect(events(leg, 'dial-attempt')[0]).toMatchObject({
      target: { kind: 'sip', uri: 'sip:+14155550142@sipin.synthflow.ai:32681', headers: { 'X-EI': call.callId } },
    });
    await end(leg, clock);
  });

  describe('digest auth (SigmaMind trunk)', () => {
    const script: MockCallScript = { callees: { 'sip:agent@trunk.example.com': { requireAuth: { username: 'trunk', password: 's3cret' } } } };

    it('fails with 401 when the Sip target has no credentials', async () => {
      const { clock, leg } = start(script);
      const r = await leg.dial(dialing([sip('sip:agent@trunk.example.com')]));
      expect(r).toMatchObject({ status: 'failed', sipResponseCode: 401 });
      expect(events(leg, 'dial-attempt')).toHaveLength(1);
      await end(leg, clock);
    });

    it('fails with 403 on wrong credentials', async () => {
      const { clock, leg } = start(script);
      const r = await leg.dial(dialing([sip('sip:agent@trunk.example.com', { auth: { username: 'trunk', password: 'guess' } })]));
      expect(r).toMatchObject({ status: 'failed', sipResponseCode: 403 });
      await end(leg, clock);
    });

    it('answers the challenge with matching credentials and never records the password', async () => {
      const { clock, leg } = start(script);
      const r = await leg.dial(dialing([sip('sip:agent@trunk.example.com', { auth: { username: 'trunk', password: 's3cret' } })]));
      expect(r.status).toBe('completed');
      expect(events(leg, 'dial-response').map((e) => e.sipResponseCode)).toEqual([401, 200]);
      expect(events(leg, 'dial-attempt').map((e) => e.username)).toEqual([undefined, 'trunk']);
      expect(JSON.stringify(leg.transcript)).not.toContain('s3cret');
      await end(leg, clock);
    });
  });

  it('ends the bridge at timeLimit', async () => {
    const { clock, leg } = start({ callees: { '*': { ring: 1, talk: 30 } } });
    const r = await leg.dial(dialing([num('+1001')], { timeLimit: 15 }));
    expect(r).toMatchObject({ status: 'completed', endedBy: 'time-limit', duration: 15 });
    expect(clock.now()).toBe(16_000);
    await end(leg, clock);
  });

  it('ends the bridge when the caller presses * with hangupOnStar, and the call goes on', async () => {
    const { clock, leg } = start({ caller: [{ digits: '*', after: 12 }], callees: { '*': { ring: 5 } } });
    const r = await leg.dial(dialing([num('+1001')], { hangupOnStar: true }));
    expect(r).toMatchObject({ status: 'completed', endedBy: 'hangup-on-star', duration: 7, callerHungUp: false });
    expect(leg.isEnded).toBe(false);
    await end(leg, clock);
  });

  it('ignores * pressed while still ringing', async () => {
    const { clock, leg } = start({ caller: [{ digits: '*', after: 2 }], callees: { '*': { ring: 5, talk: 3 } } });
    const r = await leg.dial(dialing([num('+1001')], { hangupOnStar: true }));
    expect(r.endedBy).toBe('callee');
    expect(events(leg, 'digits')).toEqual([{ t: 2000, type: 'digits', digits: '*', ignored: true }]);
    await end(leg, clock);
  });

  it('cancels every callee when the caller hangs up while they ring', async () => {
    const { clock, leg } = start({ hangupAfter: 3, callees: { '*': { ring: 5 } } });
    const r = await leg.dial(dialing([num('+1001'), num('+1002')]));
    expect(r).toMatchObject({ status: 'canceled', callerHungUp: true });
    expect(r.attempts.map((a) => [a.status, a.sipResponseCode])).toEqual([
      ['canceled', 487],
      ['canceled', 487],
    ]);
    expect(clock.now()).toBe(3000);
    expect(types(leg).slice(-4)).toEqual(['hangup', 'dial-response', 'dial-response', 'dial-end']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends a bridged call that the caller hangs up', async () => {
    const { clock, leg } = start({ hangupAfter: 9, callees: { '*': { ring: 4 } } });
    const r = await leg.dial(dialing([num('+1001')]));
    expect(r).toMatchObject({ status: 'completed', endedBy: 'caller', duration: 5, callerHungUp: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it('with answerOnBridge answers the caller only when the callee answers, and not at all if none does', async () => {
    const bridged = start({ callees: { '*': { ring: 4, talk: 1 } } });
    await bridged.leg.dial(dialing([num('+1001')], { answerOnBridge: true }));
    expect(events(bridged.leg, 'answer')).toEqual([{ t: 4000, type: 'answer' }]);
    await end(bridged.leg, bridged.clock);

    const unanswered = start({ callees: { '*': { response: 'busy' } } });
    await unanswered.leg.dial(dialing([num('+1001')], { answerOnBridge: true }));
    expect(unanswered.leg.answered).toBe(false);
    await end(unanswered.leg, unanswered.clock);
  });

  it('keeps ringing the others while one is screened, and bridges the first accepted', async () => {
    const { clock, leg } = start({ callees: { '+1001': { ring: 2 }, '+1002': { ring: 4, talk: 5 } } });
    const screened: string[] = [];
    const r = await leg.dial(
      dialing([num('+1001'), num('+1002')], {
        screen: async (callee) => {
          screened.push(callee.target.kind === 'number' ? callee.target.number : '');
          return callee.target.kind === 'number' && callee.target.number === '+1002';
        },
      }),
    );
    expect(screened).toEqual(['+1001', '+1002']);
    expect(r.answered?.target).toEqual(num('+1002'));
    expect(events(leg, 'callee-hangup')).toEqual([expect.objectContaining({ t: 2000, reason: 'screened-out' })]);
    expect(clock.now()).toBe(9000);
    await end(leg, clock);
  });

  it('passes the callee 200 OK headers back and records the bridge', async () => {
    const { clock, leg } = start({ callees: { '*': { headers: { 'X-Agent': '7' } } } });
    const r = await leg.dial(dialing([num('+1001')], { record: { channels: 1, from: 'answer' } }));
    expect(r.answered?.headers).toEqual({ 'X-Agent': '7' });
    expect(r.recording).toMatchObject({ duration: 30 });
    await end(leg, clock);
  });
});

describe('refer', () => {
  it('gets 202 then NOTIFY sipfrag codes, 1 s apart', async () => {
    const { clock, leg } = start();
    const r = await leg.refer({ uri: 'sip:alice@example.com', headers: { 'X-AcctNumber': '123456' } });
    expect(r).toEqual({ referSipResponseCode: 202, notifySipResponseCode: 200, callerHungUp: false });
    expect(clock.now()).toBe(2000);
    expect(events(leg, 'refer')[0]).toMatchObject({ headers: { 'X-AcctNumber': '123456' } });
    expect(types(leg)).toEqual(['inbound', 'refer', 'refer-response', 'notify', 'notify']);
    await end(leg, clock);
  });

  it('stops at a refused REFER (405) with no NOTIFY', async () => {
    const { clock, leg } = start({ refer: { response: 405 } });
    const r = await leg.refer({ uri: 'sip:alice@example.com', headers: {} });
    expect(r).toEqual({ referSipResponseCode: 405, callerHungUp: false });
    expect(clock.now()).toBe(0);
    await end(leg, clock);
  });

  it('reports a transfer target that is busy', async () => {
    const { clock, leg } = start({ refer: { response: 202, notify: [100, 180, 486] } });
    const r = await leg.refer({ uri: 'sip:alice@example.com', headers: {} });
    expect(r.notifySipResponseCode).toBe(486);
    await end(leg, clock);
  });
});

describe('streams and conferences', () => {
  it('forks a stream at once and holds a connected one for streamDuration', async () => {
    const { clock, leg } = start({ streamDuration: 42 });
    await leg.startStream({ url: 'wss://media.example.com/fork', name: 'fork', track: 'inbound_track', parameters: {} });
    await leg.stopStream('fork');
    expect(clock.now()).toBe(0);
    const r = await leg.connectStream({ url: 'wss://media.example.com/bot', track: 'both_tracks', parameters: { a: '1' } });
    expect(r).toEqual({ callerHungUp: false });
    expect(clock.now()).toBe(42_000);
    expect(types(leg)).toEqual(['inbound', 'stream-start', 'stream-stop', 'stream', 'stream-end']);
    await end(leg, clock);
  });

  it('keeps the caller in a conference until the caller hangs up', async () => {
    const { clock, leg } = start({ hangupAfter: 25 });
    const r = await leg.conference('room', { muted: false, startOnEnter: true, endOnExit: false, beep: 'true' });
    expect(r).toEqual({ callerHungUp: true, duration: 25 });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('aborting', () => {
  it('stops a Dial that the session aborts, leaving the call up', async () => {
    const { clock, leg } = start({ callees: { '*': { ring: 10 } } });
    const ac = new AbortController();
    clock.timer(4000, () => ac.abort());
    const r = await leg.dial(dialing([num('+1001')]), ac.signal);
    expect(r).toMatchObject({ status: 'canceled', callerHungUp: false });
    expect(clock.now()).toBe(4000);
    expect(leg.isEnded).toBe(false);
    await end(leg, clock);
  });
});

describe('determinism', () => {
  const script: MockCallScript = {
    caller: [{ digits: '2', after: 1 }, { record: 9, digits: '#' }],
    callees: { '*': { ring: 3, talk: 12, headers: { 'X-Agent': '7' } } },
    hangupAfter: 600,
  };
  async function run(): Promise<TranscriptEvent[]> {
    const { clock, leg } = start(script);
    await leg.answer();
    await leg.collect(gather({ prompts: [say('Welcome'), { kind: 'play', url: 'https://example.com/a.mp3', loop: 2 }] }));
    await leg.record(recording());
    await leg.dial(dialing([num('+1001'), sip('sip:b@example.com', { headers: { 'X-EI': 'x' } })]));
    await end(leg, clock);
    return [...leg.transcript];
  }

  it('gives the same transcript for the same script, and the transcript is plain JSON', async () => {
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    expect(a.length).toBeGreaterThan(10);
  });
});
