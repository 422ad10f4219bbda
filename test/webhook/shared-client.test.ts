// A client shared by many calls has many requests in flight at once: that must not look like
// a listener leak to Node (MaxListenersExceededWarning on the close signal, seen under load).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { createWebhookClient } from '../../src/webhook/client.js';

it('50 requests in flight on one client draw no MaxListenersExceededWarning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>'), 20));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/voice`;
  const client = createWebhookClient();
  try {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.fetchDocument({ url, method: 'POST', params: { n: String(i) } })));
    expect(results.every((r) => r.ok)).toBe(true);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  } finally {
    process.off('warning', onWarning);
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

it('maxConnectionsPerOrigin: 20 requests at once share at most that many sockets, and all are answered', async () => {
  const sockets = new Set<unknown>();
  const server = createServer((req, res) => {
    sockets.add(req.socket);
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>'), 10));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/voice`;
  const client = createWebhookClient({ maxConnectionsPerOrigin: 3 });
  try {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.fetchDocument({ url, method: 'POST', params: { n: String(i) } })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sockets.size).toBeLessThanOrEqual(3);
    expect(sockets.size).toBeGreaterThan(0);
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
