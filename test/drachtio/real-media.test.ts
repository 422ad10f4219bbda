// Opt-in: media verbs through a real FreeSWITCH (drachtio-fsmrf) and a real drachtio-server, with
// sipp as the caller and far ends on loopback. Besides what real-peers.ts needs, set
// FREESWITCH_HOST, FREESWITCH_PORT and FREESWITCH_SECRET (its event socket; a sofia profile
// "drachtio_mrf", or FREESWITCH_PROFILE, whose dialplan hands calls carrying X-esl-outbound to
// that socket) and FREESWITCH_RECORDINGS (a folder FreeSWITCH writes recordings to and this
// test reads); FREESWITCH_TEST_ASR=1 when mod_test is loaded (its "test" recogniser), FREESWITCH_AUDIO_FORK=1 when mod_audio_fork is. sipp sends no RTP, so what is checked is the control: answers with FreeSWITCH's
// SDP, prompts that end, keys (SIP INFO) that reach a <Gather>, recording files that exist.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { mediaFrames, twilioStreamProblems, wsAgent } from './ws-agent.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DrachtioConfig } from '../../src/telephony/drachtio/index.js';
import { callee, caller, freeMediaPort, freePort, noDrachtio, runSipp, setup as start, type Route, type Setup } from './real-peers.js';
import * as sipp from './sipp-scenarios.js';
import { realClock } from '../../src/clock.js';
import { randomIds } from '../../src/ids.js';
import { Queues } from '../../src/runtime/queues.js';
import { MemoryQueueStore } from '../../src/state/queues.js';
import { toneWav } from '../agent/audio.js';

const FS_HOST = process.env['FREESWITCH_HOST'];
const FS_PORT = Number(process.env['FREESWITCH_PORT'] ?? 8021);
const FS_SECRET = process.env['FREESWITCH_SECRET'] ?? 'ClueCon';
const FS_PROFILE = process.env['FREESWITCH_PROFILE'] ?? 'drachtio_mrf';
const RECORDINGS = process.env['FREESWITCH_RECORDINGS'];
/** FreeSWITCH has mod_test loaded: its "test" recogniser (energy VAD, a result set by parameter). */
const TEST_ASR = process.env['FREESWITCH_TEST_ASR'] === '1';
/** FreeSWITCH has mod_audio_fork loaded (drachtio-freeswitch-modules): <Start><Stream> runs on it. */
const AUDIO_FORK = process.env['FREESWITCH_AUDIO_FORK'] === '1';
/** Speech for sipp to send: the PCMA capture Debian's sip-tester ships. */
const PCAP = process.env['SIPP_PCAP'] ?? '/usr/share/sip-tester/g711a.pcap';
const why = noDrachtio || (!FS_HOST ? 'set FREESWITCH_HOST (and FREESWITCH_PORT, FREESWITCH_SECRET, FREESWITCH_RECORDINGS) to run media verbs against a real FreeSWITCH' : '');
if (why) console.warn(`test/drachtio/real-media.test.ts: skipped; ${why}`);

const media: Partial<DrachtioConfig> = {
  mediaServer: { address: FS_HOST ?? '', port: FS_PORT, secret: FS_SECRET, listenAddress: '127.0.0.1', listenPort: 0, profile: FS_PROFILE },
  tts: { engine: 'flite', voice: 'slt' },
  ...(RECORDINGS ? { recordings: { dir: RECORDINGS, baseUrl: 'http://127.0.0.1:8080/recordings' } } : {}),
};

let current: Setup | undefined;
afterEach(async () => {
  // Nothing went wrong quietly: a prompt FreeSWITCH could not play is a warning, and the call goes on.
  const warnings = current?.logs.filter((l) => l['level'] === 'warn' || l['level'] === 'error') ?? [];
  await current?.close();
  current = undefined;
  expect(warnings).toEqual([]);
});

/** didml with the media server, once its link to FreeSWITCH is up. */
async function setup(routes: Record<string, Route>, extra: Partial<DrachtioConfig> = {}): Promise<Setup> {
  current = await start(routes, { ...media, ...extra });
  for (let i = 0; i < 200 && !current.logs.some((l) => l['msg'] === 'media server connected'); i++) await new Promise((r) => setTimeout(r, 25));
  const failed = current.logs.find((l) => /media server/.test(String(l['msg'])) && l['level'] === 'warn');
  expect(current.logs.some((l) => l['msg'] === 'media server connected'), `no link to FreeSWITCH: ${JSON.stringify(failed)}`).toBe(true);
  return current;
}

