// Queues across calls: one caller waits in line (<Enqueue> with a wait document), another call
// takes it (<Dial><Queue>, or DIDML's <Queue>), and both apps hear what happened.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { runCall, type CallSummary } from '../../src/runtime/session.js';
import { Queues } from '../../src/runtime/queues.js';
import { sequentialIds } from '../../src/ids.js';
import { createMockAdapter, type MockCallScript, type TranscriptEvent } from '../../src/telephony/mock/index.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport } from '../../src/webhook/handler.js';

type Seen = { path: string; params: Record<string, string> };

/** Calls sharing one backend, one clock and one set of queues, against an in-process app. */
async function calls(documents: Record<string, string>, scripts: { path: string; at: number; script: MockCallScript; dialect?: 'didml' }[]) {
  const clock = new VirtualClock();
  const adapter = createMockAdapter({ clock });
  const ids = sequentialIds();
  const queues = new Queues(clock, () => ids('QU'));
  const seen: Seen[] = [];
  const webhooks = createWebhookClient({
    transport: handlerTransport(({ url, params }) => {
      const path = new URL(url).pathname;
      seen.push({ path, params });
      const body = documents[path];
      return body === undefined ? { status: 404, body: 'no such document' } : { contentType: 'text/xml', body };
    }),
  });
  const results = await Promise.all(
    scripts.map(
      (s) =>
        new Promise<{ summary: CallSummary; events: TranscriptEvent[] }>((resolve) => {
          clock.timer(s.at * 1000, () => {
            const call = adapter.placeCall(s.script);
            void runCall(call, {
              app: { url: `http://app.test${s.path}`, ...(s.dialect ? { dialect: s.dialect } : {}) },
              webhooks,
              clock,
              ids,
              queues,
              onEvent: ({ t: _t, ...e }) => void call.leg.log(e),
            }).then(async (summary) => {
              await call.leg.ended;
              resolve({ summary, events: [...call.leg.transcript] });
            });
          });
        }),
    ),
  );
  await webhooks.close();
  expect(clock.pendingTimers).toBe(0);
  return { results, seen };
}

const xml = (body: string) => `<Response>${body}</Response>`;

