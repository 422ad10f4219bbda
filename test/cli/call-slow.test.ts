// didml call against a live app that never answers one request: the transcript's times show the
// wait (Twilio's #rt= override keeps it short), as a Twilio caller would sit through it.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

let server: Server | undefined;
const hanging: ServerResponse[] = [];
afterEach(async () => {
  for (const res of hanging.splice(0)) res.destroy();
  server?.closeAllConnections();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  server = undefined;
});

it('prints the timed-out request at the second it gave up, and the apology after it', async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/stuck')) return void hanging.push(res);
    res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response><Say>One moment.</Say><Redirect>/stuck#rt=1500</Redirect></Response>');
  });
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/voice`;
  let out = '';
  const code = await main(['call', url, '--no-input'], { out: (s) => (out += s), err: () => undefined, color: false });
  expect(code).toBe(1);
  const at = (re: RegExp) => {
    const line = out.split('\n').find((l) => re.test(l));
    expect(line, `${re} in\n${out}`).toBeDefined();
    return Number(/^\s*(\d+\.\d+)s/.exec(line!)![1]);
  };
  const redirected = at(/redirect/);
  const timedOut = at(/→ POST .*\/stuck.*1500 ms read timeout/);
  const apology = at(/say "We are sorry, an application error has occurred/);
  expect(timedOut - redirected).toBeGreaterThanOrEqual(1.5);
  expect(apology).toBeGreaterThanOrEqual(timedOut);
});
