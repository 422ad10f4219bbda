// A small ConversationRelay agent: a websocket server speaking Twilio's text protocol. It books
// a plumber in three turns, switches to Spanish when asked, and hands the caller to a person
// when they ask for one. A real agent would ask a language model; the protocol is the same.
//
//   node examples/relay-agent/agent.mjs          # listens on ws://127.0.0.1:8765/relay
//   didml test examples/relay-agent              # the scenarios start it themselves (start())
import { WebSocketServer } from 'ws';

/** One caller's conversation: what to answer to each message Twilio sends. */
function converse(ws) {
  const say = (text) => ws.send(JSON.stringify({ type: 'text', token: text, last: true }));
  const end = (handoffData) => ws.send(JSON.stringify({ type: 'end', handoffData }));
  let postcode = false;
  ws.on('message', (data) => {
    let m;
    try {
      m = JSON.parse(String(data));
    } catch {
      return;
    }
    if (m.type === 'setup') return; // the welcome greeting is the platform's (welcomeGreeting)
    if (m.type === 'dtmf' && m.digit === '1' && postcode) {
      say('Booked for tomorrow at nine. Goodbye!');
      end('booked');
    } else if (m.type === 'prompt') {
      const words = String(m.voicePrompt).toLowerCase();
      if (/person|human|someone/.test(words)) {
        say('Of course, let me put you through.');
        end('person');
      } else if (/espa[nñ]ol|spanish/.test(words)) {
        ws.send(JSON.stringify({ type: 'language', ttsLanguage: 'es-ES', transcriptionLanguage: 'es-ES' }));
        say('Claro. ¿En qué puedo ayudarle?');
      } else if (/\d/.test(words)) {
        postcode = true;
        // Streamed as a language model would: tokens, the last one marked.
        for (const token of ['A plumber can come ', 'tomorrow at nine. ', 'Press 1 to confirm.']) {
          ws.send(JSON.stringify({ type: 'text', token, last: token.startsWith('Press') }));
        }
      } else {
        say('Sure. What is your postcode?');
      }
    }
  });
}

/** Starts the agent on 127.0.0.1 (port 0: any free one); what `didml test` calls. */
export async function start(port = 0) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/relay' });
  await new Promise((resolve, reject) => wss.once('listening', resolve).once('error', reject));
  wss.on('connection', converse);
  return {
    url: `ws://127.0.0.1:${wss.address().port}/relay`,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await start(Number(process.env.PORT ?? 8765));
  console.log(`ConversationRelay agent listening on ${url}`);
}
