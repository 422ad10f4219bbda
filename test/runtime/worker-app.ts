// A loopback app on its own thread, as a real app runs in its own process: it answers while the
// runtime's thread is busy (or blocked), and under load the two do not share one event loop.
// The app is a `route` function given as source text (it runs in the worker): from the path and
// the form parameters to `{status, type, body}`, or 'hang' (never answer; the socket is closed
// when the client gives up).
import { Worker } from 'node:worker_threads';

export interface WorkerApp {
  origin: string;
  /** Every request so far (path, form parameters), and how many connections are open now. */
  stats(): Promise<{ open: number; requests: { path: string; params: Record<string, string> }[] }>;
  /** Closes every connection and the server, and ends the thread. */
  close(): Promise<void>;
}

const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createServer } = require('node:http');
const route = new Function('path', 'params', workerData.route);
const requests = [];
const sockets = new Set();
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const [path, query = ''] = (req.url || '/').split('?');
    const params = Object.fromEntries(new URLSearchParams(req.method === 'POST' ? Buffer.concat(chunks).toString('utf8') : query));
    requests.push({ path, params });
    const r = route(path, params);
    if (r === 'hang') {
      const guard = setTimeout(() => res.destroy(), 10000);
      res.on('close', () => clearTimeout(guard));
      return;
    }
    res.writeHead(r.status || 200, { 'content-type': r.type || 'text/xml' });
    res.end(r.body || '');
  });
});
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'stats') parentPort.postMessage({ open: sockets.size, requests });
  if (m === 'close') {
    for (const s of sockets) s.destroy();
    server.close(() => parentPort.postMessage({ closed: true }));
  }
});
`;

export async function startWorkerApp(route: string): Promise<WorkerApp> {
  const worker = new Worker(SERVER, { eval: true, workerData: { route } });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      worker.once('error', onError);
      worker.once('message', (m: T) => {
        worker.off('error', onError);
        resolve(m);
      });
    });
  const { port } = await next<{ port: number }>();
  return {
    origin: `http://127.0.0.1:${port}`,
    stats() {
      const reply = next<{ open: number; requests: { path: string; params: Record<string, string> }[] }>();
      worker.postMessage('stats');
      return reply;
    },
    async close() {
      const closed = next<{ closed: boolean }>();
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}
