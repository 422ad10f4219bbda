// drachtio's outbound connections: didml listens and drachtio-server connects for each call, the
// way calls are spread over many didml instances. Each call's connection is closed when it ends.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('outbound connections', () => {
  it('takes a call on each connection a drachtio-server opens, dials on that connection, and closes it after the call', async () => {
    h = await startHarness({ outbound: true, routes: { '/voice': '<Response><Dial><Sip>sip:agent@one.example</Sip></Dial></Response>' } });
    const port = h.adapter.port!;
    expect(port).toBeGreaterThan(0);
    h.stand.onRequest = (req) => (req.respond(200), void req.dialog?.acked.then(() => setTimeout(() => void req.dialog?.bye(), 20)));

    const first = await h.stand.connectTo(port);
    const a = h.stand.call({}, first);
    expect(await a.response()).toBe(200);
    await h.finished(0);
    const second = await h.stand.connectTo(port);
    const b = h.stand.call({}, second);
    expect(await b.response()).toBe(200);
    await h.finished(1);

    // Each call's INVITE to the callee went on that call's own connection.
    const invites = h.stand.sent('INVITE');
    expect(invites.map((r) => r.conn)).toEqual([first, second]);
    await Promise.all([first, second].map((c) => new Promise<void>((resolve) => (c.socket.destroyed ? resolve() : c.socket.once('close', () => resolve())))));
    expect(first.socket.destroyed && second.socket.destroyed).toBe(true);
    expect(h.stand.authentications).toBe(2);
  });
});
