// Real loopback servers for the webhook tests, and the checks that nothing is left behind.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** Every request the server got, in order, with its whole body. */
  received: Received[];
  /** How many TCP connections were opened to it. */
  connections: () => number;
  /** How many of them are still open. */
  open: () => number;
  /** Resolves once every connection to it has closed (fails the test after `ms`). */
  released: (ms?: number) => Promise<void>;
  close: () => Promise<void>;
}

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

function track(server: Server | TcpServer) {
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const released = async (ms = 1000) => {
    const until = Date.now() + ms;
    while (sockets.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(sockets.size, 'connections still open on the server').toBe(0);
  };
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return { sockets, connections: () => connections, released, close };
}

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** An HTTP server on 127.0.0.1 that reads each request's body before calling `handler`. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(Object.assign(req, { body }), res);
    });
  });
  const t = track(server);
  const port = await listen(server);
  return { origin: `http://127.0.0.1:${port}`, port, received, connections: t.connections, open: () => t.sockets.size, released: t.released, close: t.close };
}

/** A TCP server that accepts connections and never says a word (for connect and read timeouts). */
export async function startSilentServer(): Promise<TestServer> {
  // Reads (and drops) what it is sent, so that it sees the client hang up; never writes.
  const server = createTcpServer((socket) => socket.on('error', () => undefined).resume());
  const t = track(server);
  const port = await listen(server);
  return { origin: `http://127.0.0.1:${port}`, port, received: [], connections: t.connections, open: () => t.sockets.size, released: t.released, close: t.close };
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Counts of the process's live sockets and timers, to compare before and after a test. */
export function resources(): { sockets: number; timers: number } {
  const all = process.getActiveResourcesInfo();
  return { sockets: all.filter((r) => r === 'TCPSocketWrap').length, timers: all.filter((r) => r === 'Timeout').length };
}

/** Waits for sockets and timers to fall back to `baseline`, then asserts they have. */
export async function expectNoLeaks(baseline: { sockets: number; timers: number }, ms = 1000): Promise<void> {
  const until = Date.now() + ms;
  let now = resources();
  while ((now.sockets > baseline.sockets || now.timers > baseline.timers) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 5));
    now = resources();
  }
  expect(now.sockets, 'sockets left behind').toBeLessThanOrEqual(baseline.sockets);
  expect(now.timers, 'timers left behind').toBeLessThanOrEqual(baseline.timers);
}