/** The file a RecordingUrl names, in the folder FreeSWITCH wrote it to. */
function recorded(url: string | undefined): Buffer {
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/recordings\/RE[0-9a-f]{32}\.wav$/);
  const file = join(RECORDINGS!, url!.split('/').pop()!);
  expect(existsSync(file), `${file} was not written`).toBe(true);
  return readFileSync(file);
}

describe.skipIf(Boolean(why))('media through a real FreeSWITCH', () => {
  it('answers with the FreeSWITCH endpoint SDP, speaks with flite, hangs up', async () => {
    const s = await setup({ '/voice': '<Response><Say>Hello from didml.</Say><Hangup/></Response>' });
    expect(await caller(s, sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), '+14155550199')).toMatchObject({ code: 0 });
    const summary = await s.summaries[0]!;
    expect(summary).toMatchObject({ status: 'completed', reason: '<Hangup>', errors: [] });
  });

  it('a key sent by SIP INFO ends a <Gather> (through uuid_recv_dtmf and FreeSWITCH DTMF events)', async () => {
    const s = await setup({
      '/voice': '<Response><Gather numDigits="1" timeout="10" action="/menu"><Say>Press a key, any key.</Say></Gather><Hangup/></Response>',
      '/menu': '<Response><Hangup/></Response>',
    });
    expect(await caller(s, sipp.callerPresses({ keys: '5', afterMs: 800 }), '+14155550199')).toMatchObject({ code: 0 });
    await s.summaries[0];
    expect(s.requests.find((r) => r.url.endsWith('/menu'))?.params).toMatchObject({ Digits: '5' });
  });

  it('keys in the media (RFC 4733 telephone events, sipp playing captures) end a <Gather>', async () => {
    const s = await setup({
      '/voice': '<Response><Gather numDigits="2" timeout="10" action="/menu"><Say>Enter two digits.</Say></Gather><Hangup/></Response>',
      '/menu': '<Response><Hangup/></Response>',
    });
    const keys = ['1', '2'].map((k) => `/usr/share/sip-tester/dtmf_2833_${k}.pcap`);
    const run = runSipp(sipp.callerPressesInRtp({ pcaps: keys, afterMs: 600, answer: 'telephone-event' }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
    expect(await run.done).toMatchObject({ code: 0 });
    await s.summaries[0];
    expect(s.requests.find((r) => r.url.endsWith('/menu'))?.params).toMatchObject({ Digits: '12' });
  });

  it('a <Gather> nobody answers falls through after its timeout, and the prompts before it played out', async () => {
    const s = await setup({
      '/voice': '<Response><Gather numDigits="1" timeout="2" action="/menu"><Say loop="2">Press a key.</Say></Gather><Say>We did not hear you.</Say><Hangup/></Response>',
      '/menu': '<Response/>',
    });
    expect(await caller(s, sipp.callerAnswered(), '+14155550199')).toMatchObject({ code: 0 });
    const summary = await s.summaries[0]!;
    expect(summary).toMatchObject({ reason: '<Hangup>' });
    expect(s.requests.some((r) => r.url.endsWith('/menu'))).toBe(false);
    // The prompt twice, then the 2 s timeout, then the last words: the call lasted past the timeout.
    expect(summary.duration).toBeGreaterThanOrEqual(3);
  });

  it.skipIf(!TEST_ASR)('<Gather input="speech">: detect_speech with a real recogniser (mod_test) hears the caller talk and posts SpeechResult', async () => {
    const s = await setup(
      {
        '/voice': '<Response><Gather input="speech" language="en-GB" timeout="8" action="/heard"><Say>Which department?</Say></Gather><Hangup/></Response>',
        '/heard': '<Response><Hangup/></Response>',
      },
      // mod_test takes its answer from grammar parameters; a real engine would take the language.
      { asr: { engine: 'test', grammar: '{result=billing,confidence=82,speech-language=${language}}didml' } },
    );
    // sipp talks (its PCMA capture) from the answer on; the recogniser's VAD hears it start and stop.
    const run = runSipp(sipp.callerPresses({ keys: '', afterMs: 0, audio: PCAP }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
    expect(await run.done).toMatchObject({ code: 0 });
    await s.summaries[0];
    expect(s.requests.find((r) => r.url.endsWith('/heard'))?.params).toMatchObject({ SpeechResult: 'billing', Confidence: '0.82' });
  });

  it.skipIf(!TEST_ASR)('<Connect><ConversationRelay> through FreeSWITCH: flite speaks, mod_test hears the caller (a prompt), a key reaches the app (dtmf), and its end runs the action with the session\'s parameters', async () => {
    const agent = await wsAgent((raw, ws) => {
      const m = raw as unknown as Record<string, unknown>;
      if (m['type'] === 'prompt' && agent.messages.filter((x) => (x as unknown as Record<string, unknown>)['type'] === 'prompt').length === 1) ws.send(JSON.stringify({ type: 'text', token: 'You said billing.', last: true }));
      if (m['type'] === 'dtmf') ws.send(JSON.stringify({ type: 'end', handoffData: '{"department":"billing"}' }));
    });
    try {
      const s = await setup(
        {
          '/voice': `<Response><Connect action="/after"><ConversationRelay url="${agent.url}" welcomeGreeting="Hello." dtmfDetection="true" transcriptionLanguage="en-GB"><Parameter name="customer" value="7"/></ConversationRelay></Connect></Response>`,
          '/after': '<Response><Hangup/></Response>',
        },
        { asr: { engine: 'test', grammar: '{result=billing,confidence=82,speech-language=${language}}didml' } },
      );
      // sipp talks (its PCMA capture) from the answer on; mod_test's VAD has its result some 7 s
      // later (the end of the capture, then its silence); then the caller presses 5 by SIP INFO.
      const run = runSipp(sipp.callerPresses({ keys: '5', afterMs: 11000, audio: PCAP }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
      expect(await run.done).toMatchObject({ code: 0 });
      expect(await s.summaries[0]).toMatchObject({ reason: '<Hangup>', errors: [] });
      const msgs = agent.messages as unknown as Record<string, unknown>[];
      expect(msgs[0]).toMatchObject({ type: 'setup', customParameters: { customer: '7' }, sessionId: expect.stringMatching(/^VX/) });
      expect(msgs.find((m) => m['type'] === 'prompt')).toEqual({ type: 'prompt', voicePrompt: 'billing', lang: 'en-GB', last: true });
      expect(msgs.filter((m) => m['type'] === 'dtmf')).toEqual([{ type: 'dtmf', digit: '5' }]);
      const p = s.requests.find((r) => r.url.endsWith('/after'))!.params;
      expect(p).toMatchObject({ SessionId: msgs[0]!['sessionId'], SessionStatus: 'completed', HandoffData: '{"department":"billing"}' });
      expect(Number(p['SessionDuration'])).toBeGreaterThanOrEqual(5);
    } finally {
      await agent.close();
    }
  });

  it.skipIf(!TEST_ASR)('<Connect><ConversationRelay> through FreeSWITCH: the caller talking over the greeting stops flite, and the app gets interrupt, then the prompt', async () => {
    const greeting = 'Welcome to the didml test line. This greeting goes on for quite a while, so that the caller has every chance to talk over it before it is done.';
    const agent = await wsAgent((raw, ws) => {
      if ((raw as unknown as Record<string, unknown>)['type'] === 'prompt') ws.send(JSON.stringify({ type: 'end' }));
    });
    try {
      const s = await setup(
        {
          '/voice': `<Response><Connect action="/after"><ConversationRelay url="${agent.url}" welcomeGreeting="${greeting}"/></Connect></Response>`,
          '/after': '<Response><Hangup/></Response>',
        },
        { asr: { engine: 'test', grammar: '{result=sales,confidence=90}didml' } },
      );
      // The caller starts talking 2 s into the call: the greeting is playing by then.
      const run = runSipp(sipp.callerPresses({ keys: '', afterMs: 0, audio: PCAP, talkAfterMs: 2000 }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
      expect(await run.done).toMatchObject({ code: 0 });
      const summary = await s.summaries[0]!;
      expect(summary).toMatchObject({ reason: '<Hangup>', errors: [] });
      const msgs = agent.messages as unknown as Record<string, unknown>[];
      expect(msgs.map((m) => m['type'])).toEqual(['setup', 'interrupt', 'prompt']);
      expect(greeting.startsWith(String(msgs[1]!['utteranceUntilInterrupt']))).toBe(true);
      expect(Number(msgs[1]!['durationUntilInterruptMs'])).toBeGreaterThan(0);
      expect(msgs[2]).toMatchObject({ voicePrompt: 'sales', last: true });
      expect(s.requests.find((r) => r.url.endsWith('/after'))?.params).toMatchObject({ SessionStatus: 'completed', HandoffData: '' });
    } finally {
      await agent.close();
    }
  });

  it.skipIf(!RECORDINGS)('<Record> writes the file that RecordingUrl names, ended by the finishing key', async () => {
    const s = await setup({ '/voice': '<Response><Record maxLength="10" playBeep="true" action="/recorded"/></Response>', '/recorded': '<Response><Hangup/></Response>' });
    // The caller talks (sipp's own PCMA capture): a recording without audio is empty, and an empty
    // recording goes on without the action, as on Twilio.
    const talking = runSipp(sipp.callerPresses({ keys: '#', afterMs: 2500, audio: PCAP }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
    expect(await talking.done).toMatchObject({ code: 0 });
    await s.summaries[0];
    const p = s.requests.find((r) => r.url.endsWith('/recorded'))!.params;
    expect(p).toMatchObject({ Digits: '#' });
    expect(Number(p['RecordingDuration'])).toBeGreaterThanOrEqual(1);
    const wav = recorded(p['RecordingUrl']);
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.length).toBeGreaterThan(44 + 8000 * 2);
  });

  it.skipIf(!RECORDINGS)('<Record> and the caller hanging up instead of pressing a key: the recording is kept and the action hears Digits=hangup', async () => {
    const s = await setup({ '/voice': '<Response><Say>Leave a message.</Say><Record maxLength="30" action="/recorded"/></Response>', '/recorded': '<Response/>' });
    const talking = runSipp(sipp.callerHangsUp({ afterMs: 4000, audio: PCAP }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
    expect(await talking.done).toMatchObject({ code: 0 });
    expect(await s.summaries[0]).toMatchObject({ reason: 'caller hung up' });
    const p = s.requests.find((r) => r.url.endsWith('/recorded'))!.params;
    expect(p).toMatchObject({ Digits: 'hangup', CallStatus: 'completed' });
    expect(Number(p['RecordingDuration'])).toBeGreaterThanOrEqual(1);
    const wav = recorded(p['RecordingUrl']);
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    // Complete when reported: more than a second of 16-bit audio, not just the header.
    expect(wav.length).toBeGreaterThan(44 + 8000 * 2);
  });

  it.skipIf(!RECORDINGS)('<Start><Recording channels="dual">: the whole call on two channels, reported when the caller hangs up', async () => {
    const s = await setup({ '/voice': '<Response><Start><Recording channels="dual" recordingStatusCallback="/rec"/></Start><Say>This call is recorded.</Say><Pause length="20"/></Response>', '/rec': '' });
    const talking = runSipp(sipp.callerHangsUp({ afterMs: 3000, audio: PCAP }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
    expect(await talking.done).toMatchObject({ code: 0 });
    await s.summaries[0];
    for (let i = 0; i < 100 && !s.requests.some((r) => r.url.endsWith('/rec')); i++) await new Promise((r) => setTimeout(r, 20));
    const p = s.requests.find((r) => r.url.endsWith('/rec'))!.params;
    expect(p).toMatchObject({ RecordingSource: 'StartCallRecordingTwiML', RecordingStatus: 'completed', RecordingChannels: '2' });
    const wav = recorded(p['RecordingUrl']);
    expect(wav.readUInt16LE(22)).toBe(2);
    expect(wav.length).toBeGreaterThan(44 + 8000 * 2 * 2); // more than a second of two 16-bit channels
  });

  it.skipIf(!RECORDINGS)('<Dial record="record-from-answer-dual"> bridges the callee through FreeSWITCH and records both on two channels', async () => {
    const far = await callee(sipp.calleeAnswers({ talkMs: 1500 }));
    const s = await setup({
      '/voice': `<Response><Dial record="record-from-answer-dual" action="/dialed"><Sip>sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial><Hangup/></Response>`,
      '/dialed': '<Response><Hangup/></Response>',
    });
    expect(await caller(s, sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
    await s.summaries[0];
    const p = s.requests.find((r) => r.url.endsWith('/dialed'))!.params;
    expect(p).toMatchObject({ DialCallStatus: 'completed' });
    const wav = recorded(p['RecordingUrl']);
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.readUInt16LE(22)).toBe(2); // channels
  });

  it('<Conference endConferenceOnExit>: when that participant leaves, the others are out of the room and their documents go on', async () => {
    const s = await setup({
      '/voice': (req) =>
        req.params['To'] === '+14155550111'
          ? '<Response><Dial><Conference endConferenceOnExit="true">didml-ending-room</Conference></Dial></Response>'
          : '<Response><Dial action="/ended"><Conference>didml-ending-room</Conference></Dial></Response>',
      '/ended': '<Response><Say>The conference has ended.</Say><Hangup/></Response>',
    });
    const host = caller(s, sipp.callerHangsUp({ afterMs: 2500 }), '+14155550111');
    for (let i = 0; i < 200 && s.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const guest = caller(s, sipp.callerAnswered(), '+14155550112');
    expect(await host).toMatchObject({ code: 0 });
    expect(await guest).toMatchObject({ code: 0 });
    const summaries = await Promise.all(s.summaries);
    expect(summaries.map((x) => x.reason).sort()).toEqual(['<Hangup>', 'caller hung up']);
    expect(s.requests.filter((r) => r.url.endsWith('/ended'))).toHaveLength(1);
  });

  it('PolyAI: speaks, then hands off by REFER in the dialog FreeSWITCH answered', async () => {
    const s = await setup({
      '/voice': '<Response><Say>Transferring you now.</Say><Refer action="/refer-done"><Sip>sip:support@example.com?X-Caller-ID=%2B15551234567</Sip></Refer></Response>',
      '/refer-done': '<Response><Hangup/></Response>',
    });
    expect(await caller(s, sipp.callerReferred({ referTo: 'sip:support@example\\.com', header: ['X-Caller-ID', '\\+15551234567'], response: 202 }), '+15557654321')).toMatchObject({ code: 0 });
    await s.summaries[0];
    expect(s.requests.find((q) => q.url.endsWith('/refer-done'))!.params).toMatchObject({ ReferCallStatus: 'in-progress', NotifySipResponseCode: '200' });
  });

  it('<Sip url>: the screening document speaks to the callee on its own FreeSWITCH endpoint, then the bridge', async () => {
    const far = await callee(sipp.calleeAnswers({ talkMs: 2500 }));
    const s = await setup({
      '/voice': `<Response><Dial action="/dialed"><Sip url="/whisper">sip:+14155550142@127.0.0.1:${far.port}</Sip></Dial><Hangup/></Response>`,
      '/whisper': '<Response><Say>Call for you.</Say></Response>',
      '/dialed': '<Response><Hangup/></Response>',
    });
    expect(await caller(s, sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), '+14155550199')).toMatchObject({ code: 0 });
    expect(await far.done).toMatchObject({ code: 0 });
    await s.summaries[0];
    const whisper = s.requests.find((r) => r.url.endsWith('/whisper'))!.params;
    expect(whisper).toMatchObject({ Direction: 'outbound-dial', To: expect.stringContaining('+14155550142') });
    expect(s.requests.find((r) => r.url.endsWith('/dialed'))!.params).toMatchObject({ DialCallStatus: 'completed', DialCallSid: whisper['CallSid'] });
  });

  it('a placed call (the Calls API) offers a FreeSWITCH endpoint; once the far end answers, the document speaks on it and hangs up', async () => {
    const far = await callee(sipp.calleeAnswersUntilBye({ requestUri: '^INVITE sip:agent@127\\.0\\.0\\.1:[0-9]+ SIP', body: 'o=FreeSWITCH' }));
    const s = await setup({ '/voice': '<Response><Say>Your appointment is tomorrow at nine.</Say><Hangup/></Response>' });
    const placed = s.place({ kind: 'sip', uri: `sip:agent@127.0.0.1:${far.port}`, headers: {} });
    expect(await placed.result).toMatchObject({ answered: true });
    expect(await far.done).toMatchObject({ code: 0 });
    expect(await s.summaries[0]).toMatchObject({ status: 'completed', reason: '<Hangup>', errors: [] });
    expect(s.requests[0]!.params).toMatchObject({ Direction: 'outbound-api' });
  });

  it('a hold from the caller (re-INVITE, a=sendonly) goes to its FreeSWITCH endpoint, which answers recvonly', async () => {
    const s = await setup({ '/voice': '<Response><Say>Please hold the line.</Say><Pause length="10"/></Response>' });
    expect(await caller(s, sipp.callerHolds({ afterMs: 600 }), '+14155550199')).toMatchObject({ code: 0 });
    expect(await s.summaries[0]).toMatchObject({ reason: 'caller hung up' });
  });

  it('a queue: the caller waiting in <Enqueue> is bridged through FreeSWITCH to the one who dials the queue', async () => {
    const s = await setup({
      '/voice': (req) =>
        req.params['To'] === '+14155550101'
          ? '<Response><Enqueue waitUrl="/wait">support</Enqueue></Response>'
          : '<Response><Dial action="/dialed"><Queue>support</Queue></Dial></Response>',
      '/wait': '<Response><Say>Please hold.</Say><Pause length="2"/></Response>',
      '/dialed': '<Response><Hangup/></Response>',
    });
    const waiting = caller(s, sipp.callerHangsUp({ afterMs: 3500, answer: 'o=FreeSWITCH' }), '+14155550101');
    for (let i = 0; i < 200 && !s.requests.some((r) => r.url.endsWith('/wait')); i++) await new Promise((r) => setTimeout(r, 20));
    const agent = caller(s, sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), '+14155550102');
    expect(await waiting).toMatchObject({ code: 0 });
    expect(await agent).toMatchObject({ code: 0 });
    await Promise.all(s.summaries);
    expect(s.requests.find((r) => r.url.endsWith('/dialed'))!.params).toMatchObject({ DialCallStatus: 'completed' });
    expect(Number(s.requests.find((r) => r.url.endsWith('/dialed'))!.params['DialCallDuration'])).toBeGreaterThanOrEqual(1);
  });

  it('a queue across instances: a caller of instance A is bridged on the one FreeSWITCH by its channel id to an agent of instance B', async () => {
    // Two instances' queues over one line (in-process here; Redis carries the same messages between
    // processes: test/server/cluster-queues.test.ts), the caller's with A, the agent's with B.
    const line = new MemoryQueueStore();
    const ids = () => randomIds('QU');
    const qa: Queues = new Queues(realClock, ids, { store: line, instanceId: 'a', send: async (sid, m) => qb.receive(sid, m) });
    const qb: Queues = new Queues(realClock, ids, { store: line, instanceId: 'b', send: async (sid, m) => qa.receive(sid, m) });
    current = await start(
      {
        '/voice': (req) =>
          req.params['To'] === '+14155550101'
            ? '<Response><Enqueue waitUrl="/wait" action="/enqueued">support</Enqueue></Response>'
            : '<Response><Dial action="/dialed"><Queue>support</Queue></Dial></Response>',
        '/wait': '<Response><Say>Please hold.</Say><Pause length="2"/></Response>',
        '/dialed': '<Response><Hangup/></Response>',
        '/enqueued': '<Response><Hangup/></Response>',
      },
      media,
      {},
      { queuesFor: (call) => (call.to === '+14155550101' ? qa : qb) },
    );
    const s = current;
    for (let i = 0; i < 200 && !s.logs.some((l) => l['msg'] === 'media server connected'); i++) await new Promise((r) => setTimeout(r, 25));
    const waiting = caller(s, sipp.callerHangsUp({ afterMs: 3500, answer: 'o=FreeSWITCH' }), '+14155550101');
    for (let i = 0; i < 200 && !s.requests.some((r) => r.url.endsWith('/wait')); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await line.members('support'))[0]!.media).toMatch(/^[0-9a-f-]{36}$/);
    const agent = caller(s, sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), '+14155550102');
    expect(await waiting).toMatchObject({ code: 0 });
    expect(await agent).toMatchObject({ code: 0 });
    await Promise.all(s.summaries);
    const dialed = s.requests.find((r) => r.url.endsWith('/dialed'))!.params;
    expect(dialed).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true' });
    expect(Number(dialed['DialCallDuration'])).toBeGreaterThanOrEqual(1);
    expect(s.requests.find((r) => r.url.endsWith('/enqueued'))!.params).toMatchObject({ QueueResult: 'bridged' });
  });

  it('a burst: 40 calls at 20 a second, each answered by FreeSWITCH, spoken to and hung up; none lost', async () => {
    const s = await setup({ '/voice': '<Response><Say>Hello there.</Say><Hangup/></Response>' });
    const burst = runSipp(sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-r', '20', '-l', '40'], 40);
    expect(await burst.done).toMatchObject({ code: 0 });
    const summaries = await Promise.all(s.summaries);
    expect(summaries).toHaveLength(40);
    expect(new Set(summaries.map((x) => `${x.status} ${x.reason}`))).toEqual(new Set(['completed <Hangup>']));
  });

  it('<Connect><Stream> through FreeSWITCH: the caller\'s speech reaches a websocket agent as Twilio Media Streams frames, and the agent\'s audio and marks go back', async () => {
    const agent = await wsAgent((m, ws) => {
      if (m.event === 'start') {
        // The agent answers with half a second of audio and a mark after it.
        ws.send(JSON.stringify({ event: 'media', streamSid: m.streamSid, media: { payload: Buffer.alloc(4000, 0x7f).toString('base64') } }));
        ws.send(JSON.stringify({ event: 'mark', streamSid: m.streamSid, mark: { name: 'said-hello' } }));
      }
      // It has heard a second of the caller: it ends the stream.
      if (m.event === 'media' && mediaFrames(agent.messages).length === 50) ws.close();
    });
    try {
      const s = await setup({ '/voice': `<Response><Connect><Stream url="${agent.url}"/></Connect><Hangup/></Response>` }, { rtp: { address: '127.0.0.1' } });
      const talking = runSipp(sipp.callerPresses({ keys: '', afterMs: 0, audio: PCAP }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
      expect(await talking.done).toMatchObject({ code: 0 });
      expect(await s.summaries[0]).toMatchObject({ reason: '<Hangup>' });
      const media = mediaFrames(agent.messages);
      expect(media.length).toBeGreaterThanOrEqual(50);
      expect(media.every((f) => f.length === 160)).toBe(true);
      expect(new Set(media.map((f) => f.toString('hex'))).size).toBeGreaterThan(10);
      expect(agent.messages.filter((m) => m.event === 'mark').map((m) => (m['mark'] as { name: string }).name)).toEqual(['said-hello']);
    } finally {
      await agent.close();
    }
  });

  it('<Connect><Stream> through FreeSWITCH: a key the caller presses (RFC 4733) reaches the agent as a dtmf event', async () => {
    const agent = await wsAgent((m, ws) => m.event === 'dtmf' && setTimeout(() => ws.close(), 50));
    try {
      const s = await setup({ '/voice': `<Response><Connect><Stream url="${agent.url}"/></Connect><Hangup/></Response>` }, { rtp: { address: '127.0.0.1' } });
      const run = runSipp(sipp.callerPressesInRtp({ pcaps: ['/usr/share/sip-tester/dtmf_2833_3.pcap'], afterMs: 1500 }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
      expect(await run.done).toMatchObject({ code: 0 });
      await s.summaries[0];
      expect(agent.messages.filter((m) => m.event === 'dtmf').map((m) => m['dtmf'])).toEqual([{ track: 'inbound_track', digit: '3' }]);
    } finally {
      await agent.close();
    }
  });

  it.skipIf(!AUDIO_FORK)('<Start><Stream track="both_tracks"> through FreeSWITCH (mod_audio_fork to didml\'s listener): the agent gets Twilio Media Streams, the caller on inbound and the <Say> on outbound; <Stop><Stream> ends it', async () => {
    const agent = await wsAgent();
    try {
      const s = await setup({
        '/voice': '<Response><Start><Stream name="fork" url="AGENT" track="both_tracks" statusCallback="/stream"><Parameter name="leg" value="caller"/></Stream></Start><Say>This call is being streamed. One, two, three, four, five.</Say><Stop><Stream name="fork"/></Stop><Hangup/></Response>'.replace('AGENT', agent.url),
        '/stream': '',
      });
      const talking = runSipp(sipp.callerPresses({ keys: '', afterMs: 0, audio: PCAP }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
      expect(await talking.done).toMatchObject({ code: 0 });
      expect(await s.summaries[0]).toMatchObject({ reason: '<Hangup>' });
      for (let i = 0; i < 200 && !agent.messages.some((m) => m.event === 'stop'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(twilioStreamProblems(agent.messages)).toEqual([]);
      const events = agent.messages.map((m) => m.event);
      expect(events[0]).toBe('connected');
      expect(events[1]).toBe('start');
      expect(events.at(-1)).toBe('stop');
      const start = agent.messages[1]!['start'] as Record<string, unknown>;
      expect(start).toMatchObject({ tracks: ['inbound', 'outbound'], customParameters: { leg: 'caller' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } });
      const on = (track: string) => agent.messages.filter((m) => m.event === 'media' && (m['media'] as { track: string }).track === track).map((m) => m['media'] as { chunk: string; timestamp: string; payload: string });
      const inbound = on('inbound');
      const outbound = on('outbound');
      // A second and more of each: FreeSWITCH's L16, cut into 20 ms of μ-law by didml.
      expect(inbound.length).toBeGreaterThanOrEqual(50);
      expect(outbound.length).toBeGreaterThanOrEqual(50);
      for (const list of [inbound, outbound]) {
        expect(list.every((x) => Buffer.from(x.payload, 'base64').length === 160)).toBe(true);
        expect(list.map((x) => x.chunk).slice(0, 3)).toEqual(['1', '2', '3']);
        expect(list.map((x) => x.timestamp).slice(0, 3)).toEqual(['0', '20', '40']);
        // Speech, not silence: sipp's capture inbound, flite outbound.
        expect(new Set(list.map((x) => x.payload)).size).toBeGreaterThan(10);
      }
      for (let i = 0; i < 200 && s.requests.filter((r) => r.url.endsWith('/stream')).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(s.requests.filter((r) => r.url.endsWith('/stream')).map((r) => [r.params['StreamEvent'], r.params['StreamName'], r.params['StreamSid']])).toEqual([
        ['stream-started', 'fork', agent.messages[1]!.streamSid],
        ['stream-stopped', 'fork', agent.messages[1]!.streamSid],
      ]);
    } finally {
      await agent.close();
    }
  });

  it.skipIf(AUDIO_FORK)('<Start><Stream> on a FreeSWITCH without mod_audio_fork: stream-error naming the module, the agent hears stop, and the call goes on', async () => {
    const agent = await wsAgent();
    try {
      const s = await setup({
        '/voice': '<Response><Start><Stream url="AGENT" statusCallback="/stream"/></Start><Say>Still here.</Say><Hangup/></Response>'.replace('AGENT', agent.url),
        '/stream': '',
      });
      expect(await caller(s, sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), '+14155550199')).toMatchObject({ code: 0 });
      expect(await s.summaries[0]).toMatchObject({ reason: '<Hangup>', errors: [] });
      for (let i = 0; i < 200 && !s.requests.some((r) => r.url.endsWith('/stream')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(s.requests.filter((r) => r.url.endsWith('/stream')).map((r) => r.params['StreamEvent'])).toEqual(['stream-error']);
      expect(s.requests.find((r) => r.url.endsWith('/stream'))!.params['StreamError']).toMatch(/needs mod_audio_fork \(drachtio-freeswitch-modules\)/);
      expect(agent.messages.map((m) => m.event)).toEqual(['connected', 'start', 'stop']);
      // The one warning this call makes is that one: the afterEach check is for the others.
      const said = s.logs.findIndex((l) => l['level'] === 'warn' && /<Start><Stream>: FreeSWITCH has no uuid_audio_fork/.test(String(l['msg'])));
      expect(said).toBeGreaterThanOrEqual(0);
      s.logs.splice(said, 1);
    } finally {
      await agent.close();
    }
  });

  it('<Play> of a URL: FreeSWITCH fetches it over HTTP (mod_httapi) and plays it to the end', async () => {
    const served: string[] = [];
    const http = createServer((req, res) => {
      served.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.setHeader('Content-Type', 'audio/wav');
      res.end(toneWav({ rate: 8000, seconds: 0.5 }));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/tone.wav`;
      const s = await setup({ '/voice': `<Response><Play>${url}</Play><Hangup/></Response>` });
      expect(await caller(s, sipp.callerAnswered({ answer: 'o=FreeSWITCH' }), '+14155550199')).toMatchObject({ code: 0 });
      expect(await s.summaries[0]).toMatchObject({ status: 'completed', reason: '<Hangup>' });
      // mod_httapi may ask more than once (it caches by what the server says); it did fetch it.
      expect(served).toContain('GET /tone.wav');
    } finally {
      http.close();
    }
  });

  it('<Dial hangupOnStar><Conference>: * (RFC 4733) takes the caller out of the FreeSWITCH room and the action runs', async () => {
    const s = await setup({
      '/voice': '<Response><Dial hangupOnStar="true" action="/left"><Conference>didml-star-room</Conference></Dial></Response>',
      '/left': '<Response><Say>You left the room.</Say><Hangup/></Response>',
    });
    const star = ['/usr/share/sip-tester/dtmf_2833_star.pcap'];
    const run = runSipp(sipp.callerPressesInRtp({ pcaps: star, afterMs: 1500, answer: 'telephone-event' }), [s.sip, '-s', '+14155550199', '-p', String(await freePort()), '-mp', String(await freeMediaPort())]);
    expect(await run.done).toMatchObject({ code: 0 });
    const summary = await s.summaries[0]!;
    expect(summary).toMatchObject({ status: 'completed', reason: '<Hangup>' });
    expect(s.requests.find((r) => r.url.endsWith('/left'))?.params).toMatchObject({ DialCallStatus: 'answered' });
  });

  it('<Conference>: the caller joins the room on FreeSWITCH and leaves it by hanging up', async () => {
    const s = await setup({ '/voice': '<Response><Dial action="/left"><Conference>didml-test-room</Conference></Dial></Response>', '/left': '<Response/>' });
    expect(await caller(s, sipp.callerHangsUp({ afterMs: 1500, answer: 'o=FreeSWITCH' }), '+14155550199')).toMatchObject({ code: 0 });
    const summary = await s.summaries[0]!;
    expect(summary).toMatchObject({ status: 'completed', reason: 'caller hung up' });
    expect(summary.duration).toBeGreaterThanOrEqual(1);
  });
});

