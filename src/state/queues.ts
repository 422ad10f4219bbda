// The shared side of call queues: who waits in which line, in order, since when, and the wait
// statistics (AvgQueueTime). One interface, QueueStore, with two implementations: in-process
// (here: one instance, the default) and Redis (redis-queues.ts: several instances, the line in
// Redis, the front taken by a Lua script so two agents never take the same caller). The legs and
// the waiting itself stay with the runtime (src/runtime/queues.ts); only data lives here.

/** One caller in line. `instance` runs the call: only it can bridge or steer the caller. */
export interface QueueEntry {
  callSid: string;
  instance: string;
  /** When it joined (ms, the runtime's clock). */
  enqueuedAt: number;
  from: string;
  to: string;
  /** The caller's channel on a media server (a FreeSWITCH uuid): a call of another instance on the same server can bridge it. */
  media?: string;
}

/**
 * Which callers a taker can bridge (its leg's `remoteBridge`): its own instance's always; of
 * other instances, `any`, only those with a media channel (`media`), or none.
 */
export interface Reach {
  instance: string;
  others: 'any' | 'media' | 'none';
}

export const reachable = (e: QueueEntry, r: Reach): boolean => e.instance === r.instance || r.others === 'any' || (r.others === 'media' && e.media !== undefined);

export interface QueueStatus {
  sid: string;
  /** 1 for the first in line; 0 when the call is not (or no longer) in line. */
  position: number;
  size: number;
  /** Seconds, rounded: the mean wait of everyone who has left the line (taken, left or hung up). */
  averageWaitTime: number;
}

export interface QueueInfo {
  name: string;
  sid: string;
  size: number;
  averageWaitTime: number;
  /** When the queue was first used (ms). */
  dateCreated: number;
}

export interface QueueStore {
  /** Puts a caller at the back of the line (the queue is made on first use, its sid from `newSid`); 'full' at `maxSize`. */
  join(name: string, entry: QueueEntry, maxSize: number, newSid: () => string): Promise<{ sid: string } | 'full'>;
  /** Takes a caller out of line (it left, hung up); false when it was not in line any more (taken). */
  leave(name: string, callSid: string, now: number): Promise<boolean>;
  /** Takes the first in line the taker can reach (default: any), atomically: one caller goes to one taker only. */
  front(name: string, now: number, reach?: Reach): Promise<QueueEntry | undefined>;
  /** Takes one given caller out of line (the Members API), atomically; undefined when it is not in line. */
  remove(name: string, callSid: string, now: number): Promise<QueueEntry | undefined>;
  status(name: string, callSid: string, newSid: () => string): Promise<QueueStatus>;
  /** The queue's sid (made now, from `newSid`, if it was never used). */
  sid(name: string, newSid: () => string): Promise<string>;
  /** Every queue used, oldest first. */
  list(): Promise<QueueInfo[]>;
  /** The queue's name from its sid (undefined: no such queue). */
  nameOf(sid: string): Promise<string | undefined>;
  /** Who waits, first in line first. */
  members(name: string): Promise<QueueEntry[]>;
  /** Told when a caller joins a line, on any instance (wakes the takers waiting for one). */
  onJoin(listener: (name: string) => void): void;
}

interface Line {
  sid: string;
  dateCreated: number;
  members: QueueEntry[];
  /** Milliseconds waited by everyone who has left the line, and how many they were. */
  waited: number;
  served: number;
}

const average = (waitedMs: number, served: number): number => (served ? Math.round(waitedMs / served / 1000) : 0);

/** The in-process queues: today's semantics for one instance. */
export class MemoryQueueStore implements QueueStore {
  readonly #lines = new Map<string, Line>();
  readonly #listeners: ((name: string) => void)[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #line(name: string, newSid: () => string): Line {
    let l = this.#lines.get(name);
    if (!l) {
      l = { sid: newSid(), dateCreated: this.#now(), members: [], waited: 0, served: 0 };
      this.#lines.set(name, l);
    }
    return l;
  }

  async join(name: string, entry: QueueEntry, maxSize: number, newSid: () => string): Promise<{ sid: string } | 'full'> {
    const l = this.#line(name, newSid);
    if (l.members.length >= maxSize) return 'full';
    l.members.push({ ...entry });
    for (const f of this.#listeners) f(name);
    return { sid: l.sid };
  }

  async leave(name: string, callSid: string, now: number): Promise<boolean> {
    return (await this.remove(name, callSid, now)) !== undefined;
  }

  async front(name: string, now: number, reach?: Reach): Promise<QueueEntry | undefined> {
    const first = this.#lines.get(name)?.members.find((m) => !reach || reachable(m, reach));
    return first && this.remove(name, first.callSid, now);
  }

  async remove(name: string, callSid: string, now: number): Promise<QueueEntry | undefined> {
    const l = this.#lines.get(name);
    const i = l ? l.members.findIndex((m) => m.callSid === callSid) : -1;
    if (!l || i < 0) return undefined;
    const [m] = l.members.splice(i, 1);
    l.waited += Math.max(0, now - m!.enqueuedAt);
    l.served++;
    return m;
  }

  async status(name: string, callSid: string, newSid: () => string): Promise<QueueStatus> {
    const l = this.#line(name, newSid);
    return { sid: l.sid, position: l.members.findIndex((m) => m.callSid === callSid) + 1, size: l.members.length, averageWaitTime: average(l.waited, l.served) };
  }

  async sid(name: string, newSid: () => string): Promise<string> {
    return this.#line(name, newSid).sid;
  }

  async list(): Promise<QueueInfo[]> {
    return [...this.#lines].map(([name, l]) => ({ name, sid: l.sid, size: l.members.length, averageWaitTime: average(l.waited, l.served), dateCreated: l.dateCreated }));
  }

  async nameOf(sid: string): Promise<string | undefined> {
    for (const [name, l] of this.#lines) if (l.sid === sid) return name;
    return undefined;
  }

  async members(name: string): Promise<QueueEntry[]> {
    return (this.#lines.get(name)?.members ?? []).map((m) => ({ ...m }));
  }

  onJoin(listener: (name: string) => void): void {
    this.#listeners.push(listener);
  }
}

export { average as averageWaitSeconds };
