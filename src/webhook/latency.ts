// A scripted latency (a scenario's `app.latency`): each document request for a path takes that
// many seconds, as a slow app would, without anyone waiting for it: the time goes on the call's
// clock (as `waitedMs`, which src/webhook/call-time.ts counts as it counts a network request's
// real time), instead of the request's own. The request is still made,
// so the app sees it; one that takes as long as its read timeout (Twilio's 15 s, or the URL's
// `#rt=`, or its total `#tt=`) fails with DIDML_WEBHOOK_TIMEOUT after that long, as on Twilio.
import { DidmlError } from '../errors.js';
import { parseConnectionOverrides, TWILIO_CONNECTION_DEFAULTS } from './params.js';
import type { FetchOutcome, WebhookClient, WebhookRequest } from './types.js';

/** Seconds by URL path (`/menu`), `*` for every other document. */
export type Latency = Readonly<Record<string, number>>;

/** The scripted seconds for this request, if any. */
export function latencyOf(latency: Latency, url: string): number | undefined {
  const bare = parseConnectionOverrides(url).url;
  const path = URL.canParse(bare) ? new URL(bare).pathname : bare;
  return latency[path] ?? latency['*'];
}

export function withLatency(client: WebhookClient, latency: Latency): WebhookClient {
  return {
    async fetchDocument(request: WebhookRequest, signal?: AbortSignal): Promise<FetchOutcome> {
      const seconds = latencyOf(latency, request.url);
      const out = await client.fetchDocument(request, signal);
      if (seconds === undefined) return out;
      const { overrides } = parseConnectionOverrides(request.url);
      const limit = Math.min(overrides.readTimeoutMs ?? TWILIO_CONNECTION_DEFAULTS.readTimeoutMs, overrides.totalTimeoutMs ?? TWILIO_CONNECTION_DEFAULTS.totalTimeoutMs);
      const ms = Math.round(seconds * 1000);
      if (ms >= limit) {
        const url = out.ok ? out.document.url : out.failure.url;
        const error = new DidmlError('DIDML_WEBHOOK_TIMEOUT', `${request.method} ${url}: no response within the ${limit} ms read timeout (app.latency makes it take ${seconds} s). Make it faster, or change the limit with a fragment such as #rt=${limit} on the URL.`);
        return { ok: false, failure: { url, error, elapsedMs: out.ok ? out.document.elapsedMs : out.failure.elapsedMs, waitedMs: limit } };
      }
      // The scripted time stands for the request's: what it really took is left out.
      return out.ok ? { ok: true, document: { ...out.document, waitedMs: ms } } : { ok: false, failure: { ...out.failure, waitedMs: ms } };
    },
    notify: (request, signal) => client.notify(request, signal),
    close: () => client.close(),
  };
}
