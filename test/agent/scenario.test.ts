// Scenarios with a real agent: `call.agent` (its server started by the run and closed after, its
// files relative to the scenario), and the `stream` and `agent` steps, passing and failing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/testing/runner.js';
import { formatEvent } from '../../src/testing/transcript-text.js';
import { wsAgent } from '../drachtio/ws-agent.js';

const EXAMPLE = resolve('examples/relay-agent');
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const booked = { server: 'agent.mjs', caller: [{ speech: 'I need a plumber' }, { speech: 'It is 94110' }, { digits: '1' }] };

describe('scenarios against a real agent', () => {
  it('passes when the agent does what the steps say, and the transcript reads as a conversation', async () => {
    const r = await runScenario({
      dir: EXAMPLE,
      scenario: {
        app: '.',
        call: { agent: booked },
        expect: [
          { agent: { said: 'Sure. What is your postcode?' }, later: true },
          { agent: { end: true, handoffData: 'booked' }, later: true },
          { stream: { protocol: 'conversation-relay', endedBy: 'far-end', callerTurns: 3, agentTurns: 3 }, later: true },
          { stream: { endedBy: 'error' }, not: true },
        ],
      },
    });
    expect(r.problems).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('passed');
    const lines = r.events!.map(formatEvent).filter((l) => l !== null).map((l) => l!.trim().replace(/^\S+\s+/, ''));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ConversationRelay ws:\/\/127\.0\.0\.1:\d+\/relay \{customerId=42\}$/),
        'caller says "I need a plumber"',
        'agent: "Sure. What is your postcode?"',
        'caller presses 1',
        'agent: "Booked for tomorrow at nine. Goodbye!", ends the session (handoffData booked)',
        'stream ended (far-end)',
      ]),
    );
  });

  it('its snapshot is the same from run to run: the agent server\'s port and the files\' absolute paths stay out of it', async () => {
    const media = resolve('examples/media-agent');
    const scenario = { app: '.', call: { agent: { server: 'agent.mjs', caller: [{ audio: 'hello.wav' }, { digits: '#' }] } }, expect: [{ status: 'completed' }] };
    const first = await runScenario({ dir: media, scenario });
    const second = await runScenario({ dir: media, scenario });
    expect(first.snapshot).toEqual(second.snapshot);
    expect(first.snapshot).toEqual(expect.arrayContaining(['0.000s stream the scripted agent {customerId=42}', '1.500s caller talks: hello.wav (0.8 s)']));
    expect(first.snapshot!.join('\n')).not.toMatch(/127\.0\.0\.1|\/examples\//);
  });

  it('fails, saying what the agent did, when a step does not hold', async () => {
    const r = await runScenario({
      dir: EXAMPLE,
      scenario: { app: '.', call: { agent: booked }, expect: [{ agent: { said: { contains: 'Tuesday' } }, later: true }] },
    });
    expect(r.status).toBe('failed');
    expect(r.failures[0]!.happened).toMatch(/said is "Sure\. What is your postcode\?"/);
  });

  it('audioAtLeast and mark: a Media Streams agent\'s turn, failing with the seconds it sent', async () => {
    const media = resolve('examples/media-agent');
    const base = { app: '.', call: { agent: { server: 'agent.mjs', caller: [{ digits: '#' }] } } };
    const ok = await runScenario({ dir: media, scenario: { ...base, expect: [{ agent: { audioAtLeast: 1.5, mark: 'greeting' } }] } });
    expect(ok.failures).toEqual([]);
    const short = await runScenario({ dir: media, scenario: { ...base, expect: [{ agent: { audioAtLeast: 3 } }] } });
    expect(short.failures[0]!.happened).toMatch(/audio is 1\.5 \(expected "at least 3 s"\)/);
    const mark = await runScenario({ dir: media, scenario: { ...base, expect: [{ agent: { mark: 'bye' } }] } });
    expect(mark.failures[0]!.happened).toMatch(/marks is \["greeting"\]/);
  });

  it('a server module that cannot start makes the scenario invalid, naming it and the fix', async () => {
    dir = await mkdtemp(join(tmpdir(), 'didml-agent-'));
    await writeFile(join(dir, 'voice.xml'), '<Response><Connect><Stream url="wss://a.example.com/"/></Connect></Response>');
    await writeFile(join(dir, 'none.mjs'), 'export const x = 1;\n');
    const r = await runScenario({ dir, scenario: { app: '.', call: { agent: { server: 'none.mjs' } }, expect: [{ status: 'completed' }] } });
    expect(r.status).toBe('invalid');
    expect(r.problems).toEqual([expect.stringMatching(/call\.agent\.server none\.mjs: it exports no start\(\) function/)]);
  });

  it('the schema refuses a turn that is not one', async () => {
    const r = await runScenario({ dir: EXAMPLE, scenario: { app: '.', call: { agent: { caller: [{ audio: 'a.wav', speech: 'x' }] } } } });
    expect(r.status).toBe('invalid');
    expect(r.problems.join('\n')).toMatch(/agent/);
  });
});

