// `didml call --agent`: the conversation with a real agent printed as it goes (bin/didml.js, on dist/).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = resolve('bin/didml.js');
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('didml call --agent', () => {
  it('prints each turn of a ConversationRelay conversation, then the documents after it', async () => {
    const agent = (await import(resolve('examples/relay-agent/agent.mjs'))) as { start(): Promise<{ url: string; close(): Promise<void> }> };
    const server = await agent.start();
    close = server.close;
    const { stdout } = await run('node', [bin, 'call', 'examples/relay-agent', '--no-input', '--agent', server.url, '--agent-turn', 'I need a plumber', '--agent-turn', 'It is 94110', '--agent-turn', 'keys:1'], { timeout: 30_000 });
    const lines = stdout.split('\n').map((l) => l.trim().replace(/^\S+\s+/, ''));
    expect(lines.filter((l) => /^(caller|agent|stream|ConversationRelay)/.test(l))).toEqual([
      `ConversationRelay ${server.url} {customerId=42}`,
      'caller says "I need a plumber"',
      'agent: "Sure. What is your postcode?"',
      'caller says "It is 94110"',
      'agent: "A plumber can come tomorrow at nine. Press 1 to confirm."',
      'caller presses 1',
      'agent: "Booked for tomorrow at nine. Goodbye!", ends the session (handoffData booked)',
      'stream ended (far-end)',
    ]);
    expect(lines).toContain('say "Thank you for calling Acme Plumbing. Goodbye."');
  });

  it('refuses agent turns without an agent (exit 2, saying what to add)', async () => {
    const r = await run('node', [bin, 'call', 'examples/ivr', '--no-input', '--agent-turn', 'hello']).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toMatch(/give its websocket with --agent ws:\/\//);
  });
});
