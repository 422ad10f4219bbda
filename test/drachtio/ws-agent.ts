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
