// `didml serve` on the mock: a scripted agent's websocket (POST /calls with `agent`) is opened
// under the same host rules as webhooks (webhook.allowHosts/denyHosts), as drachtio's streams are.
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createLogger } from '../../src/log.js';
import { wsAgent, type WsAgent } from '../drachtio/ws-agent.js';
import { startApp, xml } from '../runtime/support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function call(deny: string[], agent: WsAgent): Promise<{ type: string; endedBy?: string; error?: string; text?: string }[]> {
  const app = await startApp({ '/voice': xml('<Connect><Stream url="wss://agent.example.com/media"/></Connect><Say>After</Say>') });
  cleanups.push(() => app.close());
  const rt: Runtime = await startRuntime(checkConfig({ http: { port: 0 }, app: { url: app.url('/voice') }, webhook: { denyHosts: deny } }), {
    log: createLogger({ level: 'error', write: () => undefined }),
  });
  cleanups.push(() => rt.close());
  // The agent listens on 127.0.0.1; the script names it as localhost, which the app's URL does not make trusted.
  const url = agent.url.replace('127.0.0.1', 'localhost');
  const res = await fetch(`${rt.url}/calls`, { method: 'POST', body: JSON.stringify({ agent: { url, timeout: 1 } }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: { type: string }[] }).events;
}

describe('didml serve on the mock: an agent\'s websocket follows the webhook host rules', () => {
  it('a denied host is never opened: stream-error naming it, and the document goes on', async () => {
    const agent = await wsAgent(() => undefined);
    cleanups.push(() => agent.close());
    const events = await call(['localhost'], agent);
    expect(events.find((e) => e.type === 'stream-end')).toMatchObject({ endedBy: 'error', error: expect.stringMatching(/localhost/) });
    expect(events.filter((e) => e.type === 'say').map((e) => e.text)).toEqual(['After']);
    expect(agent.messages).toEqual([]);
  });

  it('the same call without the rule reaches the agent', async () => {
    const agent = await wsAgent((m, ws) => {
      if (m.event === 'start') ws.close();
    });
    cleanups.push(() => agent.close());
    await call([], agent);
    expect(agent.messages.map((m) => m.event).slice(0, 2)).toEqual(['connected', 'start']);
  });
});
