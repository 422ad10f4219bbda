// A call's transcript for a person: one line per event, its call time first. One small
// formatter per event type; events without one are shown as their JSON.
import { targetAddress } from '../telephony/adapter.js';
import type { TranscriptEvent } from '../telephony/mock/index.js';

type Show = (e: TranscriptEvent) => string | null;

const targets = (e: TranscriptEvent): string =>
  (e['targets'] as { kind: string; uri?: string; number?: string; identity?: string; headers?: Record<string, string> }[])
    .map((t) => {
      const headers = Object.entries(t.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
      return `${targetAddress(t)}${headers.length ? ` [${headers.join(', ')}]` : ''}`;
    })
    .join(', ');

/** A document given inline, on one line: no XML declaration, no space between tags, long ones cut. */
const inline = (xml: unknown, max = 100): string => {
  const s = String(xml).replace(/^\s*<\?xml[^>]*\?>/, '').replace(/>\s+</g, '><').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

/** What an update of the live call told it (the Calls API's Url, Twiml or Status). */
const update = (e: TranscriptEvent): string =>
  e['status'] !== undefined ? `end the call (Status=${String(e['status'])})` : e['twiml'] !== undefined ? 'new TwiML' : `go to ${String(e['method'])} ${String(e['url'])}`;

const SHOW: Record<string, Show> = {
  inbound: (e) => `call from ${String(e['from'])} to ${String(e['to'])}`,
  outbound: (e) =>
    `call placed to ${targets({ ...e, targets: [e['target']] })} from ${String(e['from'])}, timeout ${String(e['timeout'])} s${e['machineDetection'] ? `, machine detection ${String(e['machineDetection'])}` : ''}`,
  ringing: () => 'ringing',
  'outbound-response': (e) => `  SIP ${String(e['sipResponseCode'])} (${String(e['status'])})`,
  'machine-detection': (e) => `answered by ${String(e['answeredBy'])} (machine detection)`,
  // The session's note of the same refusal the far end's response and the call's end show.
  'outbound-end': () => null,
  update: (e) => `update: ${update(e)}`,
  twiml: (e) => `→ inline TwiML ${inline(e['body'])}`,
  webhook: (e) =>
    `→ ${String(e['method'])} ${String(e['url'])}${e['status'] !== undefined ? ` (${String(e['status'])})` : ''}${e['error'] ? `: ${String(e['message'])}` : ''}`,
  callback: (e) => `→ callback ${String(e['method'])} ${String(e['url'])}`,
  answer: () => 'answered',
  reject: (e) => `rejected: ${String(e['reason'])} (SIP ${String(e['sipResponseCode'])})`,
  // What an agent said, played or sent is on its `agent:` line.
  say: (e) => (e['agent'] ? null : `say "${String(e['text'])}"${Number(e['loop']) !== 1 ? ` ×${String(e['loop'])}` : ''}`),
  play: (e) => (e['agent'] ? null : `play ${String(e['url'])}`),
  pause: (e) => `pause ${String(e['seconds'])} s`,
  'send-digits': (e) => (e['agent'] ? null : `send DTMF ${String(e['digits'])}`),
  digits: (e) => `caller presses ${String(e['digits'])}${e['ignored'] ? ' (nobody listening)' : ''}`,
  speech: (e) => `caller says "${String(e['text'])}"`,
  gather: (e) => `gather ${[e['dtmf'] && 'dtmf', e['speech'] && 'speech'].filter(Boolean).join('+')}, timeout ${String(e['timeout'])} s`,
  'gather-end': (e) => `gathered "${String(e['digits'])}"${e['speech'] ? ` / "${(e['speech'] as { text: string }).text}"` : ''} (${String(e['endedBy'])})`,
  gathered: () => null,
  record: (e) => `record, at most ${String(e['maxLength'])} s`,
  beep: () => 'beep',
  'record-end': (e) => `recorded ${String(e['duration'])} s (${String(e['endedBy'])})`,
  transcription: (e) => (e['status'] === 'completed' ? `transcribed: "${String(e['text'])}"` : `transcription failed: ${String(e['reason'])}`),
  dial: (e) => `dial ${targets(e)}`,
  'dial-attempt': () => null,
  'dial-response': (e) => `  ${String(e['callId']).slice(-6)}: SIP ${String(e['sipResponseCode'])} (${String(e['status'])})`,
  bridge: () => 'bridged',
  'dial-end': (e) => `dial ended: ${String(e['status'])}, ${String(e['duration'])} s`,
  refer: (e) => `refer to ${String(e['uri'])}${Object.keys(e['headers'] as object).length ? ` ${JSON.stringify(e['headers'])}` : ''}`,
  'refer-response': (e) => `  REFER answered ${String(e['sipResponseCode'])}`,
  notify: (e) => `  NOTIFY ${String(e['sipResponseCode'])}`,
  redirect: (e) => `redirect to ${String(e['url'])}`,
  hangup: (e) => `hang up (${String(e['by'])}${e['reason'] ? `: ${String(e['reason'])}` : ''})`,
  warning: (e) => `warning: ${String(e['message'])}`,
  error: (e) => `error${e['code'] !== undefined ? ` ${String(e['code'])}` : ''}${e['twilioCode'] ? ` (Twilio ${String(e['twilioCode'])})` : ''}: ${String(e['message'])}`,
  end: (e) => `call ${String(e['status'])}: ${String(e['reason'])}`,
  'call-recording-start': (e) => `call recording started${e['channels'] === 2 ? ' (two channels)' : ''}`,
  'call-recording-stop': (e) => `call recording stopped: ${String(e['duration'])} s, ${String(e['url'])}`,
  'callee-hangup': (e) => `  ${String(e['callId']).slice(-6)}: callee hung up (${String(e['reason'])})`,
  // Streams, and the conversation with a real agent (call.agent) as it goes.
  stream: (e) => `${e['protocol'] === 'conversation-relay' ? 'ConversationRelay' : 'stream'} ${String(e['url'])}${e['agent'] ? '' : ' (simulated)'}${params(e)}`,
  'stream-start': (e) => `stream fork ${String(e['url'])}${e['name'] ? ` (${String(e['name'])})` : ''}${params(e)}`,
  'stream-stop': (e) => `stream fork stopped${e['name'] ? ` (${String(e['name'])})` : ''}`,
  'stream-media': (e) =>
    `stream fork ended (${String(e['endedBy'])}${e['error'] ? `: ${String(e['error'])}` : ''}): ${Object.entries((e['frames'] as Record<string, number> | undefined) ?? {}).map(([t, n]) => `${n} frames ${t}`).join(', ')}${e['capped'] ? ' (capped at an hour)' : ''}`,
  'stream-end': (e) => `stream ended (${String(e['endedBy'])}${e['error'] ? `: ${String(e['error'])}` : ''})`,
  'caller-audio': (e) => `caller talks: ${String(e['file'])} (${String(e['duration'])} s)`,
  'caller-silence': (e) => `caller is silent ${String(e['seconds'])} s`,
  agent: (e) => `agent: ${agentTurn(e)}`,
  'agent-audio-saved': (e) => `agent's audio saved: ${String(e['file'])} (${String(e['duration'])} s)`,
  'relay-language': (e) => `  language now ${String(e['ttsLanguage'])} (speech), ${String(e['transcriptionLanguage'])} (recognition)`,
  'agent-interrupted': (e) => `  caller interrupts the agent after "${String(e['utteranceUntilInterrupt'])}" (${String(e['durationUntilInterruptMs'])} ms)`,
  'agent-preempted': (e) => `  preempted by the agent's next answer, not heard: ${e['said'] !== undefined ? `"${String(e['said'])}"` : String(e['played'])}`,
  'relay-error': (e) => `  agent's message refused (${String(e['code'])}): ${String(e['message'])}`,
};

function params(e: TranscriptEvent): string {
  const p = Object.entries((e['parameters'] as Record<string, string> | undefined) ?? {});
  return p.length ? ` {${p.map(([k, v]) => `${k}=${v}`).join(', ')}}` : '';
}

/** One turn of an agent, in words: what it said, its audio and marks, what it played and sent, its end. */
function agentTurn(e: TranscriptEvent): string {
  const parts = [
    e['said'] !== undefined ? `"${String(e['said'])}"` : '',
    e['audio'] !== undefined ? `${String(e['audio'])} s of audio` : '',
    Array.isArray(e['marks']) ? `marks ${e['marks'].join(', ')}` : '',
    e['cleared'] ? `cleared ${String(e['cleared'])}×` : '',
    Array.isArray(e['played']) ? `plays ${e['played'].join(', ')}` : '',
    e['digits'] ? `sends ${String(e['digits'])}` : '',
    e['end'] ? `ends the session${e['handoffData'] ? ` (handoffData ${String(e['handoffData'])})` : ''}` : '',
  ].filter(Boolean);
  return parts.join(', ') || 'nothing';
}

/** Events of a dialled callee's leg (its screening document, `<Number url>`), shown under its id. */
const SHOW_ON_CALLEE: Record<string, Show> = {
  end: (e) => `screening over: ${e['status'] === 'completed' && e['reason'] === 'the document ran out of verbs' ? 'accepted' : `turned down (${String(e['reason'])})`}`,
  hangup: (e) => `callee hung up${e['by'] === 'app' ? ' by the app' : ''}${e['reason'] ? `: ${String(e['reason'])}` : ''}`,
  digits: (e) => `callee presses ${String(e['digits'])}${e['ignored'] ? ' (nobody listening)' : ''}`,
  speech: (e) => `callee says "${String(e['text'])}"`,
};

export function formatEvent(e: TranscriptEvent): string | null {
  const leg = typeof e['leg'] === 'string' ? e['leg'] : undefined;
  const show = (leg ? SHOW_ON_CALLEE[e.type] : undefined) ?? SHOW[e.type];
  const text = show ? show(e) : `${e.type} ${JSON.stringify({ ...e, t: undefined, type: undefined, leg: undefined })}`;
  if (text === null) return null;
  return `${(e.t / 1000).toFixed(1).padStart(7)}s  ${leg ? `  ${leg.slice(-6)}> ` : ''}${text}`;
}
