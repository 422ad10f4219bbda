// Call queues shared by several instances on one Redis (redis-queue-scripts.ts has the keys). The
// Redis call store (redis.ts) makes one of these on its own connection, and hands it the names
// published on <prefix>queue-joined. A Redis that cannot be reached is Twilio's 20503, as for calls.
import type { Redis } from 'ioredis';
import { averageWaitSeconds, type Reach, type QueueEntry, type QueueInfo, type QueueStatus, type QueueStore } from './queues.js';
import { JOIN, RELEASE, REMOVE, SERVE, STATUS } from './redis-queue-scripts.js';

type Scripted = Redis & {
  didmlQueueJoin(...args: (string | number)[]): Promise<[string, string]>;
  didmlQueueRemove(...args: (string | number)[]): Promise<string | null>;
  didmlQueueServe(...args: (string | number)[]): Promise<number>;
  didmlQueueRelease(...args: (string | number)[]): Promise<'served' | 'released'>;
  didmlQueueStatus(...args: (string | number)[]): Promise<[string, number, number, number, number]>;
};

/** Runs a Redis operation, turning an outage into Twilio's 20503 (the call store's own guard). */
export type Guarded = <T>(operation: 'read' | 'write', run: () => Promise<T>) => Promise<T>;

/** How long a claim's outcome is kept for its taker: far beyond any answer's wait. */
const OUTCOME_MS = 600_000;

export interface RedisQueueOptions {
  /** state.claimLeaseMs */
  leaseMs: number;
  /** How often a bridge with another instance's call is checked: a third of state.instanceTtlSeconds. */
  partnerCheckMs: number;
}

export class RedisQueueStore implements QueueStore {
  readonly leaseMs: number;
  readonly partnerCheckMs: number;
  /** Instances on several machines share the wall clock, not a process's monotonic one. */
  readonly clock = Date.now;
  readonly #redis: Scripted;
  readonly #p: string;
  readonly #guard: Guarded;
  readonly #listeners: ((name: string) => void)[] = [];

  constructor(redis: Redis, prefix: string, guard: Guarded, o: RedisQueueOptions) {
    this.#redis = redis as Scripted;
    this.#p = prefix;
    this.#guard = guard;
    this.leaseMs = o.leaseMs;
    this.partnerCheckMs = o.partnerCheckMs;
    redis.defineCommand('didmlQueueJoin', { numberOfKeys: 0, lua: JOIN });
    redis.defineCommand('didmlQueueRemove', { numberOfKeys: 0, lua: REMOVE });
    redis.defineCommand('didmlQueueServe', { numberOfKeys: 0, lua: SERVE });
    redis.defineCommand('didmlQueueRelease', { numberOfKeys: 0, lua: RELEASE });
    redis.defineCommand('didmlQueueStatus', { numberOfKeys: 0, lua: STATUS });
  }

  /** A name published on <prefix>queue-joined (by any instance, this one too). */
  joined(name: string): void {
    for (const f of this.#listeners) f(name);
  }

  async join(name: string, entry: QueueEntry, maxSize: number, newSid: () => string): Promise<{ sid: string } | 'full'> {
    const [outcome, sid] = await this.#guard('write', () => this.#redis.didmlQueueJoin(this.#p, name, newSid(), JSON.stringify(entry), entry.callSid, entry.instance, maxSize, entry.enqueuedAt));
    return outcome === 'full' ? 'full' : { sid };
  }

  async leave(name: string, callSid: string, now: number): Promise<boolean> {
    return (await this.remove(name, callSid, now)) !== undefined;
  }

  front(name: string, now: number, reach?: Reach, claim?: string): Promise<QueueEntry | undefined> {
    return this.#remove(name, '', now, reach, claim);
  }

  remove(name: string, callSid: string, now: number): Promise<QueueEntry | undefined> {
    return this.#remove(name, callSid, now);
  }

  async #remove(name: string, callSid: string, now: number, reach: Reach = { instance: '', others: 'any' }, claim = ''): Promise<QueueEntry | undefined> {
    const raw = await this.#guard('write', () => this.#redis.didmlQueueRemove(this.#p, name, callSid, Math.round(now), reach.instance, reach.others, claim, this.leaseMs));
    return raw ? (JSON.parse(raw) as QueueEntry) : undefined;
  }

  async serve(name: string, callSid: string, claim: string, now: number): Promise<boolean> {
    return (await this.#guard('write', () => this.#redis.didmlQueueServe(this.#p, name, callSid, claim, Math.round(now), OUTCOME_MS))) === 1;
  }

  release(name: string, callSid: string, claim: string): Promise<'served' | 'released'> {
    return this.#guard('write', () => this.#redis.didmlQueueRelease(this.#p, name, callSid, claim, OUTCOME_MS));
  }

  async alive(instance: string): Promise<boolean> {
    return (await this.#guard('read', () => this.#redis.exists(this.#key('instance', instance)))) === 1;
  }

  async status(name: string, callSid: string, newSid: () => string): Promise<QueueStatus> {
    const [sid, position, size, waited, served] = await this.#guard('write', () => this.#redis.didmlQueueStatus(this.#p, name, callSid, newSid(), Date.now()));
    return { sid, position: Number(position), size: Number(size), averageWaitTime: averageWaitSeconds(Number(waited), Number(served)) };
  }

  async sid(name: string, newSid: () => string): Promise<string> {
    return (await this.status(name, '', newSid)).sid;
  }

  async list(): Promise<QueueInfo[]> {
    const names = await this.#guard('read', () => this.#redis.hgetall(this.#key('queue-names')));
    const pipe = this.#redis.pipeline();
    const entries = Object.entries(names);
    for (const [, sid] of entries) pipe.hmget(this.#key('queue', sid), 'created', 'waited', 'served').zcard(this.#key('queue', sid, 'line'));
    const r = entries.length ? await this.#guard('read', async () => (await pipe.exec()) ?? []) : [];
    return entries
      .map(([name, sid], i) => {
        const [created, waited, served] = (r[2 * i]?.[1] as (string | null)[] | undefined) ?? [];
        return { name, sid, size: Number(r[2 * i + 1]?.[1] ?? 0), averageWaitTime: averageWaitSeconds(Number(waited ?? 0), Number(served ?? 0)), dateCreated: Number(created ?? 0) };
      })
      .sort((a, b) => a.dateCreated - b.dateCreated || (a.sid < b.sid ? -1 : 1));
  }

  async nameOf(sid: string): Promise<string | undefined> {
    return (await this.#guard('read', () => this.#redis.hget(this.#key('queue', sid), 'name'))) ?? undefined;
  }

  async members(name: string): Promise<QueueEntry[]> {
    const sid = await this.#guard('read', () => this.#redis.hget(this.#key('queue-names'), name));
    if (!sid) return [];
    const order = await this.#guard('read', () => this.#redis.zrange(this.#key('queue', sid, 'line'), 0, -1));
    if (order.length === 0) return [];
    const raws = await this.#guard('read', () => this.#redis.hmget(this.#key('queue', sid, 'callers'), ...order));
    return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as QueueEntry] : []));
  }

  onJoin(listener: (name: string) => void): void {
    this.#listeners.push(listener);
  }

  #key(...parts: string[]): string {
    return this.#p + parts.join(':');
  }
}
