// Opening an app's websocket for a stream (Media Streams, ConversationRelay): under the same host
// rules as its webhooks (never link-local or cloud metadata addresses, checked on the URL and on
// every address it resolves to), and bounded when asked, so that an agent that takes the
// connection and never finishes the handshake fails too.
import { Agent, WebSocket } from 'undici';
import { guardedLookup, hostPolicy, type HostPolicy } from '../webhook/hosts.js';

export async function openWebSocket(url: string, o: { hosts?: HostPolicy; connectTimeoutMs?: number; what: string }): Promise<WebSocket> {
  const hosts = o.hosts ?? hostPolicy();
  const refused = hosts.checkUrl(url);
  if (refused) throw refused;
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(hosts) } });
  const ws = new WebSocket(url, { dispatcher });
  ws.addEventListener('close', () => void dispatcher.close().catch(() => undefined));
  await new Promise<void>((resolve, reject) => {
    const timer = o.connectTimeoutMs === undefined ? undefined : setTimeout(() => {
      reject(new Error(`${o.what} at ${url} did not open within ${o.connectTimeoutMs} ms`));
      ws.close();
    }, o.connectTimeoutMs);
    ws.addEventListener('open', () => (clearTimeout(timer), resolve()), { once: true });
    ws.addEventListener('error', () => (clearTimeout(timer), reject(new Error(`${o.what} at ${url} could not be opened`))), { once: true });
  });
  return ws;
}
