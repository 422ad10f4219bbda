// One call against an app on the mock backend, in virtual time: what `didml call` runs, what
// `didml serve --adapter mock` runs per request, and what call-flow tests build on. The app is
// a URL, or a folder of XML documents (voice.xml answers the first request, menu.xml `/menu`).
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { VirtualClock } from '../clock.js';
import { createMockAdapter, type MockAdapterOptions, type MockCallScript, type TranscriptEvent } from '../telephony/mock/index.js';
import { createWebhookClient } from '../webhook/client.js';
import { folderAppUrl } from '../webhook/folder.js';
import type { WebhookClient } from '../webhook/types.js';
import { runCall, type AppConfig, type CallSummary } from './session.js';
import type { IdGenerator } from './ids.js';
import type { Limits } from './limits.js';

export interface SimulateOptions {
  /** An app URL, a folder of XML documents, or one XML file (its folder is the app). */
  app: string | AppConfig;
  call?: MockCallScript;
  /** Sign webhooks with X-Twilio-Signature. */
  authToken?: string;
  /** A client to share between calls (keeps its connections); one is made and closed otherwise. */
  webhooks?: WebhookClient;
  ids?: IdGenerator;
  limits?: Partial<Limits>;
  /** Each event as it happens (an interactive terminal shows them live). */
  onEvent?: (event: TranscriptEvent) => void;
  /** The caller's next action once `call.caller` has run out (an interactive caller). */
  ask?: MockAdapterOptions['ask'];
}

export interface SimulatedCall {
  summary: CallSummary;
  /** Everything that happened, in order: the backend's events and the runtime's (webhooks...). */
  events: TranscriptEvent[];
}

/** The app's first URL for what a user typed: a URL stays as it is; a folder or file becomes a file: URL. */
export function appUrl(app: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(app)) return app;
  const path = resolvePath(app);
  if (!existsSync(path)) throw new Error(`${app}: no such file or folder (give an app URL, a folder of XML documents, or an XML file)`);
  if (statSync(path).isDirectory()) return folderAppUrl(path);
  return folderAppUrl(dirname(path), basename(path).replace(/\.xml$/i, ''));
}

export async function simulateCall(options: SimulateOptions): Promise<SimulatedCall> {
  const app: AppConfig = typeof options.app === 'string' ? { url: appUrl(options.app) } : { ...options.app, url: appUrl(options.app.url) };
  const clock = new VirtualClock();
  const adapter = createMockAdapter({ clock, ...(options.ask ? { ask: options.ask } : {}) });
  const webhooks = options.webhooks ?? createWebhookClient(options.authToken ? { authToken: options.authToken } : {});
  const unsubscribe = options.onEvent ? adapter.onEvent((e) => options.onEvent!(e)) : undefined;
  try {
    const call = adapter.placeCall(options.call ?? {});
    const summary = await runCall(call, {
      app,
      webhooks,
      clock,
      ...(options.ids ? { ids: options.ids } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      onEvent: (e) => {
        const { t: _t, ...event } = e;
        call.leg.log(event);
      },
    });
    await call.leg.ended;
    return { summary, events: [...call.leg.transcript] };
  } finally {
    unsubscribe?.();
    await adapter.close();
    if (!options.webhooks) await webhooks.close();
  }
}