describe('the fork step: what a <Start><Stream> agent was sent', () => {
  it('passes on the frames each track carried and how the fork ended, and fails naming the frames when they differ', async () => {
    dir = await mkdtemp(join(tmpdir(), 'didml-fork-'));
    await writeFile(join(dir, 'voice.xml'), '<Response><Start><Stream name="tap" url="wss://tap.example.com/" track="both_tracks"/></Start><Say>Hello there</Say><Stop><Stream name="tap"/></Stop><Say>Bye</Say></Response>');
    const agent = await wsAgent();
    try {
      const call = { agent: { url: agent.url } };
      const ok = await runScenario({ dir, scenario: { app: '.', call, expect: [{ fork: { name: 'tap', track: 'both_tracks', endedBy: 'stop', frames: { inbound: 33, outbound: 33 } } }, { say: 'Bye' }] } });
      expect(ok.problems).toEqual([]);
      expect(ok.failures).toEqual([]);
      expect(ok.status).toBe('passed');
      expect(ok.snapshot!.join('\n')).not.toMatch(/127\.0\.0\.1/);
      const lines = ok.events!.map(formatEvent).filter((l) => l !== null).map((l) => l!.trim().replace(/^\S+\s+/, ''));
      expect(lines).toContain('stream fork ended (stop): 33 frames inbound, 33 frames outbound');
      const wrong = await runScenario({ dir, scenario: { app: '.', call, expect: [{ fork: { frames: { inbound: 50 } } }] } });
      expect(wrong.status).toBe('failed');
      expect(wrong.failures[0]!.happened).toMatch(/frames\.inbound is 33/);
      // The same from a Vitest test.
      const { startCall } = await import('../../src/testing/index.js');
      const live = await startCall({ app: dir, agent: { url: agent.url } });
      const fork = await live.expectFork({ name: 'tap', endedBy: 'stop', frames: { inbound: 33, outbound: 33 } });
      expect(fork.type).toBe('stream-start');
      await expect(live.expectFork({ frames: { outbound: 1 } })).rejects.toThrow(/fork/);
      await live.expectStatus('completed');
    } finally {
      await agent.close();
    }
  });
});

describe('didml/testing: expectAgent and expectStream', () => {
  it('steps through a conversation with a real agent from a Vitest test', async () => {
    const { startCall } = await import('../../src/testing/index.js');
    const mod = (await import(resolve('examples/relay-agent/agent.mjs'))) as { start(): Promise<{ url: string; close(): Promise<void> }> };
    const server = await mod.start();
    try {
      const call = await startCall({ app: EXAMPLE, agent: { url: server.url, caller: [{ speech: 'I need a plumber' }, { speech: 'a person please' }] } });
      await call.expectSay({ contains: 'How can I help?' });
      await call.expectAgent('Sure. What is your postcode?');
      const handoff = await call.expectAgent({ end: true });
      expect(handoff['handoffData']).toBe('person');
      await call.expectStream({ protocol: 'conversation-relay', endedBy: 'far-end', agentTurns: 2 });
      await expect(call.expectAgent('anything more')).rejects.toThrow(/agent/);
    } finally {
      await server.close();
    }
  });
});
