// A party's RTP side for tests of didml as an RTP peer: a UDP socket on loopback that keeps what
// it receives, and a wait for what the sockets and websockets do (bounded, never a timing check).
import { createSocket, type Socket } from 'node:dgram';
import { expect } from 'vitest';

export interface RtpSocket {
  socket: Socket;
  port: number;
  /** Every packet it got, in order. */
  received: Buffer[];
  close(): Promise<void>;
}

export async function rtpSocket(): Promise<RtpSocket> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  return { socket, port: socket.address().port, received, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

/** Waits (3 s at most) for `cond`, and fails saying `what` when it never holds. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond(), what).toBe(true);
}
