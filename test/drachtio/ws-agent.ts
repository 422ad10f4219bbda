// A voice agent for <Connect><Stream> tests: a websocket server on loopback that keeps every
// Twilio Media Streams message it gets and lets a test answer them as they come.
import { WebSocketServer, type WebSocket } from 'ws';

export type StreamMessage = { event: string; streamSid?: string; [field: string]: unknown };

export interface WsAgent {
  url: string;
  messages: StreamMessage[];
  /** The first connection (the stream). */
  connected: Promise<WebSocket>;
  close(): Promise<void>;
}

/** Starts the agent; `react` runs on every message, with the socket to answer on. */
export async function wsAgent(react: (m: StreamMessage, ws: WebSocket) => void = () => undefined): Promise<WsAgent> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const messages: StreamMessage[] = [];
  const connected = new Promise<WebSocket>((resolve) =>
    wss.on('connection', (ws) => {
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as StreamMessage;
        messages.push(m);
        react(m, ws);
      });
      resolve(ws);
    }),
  );
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/agent`,
    messages,
    connected,
    close: () =>
      new Promise<void>((r) => {
        wss.clients.forEach((c) => c.terminate());
        wss.close(() => r());
      }),
  };
}

/** The audio of an agent's `media` messages, in order. */
export const mediaFrames = (messages: StreamMessage[]): Buffer[] =>
  messages.filter((m) => m.event === 'media').map((m) => Buffer.from((m['media'] as { payload: string }).payload, 'base64'));

/**
 * What in a stream's messages is not as Twilio's Media Streams send them
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages): `connected`, then `start`
 * (streamSid, callSid, accountSid, tracks, customParameters, μ-law 8000 1), `media` on the tracks
 * `start` named (each track's chunks counted from 1, timestamps 20 ms apart, 160 bytes of μ-law),
 * `stop` last; sequence numbers from 1 up; the same streamSid throughout. Empty when all is well:
 * the one check a fork's agent makes on the mock, on FreeSWITCH and on didml's own RTP peer.
 */
export function twilioStreamProblems(messages: StreamMessage[]): string[] {
  const problems: string[] = [];
  const [connected, start, ...rest] = messages;
  if (connected?.event !== 'connected' || connected['protocol'] !== 'Call' || connected['version'] !== '1.0.0') problems.push(`first message: ${JSON.stringify(connected)}`);
  const s = start?.['start'] as { streamSid?: string; callSid?: string; accountSid?: string; tracks?: string[]; customParameters?: object; mediaFormat?: object } | undefined;
  if (start?.event !== 'start' || !s) return [...problems, `second message: ${JSON.stringify(start)}`];
  const sid = start.streamSid;
  if (!/^MZ[0-9a-f]{32}$/.test(sid ?? '') || s.streamSid !== sid) problems.push(`streamSid ${sid} / ${s.streamSid}`);
  if (!/^CA[0-9a-f]{32}$/.test(s.callSid ?? '') || !/^AC[0-9a-f]{32}$/.test(s.accountSid ?? '')) problems.push(`callSid ${s.callSid}, accountSid ${s.accountSid}`);
  if (JSON.stringify(s.mediaFormat) !== JSON.stringify({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 })) problems.push(`mediaFormat ${JSON.stringify(s.mediaFormat)}`);
  if (typeof s.customParameters !== 'object') problems.push('no customParameters');
  const tracks = s.tracks ?? [];
  if (!tracks.length || tracks.some((t) => t !== 'inbound' && t !== 'outbound')) problems.push(`tracks ${JSON.stringify(tracks)}`);
  if (rest.at(-1)?.event !== 'stop') problems.push(`last message: ${rest.at(-1)?.event}`);
  const chunks: Record<string, number> = {};
  let seq = 0;
  for (const m of [start, ...rest]) {
    if (m.streamSid !== sid) problems.push(`${m.event} with streamSid ${m.streamSid}`);
    if (Number(m['sequenceNumber']) !== ++seq) problems.push(`${m.event} sequenceNumber ${String(m['sequenceNumber'])}, not ${seq}`);
    if (m.event === 'media') {
      const x = m['media'] as { track: string; chunk: string; timestamp: string; payload: string };
      const n = (chunks[x.track] = (chunks[x.track] ?? 0) + 1);
      if (!tracks.includes(x.track as 'inbound')) problems.push(`media on track ${x.track}`);
      if (x.chunk !== String(n) || x.timestamp !== String((n - 1) * 20)) problems.push(`${x.track} chunk ${x.chunk} at ${x.timestamp}, not ${n} at ${(n - 1) * 20}`);
      if (Buffer.from(x.payload, 'base64').length !== 160) problems.push(`${x.track} chunk ${x.chunk}: ${Buffer.from(x.payload, 'base64').length} bytes`);
    } else if (m.event === 'stop') {
      const stop = m['stop'] as { callSid?: string; accountSid?: string } | undefined;
      if (stop?.callSid !== s.callSid || stop?.accountSid !== s.accountSid) problems.push(`stop ${JSON.stringify(stop)}`);
    } else if (m !== start) {
      problems.push(`a fork sent ${m.event}`);
    }
  }
  return problems.slice(0, 10);
}
