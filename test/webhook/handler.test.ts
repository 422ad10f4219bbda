// An app as an in-process function: the same client path as HTTP, without a socket.
import { describe, expect, it } from 'vitest';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport, type HandlerRequest } from '../../src/webhook/handler.js';
import { validateSignature } from '../../src/webhook/signature.js';
import { expectNoLeaks, resources } from './support.js';

const APP = 'https://app.test/voice';

describe('handlerTransport', () => {
  it('hands the handler the decoded parameters and signed headers, and its string back as text/xml', async () => {
    const seen: HandlerRequest[] = [];
    const client = createWebhookClient({
      authToken: 'tok',
      transport: handlerTransport((req) => {
        seen.push(req);
        return `<Response><Say>${req.params.Digits}</Say></Response>`;
      }),
    });
    const out = await client.fetchDocument({ url: APP, method: 'POST', params: { Digits: '4 2', Speech: 'très' } });
    expect(out.ok && out.document).toMatchObject({ status: 200, contentType: 'text/xml; charset=utf-8', body: '<Response><Say>4 2</Say></Response>' });
    const req = seen[0]!;
    expect(req).toMatchObject({ url: APP, method: 'POST', params: { Digits: '4 2', Speech: 'très' } });
    expect(validateSignature('tok', req.headers['x-twilio-signature']!, APP, req.params)).toBe(true);
  });

  it("GET: parameters from the query, the URL's own included", async () => {
    let params: Record<string, string> = {};
    const client = createWebhookClient({ transport: handlerTransport((req) => ((params = req.params), '<Response/>')) });
    await client.fetchDocument({ url: `${APP}?tenant=x`, method: 'GET', params: { CallSid: 'CA1' } });
    expect(params).toEqual({ tenant: 'x', CallSid: 'CA1' });
  });

  it('status, type and headers from an object; a redirect is followed like any other', async () => {
    const client = createWebhookClient({
      transport: handlerTransport((req) =>
        req.url.endsWith('/old') ? { status: 303, headers: { Location: '/new' } } : { body: '<Response/>', contentType: 'application/xml' },
      ),
    });
    const out = await client.fetchDocument({ url: 'https://app.test/old', method: 'POST', params: {} });
    expect(out.ok && out.document).toMatchObject({ url: 'https://app.test/new', contentType: 'application/xml' });
  });

  it('a handler that throws is a 500 whose message carries the error', async () => {
    const client = createWebhookClient({
      transport: handlerTransport(() => {
        throw new Error('no menu for tenant x');
      }),
    });
    const out = await client.fetchDocument({ url: APP, method: 'POST', params: {} });
    expect(!out.ok && out.failure.status).toBe(500);
    expect(!out.ok && out.failure.error.code).toBe('DIDML_WEBHOOK_STATUS');
    expect(!out.ok && out.failure.error.message).toContain('the handler threw: Error: no menu for tenant x');
  });

  it('a handler that never answers times out at #tt, and sees its signal aborted', async () => {
    const baseline = resources();
    let signal: AbortSignal | undefined;
    const client = createWebhookClient({ transport: handlerTransport((req) => ((signal = req.signal), new Promise<string>(() => undefined))) });
    const out = await client.fetchDocument({ url: `${APP}#tt=150`, method: 'POST', params: {} });
    expect(!out.ok && out.failure.error.code).toBe('DIDML_WEBHOOK_TIMEOUT');
    expect(!out.ok && out.failure.elapsedMs).toBeLessThan(1000);
    expect(signal?.aborted).toBe(true);
    await expectNoLeaks(baseline);
  });

  it('the same content-type rule applies', async () => {
    const client = createWebhookClient({ transport: handlerTransport(() => ({ body: '{}', contentType: 'application/json' })) });
    const out = await client.fetchDocument({ url: APP, method: 'POST', params: {} });
    expect(!out.ok && out.failure.error.code).toBe('DIDML_WEBHOOK_CONTENT_TYPE');
  });

  it('the same size limit applies', async () => {
    const client = createWebhookClient({ maxBytes: 10, transport: handlerTransport(() => '<Response></Response>') });
    const out = await client.fetchDocument({ url: APP, method: 'POST', params: {} });
    expect(!out.ok && out.failure.error.code).toBe('DIDML_WEBHOOK_TOO_LARGE');
  });
});
