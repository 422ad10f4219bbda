// Call queues shared by the calls of one runtime: <Enqueue> puts a caller in line, <Dial><Queue>
// (DIDML: <Queue>) takes the first in line and bridges to it. Twilio creates a queue on first use,
// with a default maximum of 100 callers (reference §1.2 <Enqueue>).
import type { BridgeResult, CallLeg } from '../telephony/adapter.js';
import type { Clock } from '../clock.js';

export const DEFAULT_MAX_QUEUE_SIZE = 100;

/** What the call that takes a caller from the queue hands it: its sid and the bridge to wait on. */
export interface Taker {
  callSid: string;
  bridged: Promise<BridgeResult>;
}

export interface QueueMember {
  callSid: string;
  leg: CallLeg;
  /** The waiting call's parties (for a `<Queue url>` document run on it). */
  from: string;
  to: string;
  enqueuedAt: number;
  /** Called once, by the call that takes this member. */
  take(taker: Taker): void;
}

interface Queue {
  sid: string;
  members: QueueMember[];
  /** Seconds waited by everyone who has left the line, for AvgQueueTime. */
  waited: number;
  served: number;
  /** Calls waiting for someone to join, oldest first. */
  takers: ((m: QueueMember) => void)[];
}

export class Queues {
  readonly #queues = new Map<string, Queue>();
  readonly #clock: Clock;
  readonly #newSid: () => string;

  constructor(clock: Clock, newSid: () => string) {
    this.#clock = clock;
    this.#newSid = newSid;
  }

  #queue(name: string): Queue {
    let q = this.#queues.get(name);
    if (!q) {
      q = { sid: this.#newSid(), members: [], waited: 0, served: 0, takers: [] };
      this.#queues.set(name, q);
    }
    return q;
  }

  /** Puts a caller in line, or hands it straight to a call already waiting for one; 'full' when the line is at its maximum. */
  join(name: string, member: QueueMember, maxSize: number): { sid: string } | 'full' {
    const q = this.#queue(name);
    if (q.members.length >= maxSize) return 'full';
    q.members.push(member);
    const taker = q.takers.shift();
    if (taker) taker(this.#remove(q, member));
    return { sid: q.sid };
  }

  leave(name: string, member: QueueMember): void {
    const q = this.#queues.get(name);
    if (q?.members.includes(member)) this.#remove(q, member);
  }

  #remove(q: Queue, member: QueueMember): QueueMember {
    q.members.splice(q.members.indexOf(member), 1);
    q.waited += (this.#clock.now() - member.enqueuedAt) / 1000;
    q.served++;
    return member;
  }

  /** The first caller in line, waiting up to `timeoutMs` for one to join; undefined if none came. */
  take(name: string, timeoutMs: number, signal: AbortSignal): Promise<QueueMember | undefined> {
    const q = this.#queue(name);
    const first = q.members[0];
    if (first) return Promise.resolve(this.#remove(q, first));
    return new Promise((resolve) => {
      const done = (m: QueueMember | undefined) => {
        cancel();
        signal.removeEventListener('abort', onAbort);
        const i = q.takers.indexOf(taker);
        if (i >= 0) q.takers.splice(i, 1);
        resolve(m);
      };
      const taker = (m: QueueMember) => done(m);
      const onAbort = () => done(undefined);
      const cancel = this.#clock.timer(timeoutMs, () => done(undefined));
      signal.addEventListener('abort', onAbort, { once: true });
      q.takers.push(taker);
    });
  }

  /** What the wait document is told (SignalWire enqueue.mdx, Twilio-compatible names). */
  status(name: string, member: QueueMember): Record<string, string> {
    const q = this.#queue(name);
    return {
      QueueSid: q.sid,
      QueuePosition: String(q.members.indexOf(member) + 1),
      QueueTime: String(Math.round((this.#clock.now() - member.enqueuedAt) / 1000)),
      AvgQueueTime: String(q.served ? Math.round(q.waited / q.served) : 0),
      CurrentQueueSize: String(q.members.length),
    };
  }

  sidOf(name: string): string {
    return this.#queue(name).sid;
  }
}
