// Elements the runtime accepts and does not run, or does not run in one parent (grammar
// `x-runtime` on an element, `x-runtime-children` on its parent): each is said when the document
// runs (a transcript warning naming it and its parent) and noted by lint, never skipped silently.
import { describe, expect, it } from 'vitest';
import { lint } from '../../src/index.js';
import { simulateCall } from '../../src/runtime/simulate.js';
import { createWebhookClient, handlerTransport } from '../../src/webhook/index.js';

const CASES = [
  { what: '<Application> in <Dial>', voice: '<Dial><Application>AP0123456789abcdef0123456789abcdef</Application><Number>+14155550123</Number></Dial>', element: 'Application', words: /<Application> in <Dial> is not supported by didml's runtime.*TwiML Applications/ },
  { what: '<Sim> in <Dial>', voice: '<Dial><Sim>DE0123456789abcdef0123456789abcdef</Sim></Dial>', element: 'Sim', words: /<Sim> in <Dial> is not supported.*SIMs/ },
  { what: '<WhatsApp> in <Dial>', voice: '<Dial><WhatsApp>+14155550123</WhatsApp></Dial>', element: 'WhatsApp', words: /<WhatsApp> in <Dial> is not supported.*WhatsApp users/ },
  { what: '<Parameter> in <Hangup>', voice: '<Hangup><Parameter name="reason" value="done"/></Hangup>', element: 'Parameter', words: /<Parameter> in <Hangup> is not supported.*Voice SDK client/ },
  { what: '<Parameter> in <Reject>', voice: '<Reject><Parameter name="reason" value="spam"/></Reject>', element: 'Parameter', words: /<Parameter> in <Reject> is not supported/ },
  { what: '<Parameter> in <Client>', voice: '<Dial><Client>alice<Parameter name="a" value="b"/></Client></Dial>', element: 'Parameter', words: /<Parameter> in <Client> is not supported/ },
  { what: '<Play digits> in <Gather>', voice: '<Gather numDigits="1"><Play digits="1w2">https://cdn.example.com/menu.mp3</Play></Gather>', element: 'Play', words: /<Play digits> in <Gather> is not run by didml's runtime.*DTMF tones.*the call goes on without it/ },
];

async function run(voice: string) {
  const webhooks = createWebhookClient({ transport: handlerTransport(() => `<?xml version="1.0" encoding="UTF-8"?><Response>${voice}</Response>`) });
  try {
    return await simulateCall({ app: 'https://app.example.com/voice', call: { caller: [{ digits: '1' }], hangupAfter: 60 }, webhooks });
  } finally {
    await webhooks.close();
  }
}

describe.each(CASES)('$what', (c) => {
  it('is said in the transcript when the document runs, once, naming it and its parent', async () => {
    const { events } = await run(c.voice);
    const said = events.filter((e) => e.type === 'warning' && e['rule'] === 'runtime-support' && e['element'] === c.element);
    expect(said).toHaveLength(1);
    expect(String(said[0]!['message'])).toMatch(c.words);
  });

  it('is a lint note (runtime-support)', () => {
    const notes = lint(`<Response>${c.voice}</Response>`, { dialect: 'twiml' }).diagnostics.filter((d) => d.rule === 'runtime-support');
    expect(notes).toEqual([expect.objectContaining({ severity: 'info', message: expect.stringContaining(`in <`) })]);
  });
});

describe('what runs is not reported', () => {
  it('<Parameter> in <Stream>, <Play> without digits in <Gather>, <Play digits> on its own', async () => {
    const voice = '<Start><Stream url="wss://agent.example.com/s"><Parameter name="a" value="b"/></Stream></Start><Gather numDigits="1"><Play>https://cdn.example.com/m.mp3</Play></Gather><Play digits="12"/>';
    const { events } = await run(voice);
    expect(events.filter((e) => e['rule'] === 'runtime-support')).toEqual([]);
    expect(lint(`<Response>${voice}</Response>`, { dialect: 'twiml' }).diagnostics.filter((d) => d.rule === 'runtime-support')).toEqual([]);
  });
});
