// The app a scenario (or a test) names, and the webhook client that reaches it: a live URL over
// HTTP, a folder of XML documents, or a JavaScript module answering in-process.
import { statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppConfig } from '../runtime/session.js';
import { createWebhookClient } from '../webhook/client.js';
import { appSpaceUrl } from '../webhook/folder.js';
import { handlerTransport, type WebhookHandler } from '../webhook/handler.js';
import { withLatency } from '../webhook/latency.js';
import type { WebhookClient } from '../webhook/types.js';
import { cachedFolderTransport } from './folder-cache.js';
import type { AppSpec } from './scenario.js';

/** Webhook clients by app, shared between the scenarios of a run (pooled connections, one folder reader). */
export class ClientPool {
  readonly #clients = new Map<string, WebhookClient>();
  get(key: string, make: () => WebhookClient): WebhookClient {
    let c = this.#clients.get(key);
    if (!c) this.#clients.set(key, (c = make()));
    return c;
  }
  async close(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}


export interface ResolvedApp {
  app: AppConfig;
  /** The client for its kind: a folder reader, HTTP, or the in-process handler. */
  client: (clients: ClientPool | undefined, authToken: string | undefined) => WebhookClient;
}

const modules = new Map<string, Promise<WebhookHandler>>();

async function loadHandler(file: string): Promise<WebhookHandler> {
  let p = modules.get(file);
  if (!p) {
    p = import(pathToFileURL(file).href).then((m: { default?: unknown }) => {
      if (typeof m.default !== 'function') {
        throw new Error(`${file}: the module's default export must be a function (req) => document, as handlerTransport takes`);
      }
      return m.default as WebhookHandler;
    });
    modules.set(file, p);
  }
  return p;
}

/** A label for the app's URL host, from a file or folder name. */
const label = (path: string) => basename(path).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'app';

/**
 * Where the app of a scenario lives, relative to `dir` (the scenario file's folder): a live URL,
 * a folder of XML documents (or a file in one), or a JavaScript module whose default export
 * answers requests in-process at `http://<module-name>.test/`.
 */
export async function resolveApp(spec: string | AppSpec, dir: string, handler?: WebhookHandler): Promise<ResolvedApp> {
  const s: AppSpec = typeof spec === 'string' ? { url: spec } : spec;
  const shared = (plain: ResolvedApp['client'], app: AppConfig): ResolvedApp => {
    // A scripted latency slows the app's documents in call time (src/webhook/latency.ts).
    const latency = s.latency;
    const client: ResolvedApp['client'] = latency ? (pool, token) => withLatency(plain(pool, token), latency) : plain;
    const relative = (u: string | undefined) => (u === undefined ? undefined : new URL(u, app.url).href);
    const fallbackUrl = relative(s.fallbackUrl);
    const statusCallback = relative(s.statusCallback);
    return {
      client,
      app: {
        ...app,
        ...(s.method ? { method: s.method } : {}),
        ...(fallbackUrl ? { fallbackUrl } : {}),
        ...(s.fallbackMethod ? { fallbackMethod: s.fallbackMethod } : {}),
        ...(statusCallback ? { statusCallback } : {}),
        ...(s.statusCallbackMethod ? { statusCallbackMethod: s.statusCallbackMethod } : {}),
        ...(s.statusCallbackEvents ? { statusCallbackEvents: s.statusCallbackEvents } : {}),
        ...(s.dialect ? { dialect: s.dialect } : {}),
        ...(s.strictness ? { strictness: s.strictness } : {}),
      },
    };
  };
  if (handler) {
    // An app in-process: its URL is only what it sees (`http://app.test/` unless given).
    const url = new URL(s.path ?? '', s.url || 'http://app.test/').href;
    return shared((_pool, token) => createWebhookClient({ transport: handlerTransport(handler), ...(token ? { authToken: token } : {}) }), { url });
  }
  if (/^https?:\/\//i.test(s.url)) {
    const url = s.path !== undefined ? new URL(s.path, s.url).href : s.url;
    return shared((pool, token) => pooled(pool, `http ${token ?? ''}`, () => createWebhookClient(token ? { authToken: token } : {})), { url });
  }
  const path = resolve(dir, s.url);
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new Error(`app: ${s.url}: no such file or folder (relative to ${dir})`);
  if (st.isDirectory()) {
    return shared(folderClient(path), { url: appSpaceUrl(path, s.path ?? '') });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.xml') {
    const root = dirname(path);
    return shared(folderClient(root), { url: appSpaceUrl(root, s.path ?? basename(path).replace(/\.xml$/i, '')) });
  }
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
    const handler = await loadHandler(path);
    const base = `http://${label(path)}.test/`;
    return shared(
      (pool, token) => pooled(pool, `module ${path} ${token ?? ''}`, () => createWebhookClient({ transport: handlerTransport(handler), ...(token ? { authToken: token } : {}) })),
      { url: new URL((s.path ?? '/').replace(/^\/*/, '/'), base).href },
    );
  }
  throw new Error(`app: ${s.url} is not a folder of XML documents, an XML file, a .js/.mjs module or an http(s) URL`);
}

/** A folder app's client: in a run (a pool), one per folder that reads each document once. */
function folderClient(root: string): ResolvedApp['client'] {
  return (pool, token) =>
    pool
      ? pooled(pool, `folder ${root} ${token ?? ''}`, () => createWebhookClient({ transport: cachedFolderTransport(root), ...(token ? { authToken: token } : {}) }))
      : createWebhookClient({ appRoot: root, ...(token ? { authToken: token } : {}) });
}

/** With a pool, one client per key for the run (the pool closes it); without, a client the caller closes. */
function pooled(pool: ClientPool | undefined, key: string, make: () => WebhookClient): WebhookClient {
  if (!pool) return make();
  const client = pool.get(key, make);
  // The pool closes it at the end of the run; the scenario must not.
  return { fetchDocument: client.fetchDocument.bind(client), notify: client.notify.bind(client), close: () => Promise.resolve() };
}