describe('queues', () => {
  it('a caller waits with the wait document until an agent takes it; both actions hear the outcome', async () => {
    const { results, seen } = await calls(
      {
        '/caller': xml('<Enqueue waitUrl="/wait" action="/after-queue">support</Enqueue><Say>not reached</Say>'),
        '/wait': xml('<Say>Please hold.</Say><Pause length="5"/>'),
        '/after-queue': xml('<Say>Thanks for holding.</Say><Hangup/>'),
        '/agent': xml('<Dial action="/after-agent"><Queue>support</Queue></Dial>'),
        '/after-agent': xml('<Hangup/>'),
      },
      [
        { path: '/caller', at: 0, script: { from: '+14155550100', hangupAfter: 120 } },
        { path: '/agent', at: 12, script: { from: '+14155550111', bridgeDuration: 20 } },
      ],
    );
    const [caller, agent] = results;
    const waits = seen.filter((s) => s.path === '/wait');
    // 12 s of waiting: the wait document (about 5.8 s a turn) was fetched again after each turn.
    expect(waits.length).toBe(3);
    expect(waits[0]!.params).toMatchObject({ QueuePosition: '1', CurrentQueueSize: '1', QueueTime: '0', QueueSid: expect.stringMatching(/^QU[0-9a-f]{32}$/) });
    const queueSid = waits[0]!.params['QueueSid'];
    expect(Number(waits[1]!.params['QueueTime'])).toBeGreaterThan(0);

    const afterQueue = seen.find((s) => s.path === '/after-queue')!.params;
    expect(afterQueue).toMatchObject({ QueueResult: 'bridged', QueueSid: queueSid, QueueTime: '12' });
    const afterAgent = seen.find((s) => s.path === '/after-agent')!.params;
    expect(afterAgent).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true', DialCallDuration: '20', DialCallSid: caller!.summary.callSid });

    expect(caller!.events.filter((e) => e.type === 'say').map((e) => e['text'])).toEqual(['Please hold.', 'Please hold.', 'Please hold.', 'Thanks for holding.']);
    expect(agent!.events.find((e) => e.type === 'bridge-end')).toMatchObject({ endedBy: 'caller', duration: 20 });
    expect(afterAgent['QueueSid']).toBe(queueSid);
    expect(caller!.summary.reason).toBe('<Hangup>');
  });

  it('<Leave> in the wait document takes the caller out of line to the action', async () => {
    const { results, seen } = await calls(
      {
        '/caller': xml('<Enqueue waitUrl="/wait" action="/voicemail">sales</Enqueue>'),
        '/wait': xml('<Say>Nobody is free.</Say><Leave/>'),
        '/voicemail': xml('<Say>Leave a message.</Say>'),
      },
      [{ path: '/caller', at: 0, script: {} }],
    );
    expect(seen.find((s) => s.path === '/voicemail')!.params).toMatchObject({ QueueResult: 'leave' });
    expect(results[0]!.summary.errors).toEqual([]);
  });

  it('a full queue answers queue-full at once', async () => {
    const { seen } = await calls(
      {
        '/caller': xml('<Enqueue maxQueueSize="1" waitUrl="/wait" action="/full">q</Enqueue>'),
        '/wait': xml('<Pause length="30"/>'),
        '/full': xml('<Say>Try later.</Say>'),
      },
      [
        { path: '/caller', at: 0, script: { hangupAfter: 20 } },
        { path: '/caller', at: 1, script: {} },
      ],
    );
    const results = seen.filter((s) => s.path === '/full').map((s) => s.params['QueueResult']);
    expect(results).toEqual(['queue-full', 'hangup']);
  });

  it('an agent with nobody in line gives up after the Dial timeout', async () => {
    const { seen, results } = await calls(
      { '/agent': xml('<Dial timeout="10" action="/after"><Queue>empty</Queue></Dial>'), '/after': xml('<Hangup/>') },
      [{ path: '/agent', at: 0, script: {} }],
    );
    expect(seen.find((s) => s.path === '/after')!.params).toMatchObject({ DialCallStatus: 'no-answer', DialBridged: 'false' });
    expect(results[0]!.events.find((e) => e.type === 'webhook' && String(e['url']).endsWith('/after'))!.t).toBe(10000);
  });

  it('DIDML: <Queue> on its own picks up the caller waiting in <EnQueue>', async () => {
    const { seen } = await calls(
      {
        '/caller': '<response><enqueue action="/done">front</enqueue></response>',
        '/done': xml('<Hangup/>'),
        '/agent': '<response><queue>front</queue></response>',
      },
      [
        { path: '/caller', at: 0, script: { hangupAfter: 60 }, dialect: 'didml' },
        { path: '/agent', at: 3, script: { bridgeDuration: 5 }, dialect: 'didml' },
      ],
    );
    expect(seen.find((s) => s.path === '/done')!.params).toMatchObject({ QueueResult: 'bridged', QueueTime: '3', callSid: expect.stringMatching(/^CA/) });
  });

  it('the caller hanging up in line reports QueueResult=hangup', async () => {
    const { seen } = await calls(
      { '/caller': xml('<Enqueue action="/after">q</Enqueue>'), '/after': xml('<Say>unheard</Say>') },
      [{ path: '/caller', at: 0, script: { hangupAfter: 42 } }],
    );
    expect(seen.find((s) => s.path === '/after')!.params).toMatchObject({ QueueResult: 'hangup', QueueTime: '42' });
  });

  it('<Queue url>: a document for the dequeued caller runs before the bridge, with QueueSid, QueueTime and DequeingCallSid', async () => {
    const { results, seen } = await calls(
      {
        '/caller': xml('<Enqueue waitUrl="/wait" action="/after-queue">support</Enqueue>'),
        '/wait': xml('<Pause length="30"/>'),
        '/after-queue': xml('<Hangup/>'),
        '/agent': xml('<Dial action="/after-agent"><Queue url="/about-to-connect">support</Queue></Dial>'),
        '/about-to-connect': xml('<Say>You are being connected to an agent.</Say>'),
        '/after-agent': xml('<Hangup/>'),
      },
      [
        { path: '/caller', at: 0, script: { from: '+14155550100', hangupAfter: 120 } },
        { path: '/agent', at: 10, script: { from: '+14155550111', bridgeDuration: 20 } },
      ],
    );
    const [caller, agent] = results;
    const callerSid = seen.find((s) => s.path === '/caller')!.params['CallSid'];
    const agentSid = seen.find((s) => s.path === '/agent')!.params['CallSid'];
    const about = seen.find((s) => s.path === '/about-to-connect')!.params;
    expect(about).toMatchObject({ CallSid: callerSid, DequeingCallSid: agentSid, QueueTime: '10', From: '+14155550100', QueueSid: expect.stringMatching(/^QU/) });
    // The request went out from the agent's call, marked with the caller's leg; the caller heard it, then the bridge.
    expect(agent!.events.find((e) => e.type === 'webhook' && String(e['url']).endsWith('/about-to-connect'))).toMatchObject({ leg: expect.any(String) });
    const said = caller!.events.findIndex((e) => e.type === 'say' && e['text'] === 'You are being connected to an agent.');
    expect(said).toBeGreaterThan(0);
    // The agent's call began 10 s after the caller's: its bridge comes once the announcement (2.2 s) is over.
    const bridgedAt = 10_000 + agent!.events.find((e) => e.type === 'bridge-leg')!.t;
    expect(bridgedAt).toBeGreaterThanOrEqual(caller!.events[said]!.t + 2000);
    expect(seen.find((s) => s.path === '/after-agent')!.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'true', DialCallSid: callerSid });
    expect(seen.find((s) => s.path === '/after-queue')!.params).toMatchObject({ QueueResult: 'bridged' });
  });

  it('a <Leave> as a waiting agent takes the caller, on one instance: one outcome, and the agent takes the next caller if it left', async () => {
    const { seen } = await calls(
      {
        '/leaving': xml('<Enqueue waitUrl="/leave" action="/after-queue">support</Enqueue>'),
        '/leave': xml('<Leave/>'),
        '/caller': xml('<Enqueue action="/after-queue">support</Enqueue>'),
        '/after-queue': xml('<Hangup/>'),
        '/agent': xml('<Dial action="/after-agent" timeout="20"><Queue>support</Queue></Dial>'),
        '/after-agent': xml('<Hangup/>'),
      },
      [
        { path: '/agent', at: 0, script: { from: '+14155550111', bridgeDuration: 5 } },
        { path: '/leaving', at: 1, script: { from: '+14155550100', hangupAfter: 60 } },
        { path: '/caller', at: 3, script: { from: '+14155550102', hangupAfter: 60 } },
      ],
    );
    const sidOf = (path: string) => seen.find((s) => s.path === path)!.params['CallSid'];
    const results = seen.filter((s) => s.path === '/after-queue').map((s) => [s.params['CallSid'], s.params['QueueResult']]);
    const leaving = results.filter(([sid]) => sid === sidOf('/leaving'));
    // Exactly one outcome for the caller who would leave; the agent bridged to it, or else to the next caller.
    expect(leaving).toHaveLength(1);
    const bridgedTo = leaving[0]![1] === 'bridged' ? sidOf('/leaving') : sidOf('/caller');
    expect(leaving[0]![1]).toMatch(/^(bridged|leave)$/);
    expect(seen.filter((s) => s.path === '/after-agent').map((s) => s.params)).toMatchObject([{ DialBridged: 'true', DialCallSid: bridgedTo }]);
    expect(results).toContainEqual([bridgedTo, 'bridged']);
  });

  it('<Queue url> that hangs up the dequeued caller: no bridge, DialCallStatus no-answer', async () => {
    const { seen } = await calls(
      {
        '/caller': xml('<Enqueue waitUrl="/wait">support</Enqueue>'),
        '/wait': xml('<Pause length="30"/>'),
        '/agent': xml('<Dial action="/after-agent"><Queue url="/turn-away">support</Queue></Dial>'),
        '/turn-away': xml('<Say>Sorry.</Say><Hangup/>'),
        '/after-agent': xml('<Hangup/>'),
      },
      [
        { path: '/caller', at: 0, script: { from: '+14155550100', hangupAfter: 120 } },
        { path: '/agent', at: 5, script: { from: '+14155550111' } },
      ],
    );
    expect(seen.find((s) => s.path === '/after-agent')!.params).toMatchObject({ DialCallStatus: 'no-answer', DialBridged: 'false' });
  });
});

describe('DIDML top-level <conference>', () => {
  it('puts the caller in the room, as <dial><conference> does', async () => {
    const { results } = await calls({ '/caller': '<response><conference muted="true">standup</conference></response>' }, [
      { path: '/caller', at: 0, script: { conferenceDuration: 15 }, dialect: 'didml' },
    ]);
    expect(results[0]!.events.find((e) => e.type === 'conference')).toMatchObject({ name: 'standup', muted: true });
    expect(results[0]!.events.find((e) => e.type === 'conference-end')).toMatchObject({ duration: 15 });
    expect(results[0]!.summary.errors).toEqual([]);
  });
});
