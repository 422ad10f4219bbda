// Conferences shared by several instances on one Redis (redis-conference-scripts.ts has the keys).
// The Redis call store (redis.ts) makes one of these on its own connection and hands it what is
// published on <prefix>conf-events. A Redis that cannot be reached is Twilio's 20503, as for calls.
import type { Redis } from 'ioredis';
import { newestRoomFirst, roomMatches, type ConferenceFilter, type ConferenceRoom, type ConferenceStore, type JoinRequest, type JoinResult, type LeaveResult, type Participant, type RoomEvent } from './conferences.js';
import { END, JOIN, LEAVE, UPDATE } from './redis-conference-scripts.js';
import type { Guarded } from './redis-queues.js';

type Scripted = Redis & {
  didmlConfJoin(...args: (string | number)[]): Promise<[string, string, number]>;
  didmlConfLeave(...args: (string | number)[]): Promise<[string, string, number] | null>;
  didmlConfEnd(...args: (string | number)[]): Promise<string | null>;
  didmlConfUpdate(...args: (string | number)[]): Promise<string | null>;
};

/** cjson writes an empty list as `{}`: a room's events are a list whatever it wrote. */
function room(raw: string): ConferenceRoom {
  const r = JSON.parse(raw) as ConferenceRoom;
  if (r.callback && !Array.isArray(r.callback.events)) r.callback.events = [];
  return r;
}

export class RedisConferenceStore implements ConferenceStore {
  readonly #redis: Scripted;
  readonly #p: string;
  readonly #guard: Guarded;
  readonly #keep: { keepEnded: number; keepEndedMs: number };
  readonly #listeners: ((e: RoomEvent) => void)[] = [];

  constructor(redis: Redis, prefix: string, guard: Guarded, keep: { keepEnded: number; keepEndedSeconds: number }) {
    this.#redis = redis as Scripted;
    this.#p = prefix;
    this.#guard = guard;
    this.#keep = { keepEnded: keep.keepEnded, keepEndedMs: keep.keepEndedSeconds * 1000 };
    redis.defineCommand('didmlConfJoin', { numberOfKeys: 0, lua: JOIN });
    redis.defineCommand('didmlConfLeave', { numberOfKeys: 0, lua: LEAVE });
    redis.defineCommand('didmlConfEnd', { numberOfKeys: 0, lua: END });
    redis.defineCommand('didmlConfUpdate', { numberOfKeys: 0, lua: UPDATE });
  }

  /** The channel rooms' starts and ends are published on. */
  get channel(): string {
    return `${this.#p}conf-events`;
  }

  /** A message published on the channel (by any instance, this one too). */
  published(text: string): void {
    let e: RoomEvent;
    try {
      e = JSON.parse(text) as RoomEvent;
    } catch {
      return;
    }
    if (typeof e?.sid !== 'string' || (e.type !== 'start' && e.type !== 'end')) return;
    for (const f of this.#listeners) f(e);
  }

  async join(q: JoinRequest): Promise<JoinResult> {
    const [outcome, raw, started] = await this.#guard('write', () =>
      this.#redis.didmlConfJoin(this.#p, q.accountSid, q.name, q.newSid, JSON.stringify(q.participant), q.participant.callSid, q.participant.instance, q.maxParticipants, Math.round(q.now), q.callback ? JSON.stringify(q.callback) : ''),
    );
    return outcome === 'full' ? { outcome: 'full', room: room(raw) } : { outcome: 'joined', room: room(raw), started: Number(started) === 1 };
  }

  async leave(sid: string, callSid: string, now: number, kicked = false): Promise<LeaveResult | undefined> {
    const r = await this.#guard('write', () => this.#redis.didmlConfLeave(this.#p, sid, callSid, Math.round(now), kicked ? 1 : 0, this.#keep.keepEnded, this.#keep.keepEndedMs));
    return r ? { participant: JSON.parse(r[0]) as Participant, room: room(r[1]), ended: Number(r[2]) === 1 } : undefined;
  }

  async end(sid: string, now: number): Promise<ConferenceRoom | undefined> {
    const raw = await this.#guard('write', () => this.#redis.didmlConfEnd(this.#p, sid, Math.round(now), this.#keep.keepEnded, this.#keep.keepEndedMs));
    return raw ? room(raw) : undefined;
  }

  async update(sid: string, callSid: string, patch: { muted?: boolean; hold?: boolean }, now: number): Promise<Participant | undefined> {
    const flag = (b: boolean | undefined) => (b === undefined ? '' : b ? '1' : '0');
    const raw = await this.#guard('write', () => this.#redis.didmlConfUpdate(this.#p, sid, callSid, flag(patch.muted), flag(patch.hold), Math.round(now)));
    return raw ? (JSON.parse(raw) as Participant) : undefined;
  }

  async get(sid: string): Promise<ConferenceRoom | undefined> {
    const raw = await this.#guard('read', () => this.#redis.get(this.#key('conf', sid)));
    return raw ? room(raw) : undefined;
  }

  async list(filter: ConferenceFilter = {}): Promise<ConferenceRoom[]> {
    const [live, ended] = await this.#guard('read', async () => {
      const r = (await this.#redis.pipeline().zrange(this.#key('confs:live'), 0, -1).zrange(this.#key('confs:ended'), 0, -1).exec()) ?? [];
      for (const [e] of r) if (e) throw e;
      return r.map(([, v]) => v as string[]);
    });
    const sids = [...new Set([...(live ?? []), ...(ended ?? [])])];
    const rooms: ConferenceRoom[] = [];
    for (let i = 0; i < sids.length; i += 500) {
      const chunk = sids.slice(i, i + 500);
      const raws = await this.#guard('read', () => this.#redis.mget(...chunk.map((s) => this.#key('conf', s))));
      for (const raw of raws) if (raw) rooms.push(room(raw));
    }
    return rooms.filter((r) => roomMatches(r, filter)).sort(newestRoomFirst);
  }

  async participants(sid: string): Promise<Participant[]> {
    const all = await this.#guard('read', () => this.#redis.hvals(this.#key('conf', sid, 'parts')));
    return all.map((raw) => JSON.parse(raw) as Participant).sort((a, b) => a.dateCreated - b.dateCreated || (a.callSid < b.callSid ? -1 : 1));
  }

  async sequence(sid: string): Promise<number> {
    return (await this.#guard('write', () => this.#redis.incr(this.#key('conf', sid, 'seq')))) - 1;
  }

  onEvent(listener: (event: RoomEvent) => void): void {
    this.#listeners.push(listener);
  }

  #key(...parts: string[]): string {
    return this.#p + parts.join(':');
  }
}
