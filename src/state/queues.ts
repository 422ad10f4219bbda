// The shared side of call queues: who waits in which line, in order, since when, and the wait
// statistics (AvgQueueTime). One interface, QueueStore, with two implementations: in-process
// (here: one instance, the default) and Redis (redis-queues.ts: several instances, the line in
// Redis, the front taken by a Lua script so two agents never take the same caller). The legs and
// the waiting itself stay with the runtime (src/runtime/queues.ts); only data lives here.
//
// A taker from another instance does not take the caller out of line at once: it claims it for a
// lease (`front` with a claim id). The claimed caller keeps its place (and its enqueue time); other
// takers pass it by. The caller's instance then `serve`s the claim, atomically: out of line, counted
// in the statistics, if the claim still holds; a claim never served lapses at the end of its lease
// and the caller is the first in line again. `leave` and `remove` win over a claim not yet served.

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
  /** How long a claim holds the caller (ms); other instances' takers pass it by meanwhile. */
  readonly leaseMs: number;
  /** How often a caller bridged to another instance's call looks that its partner is still there (ms); none: no other instances. */
  readonly partnerCheckMs?: number;
  /** The clock of the entries' times and the statistics, shared by every instance (Redis: the wall clock); none: the runtime's. */
  readonly clock?: () => number;
  /** Puts a caller at the back of the line (the queue is made on first use, its sid from `newSid`); 'full' at `maxSize`. */
  join(name: string, entry: QueueEntry, maxSize: number, newSid: () => string): Promise<{ sid: string } | 'full'>;
  /** Takes a caller out of line (it left, hung up); false when it was not in line any more (taken). */
  leave(name: string, callSid: string, now: number): Promise<boolean>;
  /**
   * The first in line the taker can reach (default: any), atomically: one caller goes to one taker
   * only. With `claim` (an id of the taker's making) the caller is only claimed, for `leaseMs`: it
   * stays in its place until its instance serves the claim; without, it is taken out at once.
   */
  front(name: string, now: number, reach?: Reach, claim?: string): Promise<QueueEntry | undefined>;
  /** The caller's instance accepts claim `claim`: out of line (its wait counted) if the claim still holds, atomically; false when it lapsed, the caller left or was removed. */
  serve(name: string, callSid: string, claim: string, now: number): Promise<boolean>;
  /** The taker gives up a claim it heard nothing of: `served` when the caller's instance had served it (the bridge is on), else the claim is void from now on. */
  release(name: string, callSid: string, claim: string): Promise<'served' | 'released'>;
  /** Whether an instance is alive (its heartbeat has not expired). */
  alive(instance: string): Promise<boolean>;
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
  /** Claims not yet served, by call sid. */
  claims: Map<string, { id: string; expires: number }>;
  /** Milliseconds waited by everyone who has left the line, and how many they were. */
  waited: number;
  served: number;
}

const average = (waitedMs: number, served: number): number => (served ? Math.round(waitedMs / served / 1000) : 0);

/** How long the outcome of a claim (served or released) is remembered for its taker: far longer than any answer takes. */
const OUTCOME_MS = 600_000;

/** The in-process queues: one instance, the same outcomes as in Redis (one JavaScript turn is atomic). */
export class MemoryQueueStore implements QueueStore {
  readonly leaseMs: number;
  readonly clock: (() => number) | undefined;
  readonly #lines = new Map<string, Line>();
  readonly #listeners: ((name: string) => void)[] = [];
  readonly #now: () => number;
  /** Outcomes of claims, by claim id, with when they are forgotten. */
  readonly #outcomes = new Map<string, { outcome: 'served' | 'released'; until: number }>();

  /** `now`: the clock of the leases (and of a queue's creation); `clock`: of the entries' times (default: the runtime's). */
  constructor(now: () => number = Date.now, o: { leaseMs?: number; clock?: () => number } = {}) {
    this.#now = now;
    this.leaseMs = o.leaseMs ?? 10_000;
    this.clock = o.clock;
  }

  #line(name: string, newSid: () => string): Line {
    let l = this.#lines.get(name);
    if (!l) {
      l = { sid: newSid(), dateCreated: this.#now(), members: [], claims: new Map(), waited: 0, served: 0 };
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

  async front(name: string, now: number, reach?: Reach, claim?: string): Promise<QueueEntry | undefined> {
    const l = this.#lines.get(name);
    const t = this.#now();
    const free = (m: QueueEntry) => (l!.claims.get(m.callSid)?.expires ?? 0) <= t;
    const first = l?.members.find((m) => free(m) && (!reach || reachable(m, reach)));
    if (!first || !claim) return first && this.remove(name, first.callSid, now);
    l!.claims.set(first.callSid, { id: claim, expires: t + this.leaseMs });
    return { ...first };
  }

  async serve(name: string, callSid: string, claim: string, now: number): Promise<boolean> {
    const c = this.#lines.get(name)?.claims.get(callSid);
    if (!c || c.id !== claim || c.expires <= this.#now()) return false;
    await this.remove(name, callSid, now);
    this.#remember(claim, 'served');
    return true;
  }

  async release(name: string, callSid: string, claim: string): Promise<'served' | 'released'> {
    if (this.#outcomes.get(claim)?.outcome === 'served') return 'served';
    const claims = this.#lines.get(name)?.claims;
    if (claims?.get(callSid)?.id === claim) claims.delete(callSid);
    this.#remember(claim, 'released');
    return 'released';
  }

  async alive(): Promise<boolean> {
    return true;
  }

  #remember(claim: string, outcome: 'served' | 'released'): void {
    const t = this.#now();
    // Oldest first: the forgotten ones are at the start.
    for (const [id, o] of this.#outcomes) {
      if (o.until > t) break;
      this.#outcomes.delete(id);
    }
    this.#outcomes.set(claim, { outcome, until: t + OUTCOME_MS });
  }

  async remove(name: string, callSid: string, now: number): Promise<QueueEntry | undefined> {
    const l = this.#lines.get(name);
    const i = l ? l.members.findIndex((m) => m.callSid === callSid) : -1;
    if (!l || i < 0) return undefined;
    const [m] = l.members.splice(i, 1);
    l.claims.delete(callSid);
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
