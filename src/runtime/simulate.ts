// One call against an app on the mock backend, in virtual time: what `didml call` runs, what
// `didml serve --adapter mock` runs per request, and what call-flow tests build on. The app is
// a URL, or a folder of XML documents (voice.xml answers the first request, menu.xml `/menu`).
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { VirtualClock } from '../clock.js';
import { createMockAdapter, type CallerAction, type MockAdapterOptions, type MockCallScript, type TranscriptEvent } from '../telephony/mock/index.js';
import { createWebhookClient } from '../webhook/client.js';
import { appSpaceUrl } from '../webhook/folder.js';
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
  /** Scripted caller actions the app never asked for (a scenario can say so). */
  unusedActions: CallerAction[];
}

/**
 * Where an app lives, for what a user typed: a URL stays as it is; a folder, or a file in one,
 * becomes that folder's own URL space (`app://name/`, the folder as its root).
 */
export function locateApp(app: string): { url: string; root?: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(app)) return { url: app };
  const path = resolvePath(app);
  if (!existsSync(path)) throw new Error(`${app}: no such file or folder (give an app URL, a folder of XML documents, or an XML file)`);
  if (statSync(path).isDirectory()) return { url: appSpaceUrl(path), root: path };
  const root = dirname(path);
  return { url: appSpaceUrl(root, basename(path).replace(/\.xml$/i, '')), root };
}

export async function simulateCall(options: SimulateOptions): Promise<SimulatedCall> {
  const given = typeof options.app === 'string' ? { url: options.app } : options.app;
  const where = locateApp(given.url);
  const app: AppConfig = { ...given, url: where.url };
  const clock = new VirtualClock();
  const adapter = createMockAdapter({ clock, ...(options.ask ? { ask: options.ask } : {}) });
  const webhooks =
    options.webhooks ?? createWebhookClient({ ...(options.authToken ? { authToken: options.authToken } : {}), ...(where.root ? { appRoot: where.root } : {}) });
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
    return { summary, events: [...call.leg.transcript], unusedActions: [...call.leg.unusedActions] };
  } finally {
    unsubscribe?.();
    await adapter.close();
    if (!options.webhooks) await webhooks.close();
  }
}
