// A URI of another scheme where a SIP URI goes is refused by the runtime as lint refuses it:
// `mailto:bob@host` must never be dialled as sip:mailto@host (user "mailto", password "bob").
import { describe, expect, it } from 'vitest';
import { resolveSipText } from '../../src/sip/target.js';
import { otherScheme } from '../../src/sip/uri.js';
import { simulateCall } from '../../src/runtime/simulate.js';
import { createWebhookClient, handlerTransport } from '../../src/webhook/index.js';

describe('a <Sip> that is not a SIP URI', () => {
  it.each(['mailto:bob@example.com', 'tel:+14155550123', 'https://pbx.example.com/', ' MAILTO:bob@example.com'])('%s is not dialled', (text) => {
    expect(resolveSipText(text, { dialled: '+14155550199', bareHostMeansDialled: false }).error).toMatch(/is a (mailto|tel|https): URI, not a sip: or sips: URI/);
  });

  it('a schemeless user:password@host and DIDML bare hosts still resolve', () => {
    expect(otherScheme('alice:secret@pbx.example.com')).toBeUndefined();
    expect(resolveSipText('sip.example.com', { dialled: '+14155550199', bareHostMeansDialled: true })).toMatchObject({ uri: 'sip:+14155550199@sip.example.com' });
  });

  it('on a call: an error naming the noun, and no INVITE', async () => {
    const webhooks = createWebhookClient({ transport: handlerTransport(() => '<Response><Dial><Sip>mailto:bob@example.com</Sip></Dial></Response>') });
    try {
      const { events } = await simulateCall({ app: 'https://app.example.com/voice', call: {}, webhooks });
      expect(events.filter((e) => e.type === 'dial-attempt')).toEqual([]);
      expect(events.find((e) => e.type === 'error')?.['message']).toBe('<Sip>mailto:bob@example.com</Sip> cannot be dialled: it is a mailto: URI, not a sip: or sips: URI');
    } finally {
      await webhooks.close();
    }
  });
});
