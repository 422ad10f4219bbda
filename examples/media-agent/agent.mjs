// A small Media Streams agent: a websocket server speaking Twilio's Media Streams protocol. It
// greets the caller, answers each time the caller stops talking (no audio for 150 ms), and
// ends the stream when the caller presses #. Its "voice" is a tone; a real agent would send
// speech from its text-to-speech, framed the same way.
//
//   node examples/media-agent/agent.mjs          # listens on ws://127.0.0.1:8766/media
//   didml test examples/media-agent              # the scenario starts it itself (start())
import { WebSocketServer } from 'ws';

const RATE = 8000;

/** `seconds` of a 440 Hz tone as 8 kHz μ-law (ITU-T G.711). */
function tone(seconds) {
  const out = Buffer.alloc(Math.round(RATE * seconds));
  for (let i = 0; i < out.length; i++) {
    const sample = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
    const sign = sample < 0 ? 0x80 : 0;
    let s = Math.min(Math.abs(sample), 32635) + 0x84;
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
    out[i] = ~(sign | (exponent << 4) | ((s >> (exponent + 3)) & 0x0f)) & 0xff;
  }
  return out;
}

function converse(ws) {
  let streamSid;
  let quiet;
  let turn = 0;
  const speak = (seconds, mark) => {
    ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: tone(seconds).toString('base64') } }));
    ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: mark } }));
  };
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.event === 'start') {
      streamSid = m.start.streamSid;
      speak(1.5, 'greeting');
    } else if (m.event === 'media') {
      // The caller is talking: answer once they have been quiet for a moment.
      clearTimeout(quiet);
      quiet = setTimeout(() => speak(2, `answer-${++turn}`), 150);
    } else if (m.event === 'dtmf' && m.dtmf.digit === '#') {
      clearTimeout(quiet);
      ws.close();
    } else if (m.event === 'stop') {
      clearTimeout(quiet);
    }
  });
  ws.on('close', () => clearTimeout(quiet));
}

/** Starts the agent on 127.0.0.1 (port 0: any free one); what `didml test` calls. */
export async function start(port = 0) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/media' });
  await new Promise((resolve, reject) => wss.once('listening', resolve).once('error', reject));
  wss.on('connection', converse);
  return {
    url: `ws://127.0.0.1:${wss.address().port}/media`,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await start(Number(process.env.PORT ?? 8766));
  console.log(`Media Streams agent listening on ${url}`);
}
