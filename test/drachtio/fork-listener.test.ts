// didml's listener for mod_audio_fork: only a path a fork waits on is let in, once; a cancelled
// fork's path is refused; close() lets go of everything.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ForkListener } from '../../src/telephony/drachtio/fork-listener.js';

/** Connects as mod_audio_fork does; resolves with the HTTP status of a refusal, or 101 and the socket. */
function connect(url: string): Promise<{ status: number; ws?: WebSocket; protocol?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'audio.drachtio.org');
    ws.once('open', () => resolve({ status: 101, ws, protocol: ws.protocol }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ status: 0 }));
  });
}

describe('ForkListener', () => {
  it('hands the connection to its fork, with the sub-protocol mod_audio_fork asks for; the path works once', async () => {
    const l = await ForkListener.open('127.0.0.1', 0);
    try {
      const slot = l.expect();
      expect(slot.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/fork\/[0-9a-f]{32}$/);
      const client = await connect(slot.url);
      expect(client.status).toBe(101);
      expect(client.protocol).toBe('audio.drachtio.org');
      const server = await slot.connection;
      const got = new Promise<Buffer>((r) => server.once('message', (d) => r(d as Buffer)));
      client.ws!.send(Buffer.from([1, 2, 3]));
      expect(await got).toEqual(Buffer.from([1, 2, 3]));
      expect((await connect(slot.url)).status).toBe(404);
      client.ws!.close();
    } finally {
      await l.close();
    }
  });

  it('refuses a path no fork waits on, and a cancelled fork\'s (its connection rejects)', async () => {
    const l = await ForkListener.open('127.0.0.1', 0);
    try {
      const slot = l.expect();
      expect((await connect(slot.url.replace(/[0-9a-f]{32}$/, '0'.repeat(32)))).status).toBe(404);
      expect((await connect(slot.url.replace(/\/fork\/.*/, '/'))).status).toBe(404);
      slot.cancel();
      await expect(slot.connection).rejects.toThrow('cancelled');
      expect((await connect(slot.url)).status).toBe(404);
    } finally {
      await l.close();
    }
  });

  it('a port that cannot be listened on is an error naming the settings', async () => {
    const l = await ForkListener.open('127.0.0.1', 0);
    try {
      const port = Number(new URL(l.expect().url).port);
      await expect(ForkListener.open('127.0.0.1', port)).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ \(drachtio\.mediaServer\.streamAddress, streamPort\)/);
    } finally {
      await l.close();
    }
  });
});
