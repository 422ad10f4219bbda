// The call store shared by several instances, on one Redis server (config `state`). Each instance
// keeps its own calls' records in memory (a MemoryCallStore: its truth, and what goes on while
// Redis is away) and writes them to Redis, where every instance reads them: GET and list answer for
// all instances' calls. Writes are coalesced per call (the latest record is what is written), so
// the pending writes of an outage are at most this instance's own records; they are flushed when
// Redis is back. Commands for a call go over pub/sub to the instance that runs it, which answers
// with the outcome. Heartbeats with a TTL tell the living; the first survivor to see one expired
// ends its calls, takes its queued callers out of line and its participants out of their rooms
// (redis-scripts.ts REAP, atomic). The queues and conferences live on the same connection
// (redis-queues.ts, redis-conferences.ts); joins are announced on <prefix>queue-joined, rooms'
// starts and ends on <prefix>conf-events.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import { DidmlError } from '../errors.js';
import type { Logger } from '../log.js';
import { stateErrors } from '../metrics.js';
import { CallRequestError, unavailable } from './errors.js';
import { MemoryCallStore, type Retention } from './memory.js';
import { DELETE, PUT, REAP } from './redis-scripts.js';
import { RedisQueueStore } from './redis-queues.js';
import { RedisConferenceStore } from './redis-conferences.js';
import { isEnded, matches, newestFirst, type CommandBody, type CallFilter, type CallRecord, type CallStore, type CommandHandler, type RecordPatch, type StoreHealth } from './types.js';

export interface StateConfig {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url: string;
  /** TLS for `rediss://`: files of the CA, client certificate and key; the name to check. */
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized?: boolean };
  keyPrefix: string;
  /** This instance's name in the shared state (default: host name, process id and a random part). */
  instanceId?: string;
  /** A heartbeat lives this long: an instance silent for longer is taken for dead and its calls are ended. */
  instanceTtlSeconds: number;
  /** How long a command waits for the instance that runs the call. */
  commandTimeoutMs: number;
  /** How long a write (and a Calls API create, which waits for its write) may take. */
  writeTimeoutMs: number;
  /** How long a caller claimed by another instance's call waits for that claim to be served before it is first in line again (default 10000). */
  claimLeaseMs?: number;
}

interface Wire {
  id: string;
  from: string;
  sid: string;
  type: 'command' | 'forget';
  command?: CommandBody;
}

interface Reply {
  id: string;
  record?: CallRecord;
  error?: { code: number; status: number; message: string };
}

type Scripted = Redis & {
  didmlPut(...args: (string | number)[]): Promise<number>;
  didmlReap(...args: (string | number)[]): Promise<(string | number)[]>;
  didmlDelete(...args: (string | number)[]): Promise<[string, string]>;
};

const BATCH = 200;
/** What ioredis and this store say before the cause of an outage is known. */
const GENERIC = new Set(['not connected yet', 'connection closed', 'Connection is closed.', 'connection lost']);

/** The connection options of a `state` section: the URL read here (nothing else of it reaches ioredis). */
export function redisOptions(config: StateConfig, source = 'state'): RedisOptions & { where: string } {
  let u: URL;
  try {
    u = new URL(config.url);
  } catch {
    throw new DidmlError('DIDML_CONFIG', `${source}.url "${config.url}" is not a URL: write redis://[user:password@]host[:port][/db], or rediss:// for TLS`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new DidmlError('DIDML_CONFIG', `${source}.url must start with redis:// or rediss:// (TLS), not ${u.protocol}//`);
  if (u.search) throw new DidmlError('DIDML_CONFIG', `${source}.url: query parameters (${u.search}) are not read; give TLS in state.tls and the database as the path (/0)`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new DidmlError('DIDML_CONFIG', `${source}.url: the path must be a database number (/0), not ${u.pathname}`);
  const tls = u.protocol === 'rediss:';
  if (config.tls && !tls) throw new DidmlError('DIDML_CONFIG', `${source}.tls is given but the URL is redis://: use rediss:// for TLS`);
  const file = (key: 'ca' | 'cert' | 'key') => {
    const path = config.tls?.[key];
    if (path === undefined) return {};
    try {
      return { [key]: readFileSync(path) };
    } catch (e) {
      throw new DidmlError('DIDML_CONFIG', `${source}.tls.${key}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(tls
      ? { tls: { servername: config.tls?.servername ?? host, ...(config.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}), ...file('ca'), ...file('cert'), ...file('key') } }
      : {}),
    where: `${u.protocol}//${u.host}${db ? `/${db}` : ''}`,
  };
}

export class RedisCallStore implements CallStore {
  readonly instanceId: string;
  readonly queues: RedisQueueStore;
  readonly conferences: RedisConferenceStore;
  readonly #o: StateConfig & Retention;
  readonly #log: Logger;
  readonly #where: string;
  readonly #local: MemoryCallStore;
  readonly #redis: Scripted;
  readonly #sub: Redis;
  readonly #p: string;
  /**
   * Records to be written, by sid, as they were last changed (so one that leaves the local retention
   * before it is written still is); the version tells a newer change made while writing.
   */
  readonly #dirty = new Map<string, { version: number; record: CallRecord }>();
  #version = 0;
  /** Durable adds waiting for their write. */
  readonly #written = new Map<string, (() => void)[]>();
  /** Commands sent, waiting for the owner's answer. */
  readonly #replies = new Map<string, { resolve(r: Reply): void; timer: NodeJS.Timeout }>();
  readonly #timers: NodeJS.Timeout[] = [];
  #commands: CommandHandler | undefined;
  #epoch: string | undefined;
  #down: { since: number; error: string } | undefined = { since: Date.now(), error: 'not connected yet' };
  #flushing: Promise<void> | undefined;
  #closed = false;
  #recovering = false;
  /** When this instance's heartbeat was last written. */
  #beat = 0;

  constructor(config: StateConfig & Retention, log: Logger) {
    this.#o = config;
    this.#p = config.keyPrefix;
    this.instanceId = config.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.#log = log.child({ instance: this.instanceId });
    this.#local = new MemoryCallStore({ ...config, instanceId: this.instanceId });
    const { where, ...connection } = redisOptions(config);
    this.#where = where;
    const options: RedisOptions = {
      ...connection,
      lazyConnect: true,
      connectTimeout: config.writeTimeoutMs,
      commandTimeout: config.writeTimeoutMs,
      // Reconnect for ever, at most a second apart: calls outlive an outage.
      retryStrategy: (times) => Math.min(times * 100, 1000),
    };
    // Nothing waits in ioredis's own queue: a write that cannot go now stays pending here (coalesced).
    this.#redis = new Redis({ ...options, enableOfflineQueue: false, maxRetriesPerRequest: 0 }) as Scripted;
    this.#redis.defineCommand('didmlPut', { numberOfKeys: 0, lua: PUT });
    this.#redis.defineCommand('didmlReap', { numberOfKeys: 0, lua: REAP });
    this.#redis.defineCommand('didmlDelete', { numberOfKeys: 0, lua: DELETE });
    this.#sub = new Redis({ ...options, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.queues = new RedisQueueStore(this.#redis, this.#p, (operation, run) => this.#call(operation, run), {
      leaseMs: config.claimLeaseMs ?? 10_000,
      partnerCheckMs: (config.instanceTtlSeconds * 1000) / 3,
    });
    this.conferences = new RedisConferenceStore(this.#redis, this.#p, (operation, run) => this.#call(operation, run), config);
  }

  get #ready(): boolean {
    return this.#redis.status === 'ready' && !this.#closed;
  }

  async start(commands: CommandHandler): Promise<void> {
    this.#commands = commands;
    let lastError = '';
    this.#redis.on('error', (e: Error) => {
      lastError = e.message;
      this.#lost(e, 'connect');
    });
    this.#redis.on('close', () => this.#lost(new Error('connection closed'), 'connect'));
    this.#redis.on('ready', () => void this.#back());
    this.#sub.on('error', (e: Error) => this.#log.debug('state subscriber error', { error: e.message }));
    this.#sub.on('message', (channel: string, text: string) => void this.#message(channel, text));
    const connected = await Promise.allSettled([this.#redis.connect(), this.#sub.connect()]);
    const failed = connected.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) {
      // ioredis says "Connection is closed"; why is in the error event before it (WRONGPASS...).
      const message = lastError || String((failed.reason as Error)?.message ?? failed.reason);
      // Wrong credentials will not get better by waiting: refuse to start, saying which.
      if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(message)) {
        await this.#quit();
        throw new DidmlError('DIDML_CONFIG', `state.url: Redis at ${this.#where} refused the credentials (${message}); give them as redis://user:password@host`);
      }
      this.#log.warn('state store unreachable at start: calls run, the shared state waits (see /health)', { redis: this.#where, error: message });
    }
    void this.#sub.subscribe(this.#channel('cmd', this.instanceId), this.#channel('reply', this.instanceId), this.#joinedChannel, this.conferences.channel).catch((e: Error) => this.#log.debug('subscribe failed (retried on reconnect)', { error: e.message }));
    const tick = (this.#o.instanceTtlSeconds * 1000) / 3;
    const every = (ms: number, f: () => Promise<unknown>, operation: string) => {
      const t = setInterval(() => void f().catch(() => stateErrors.inc({ operation })), ms);
      t.unref();
      this.#timers.push(t);
    };
    every(tick, () => this.#heartbeat(), 'heartbeat');
    every(tick, () => this.#reap(), 'reap');
    // A flush that failed mid-way (or a reconnection that did not finish) is retried even when no change comes to start one.
    every(1000, async () => (this.#down && this.#ready ? this.#back() : this.#schedule()), 'write');
  }

  async add(record: CallRecord, o: { durable?: boolean } = {}): Promise<void> {
    // Kept here at once (synchronously), so the call's later changes apply to it whatever Redis does.
    this.#local.put({ ...record, instance: this.instanceId });
    const written = o.durable ? this.#whenWritten(record.sid) : undefined;
    this.#pending(this.#local.owned(record.sid)!);
    if (!written) return;
    try {
      await written;
    } catch (e) {
      // Not placed: its record says so (written once Redis is back), and the call never runs.
      this.update(record.sid, { status: 'failed', endReason: 'not placed: the shared state could not be written', endTime: Date.now(), startTime: Date.now(), duration: 0 });
      throw e;
    }
  }

  update(sid: string, patch: RecordPatch): void {
    const changed = this.#local.patch(sid, patch);
    if (changed) this.#pending({ ...changed });
  }

  #pending(record: CallRecord): void {
    // Latest change last, so the oldest pending writes come first.
    this.#dirty.delete(record.sid);
    this.#dirty.set(record.sid, { version: ++this.#version, record });
    // Bounded through a long outage: beyond the live calls and calls.keepEnded, the oldest ended
    // records go, the ones Redis would trim on arrival anyway.
    for (const [sid, { record: r }] of this.#dirty) {
      if (this.#dirty.size <= this.#local.live + this.#o.keepEnded) break;
      if (isEnded(r.status)) this.#dirty.delete(sid);
    }
    this.#schedule();
  }

  owned(sid: string): CallRecord | undefined {
    return this.#local.owned(sid);
  }

  async get(sid: string): Promise<CallRecord | undefined> {
    const mine = this.#local.owned(sid);
    if (mine) return mine;
    const raw = await this.#call('read', () => this.#redis.get(this.#key('call', sid)));
    return raw ? (JSON.parse(raw) as CallRecord) : undefined;
  }

  async list(filter: CallFilter = {}): Promise<CallRecord[]> {
    const [live, ended] = await this.#call('read', async () => {
      const r = await this.#redis.pipeline().zrevrange(this.#key('calls:live'), 0, -1).zrevrange(this.#key('calls:ended'), 0, -1).exec();
      for (const [e] of r ?? []) if (e) throw e;
      return (r ?? []).map(([, v]) => v as string[]);
    });
    const sids = [...new Set([...(live ?? []), ...(ended ?? [])])];
    const bySid = new Map<string, CallRecord>();
    for (let i = 0; i < sids.length; i += 500) {
      const chunk = sids.slice(i, i + 500);
      const raws = await this.#call('read', () => this.#redis.mget(...chunk.map((s) => this.#key('call', s))));
      raws.forEach((raw) => {
        if (raw) {
          const r = JSON.parse(raw) as CallRecord;
          bySid.set(r.sid, r);
        }
      });
    }
    // This instance's own records are the freshest, and the ones still to be written are listed too.
    for (const r of this.#local.records()) if (bySid.has(r.sid)) bySid.set(r.sid, r);
    for (const { record } of this.#dirty.values()) bySid.set(record.sid, record);
    return [...bySid.values()].filter((r) => matches(r, filter)).sort(newestFirst);
  }

  async delete(sid: string): Promise<'deleted' | 'live' | 'unknown'> {
    const mine = this.#local.owned(sid);
    if (mine && !isEnded(mine.status)) return 'live';
    const [outcome, owner] = await this.#call('delete', () => this.#redis.didmlDelete(this.#p, sid));
    const local = this.#local.remove(sid);
    this.#dirty.delete(sid);
    // The owner keeps a copy too: it forgets it (best effort; it keeps it for keepEndedSeconds at most).
    if (owner && owner !== this.instanceId) void this.#publish('cmd', owner, { id: '', from: this.instanceId, sid, type: 'forget' }).catch(() => undefined);
    return outcome === 'unknown' && local === 'deleted' ? 'deleted' : (outcome as 'deleted' | 'live' | 'unknown');
  }

  async command(sid: string, command: CommandBody, known?: string): Promise<CallRecord> {
    const mine = this.#local.owned(sid);
    if (mine) return this.#handle(sid, command);
    const record = known ? undefined : await this.get(sid);
    if (!known && !record) throw new CallRequestError(20404, 404, `The requested resource /Calls/${sid}.json was not found`);
    const owner = known ?? record?.instance;
    if (!owner) throw unavailable(`call ${sid} has no instance that runs it in the shared state`);
    const id = randomBytes(8).toString('hex');
    const reply = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.#replies.delete(id);
        stateErrors.inc({ operation: 'command' });
        resolve({ id, error: { code: 20503, status: 503, message: `instance ${owner}, which runs call ${sid}, did not answer within ${this.#o.commandTimeoutMs} ms; try again` } });
      }, this.#o.commandTimeoutMs);
      this.#replies.set(id, { resolve, timer });
    });
    let receivers: number;
    try {
      receivers = await this.#publish('cmd', owner, { id, from: this.instanceId, sid, type: 'command', command });
    } catch (e) {
      this.#settle({ id });
      throw e;
    }
    if (receivers === 0) {
      this.#settle({ id });
      throw unavailable(`instance ${owner}, which runs call ${sid}, is not connected to the shared state; if it stopped, its calls are ended within state.instanceTtlSeconds (${this.#o.instanceTtlSeconds} s)`);
    }
    const r = await reply;
    if (r.error) throw new CallRequestError(r.error.code, r.error.status, r.error.message);
    return r.record!;
  }

  health(): StoreHealth {
    const base = { backend: 'redis' as const, instanceId: this.instanceId, pendingWrites: this.#dirty.size };
    // The main connection first: it is what writes, and the subscription often notices an outage first.
    if (!this.#ready) this.#lost(new Error('connection lost'));
    if (this.#down) {
      return { ...base, status: 'degraded', reason: `Redis at ${this.#where} unreachable since ${new Date(this.#down.since).toISOString()} (${this.#down.error}): calls go on, their records are written once it is back; calls cannot be placed, listed or steered across instances meanwhile` };
    }
    if (this.#sub.status !== 'ready') return { ...base, status: 'degraded', reason: `the subscription for commands from other instances is down (Redis at ${this.#where}); it reconnects` };
    return { ...base, status: 'ok' };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // The calls have ended by now (the runtime ends them first): write their last records, then leave.
    if (this.#redis.status === 'ready') {
      await Promise.race([this.#flushAll(), new Promise((ok) => setTimeout(ok, this.#o.writeTimeoutMs).unref())]);
      if (this.#local.live === 0) {
        await this.#redis
          .multi()
          .del(this.#key('instance', this.instanceId))
          .srem(this.#key('instances'), this.instanceId)
          .exec()
          .catch(() => undefined);
      }
    }
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    for (const [id] of this.#replies) this.#settle({ id, error: { code: 20503, status: 503, message: 'this instance is shutting down' } });
    await this.#quit();
  }

  async #quit(): Promise<void> {
    this.#closed = true;
    // QUIT only on a live connection (queued on a dead one, it would wait for Redis), and not for ever.
    const quit = (r: Redis) => (r.status === 'ready' ? Promise.race([r.quit(), new Promise((ok) => setTimeout(ok, this.#o.writeTimeoutMs).unref())]) : undefined);
    await Promise.allSettled([quit(this.#redis), quit(this.#sub)]);
    this.#redis.disconnect();
    this.#sub.disconnect();
  }

  #key(...parts: string[]): string {
    return this.#p + parts.join(':');
  }

  #channel(kind: 'cmd' | 'reply', id: string): string {
    return `${this.#p}${kind}:${id}`;
  }

  /** Where a join to a queue is announced (its name), to every instance. */
  get #joinedChannel(): string {
    return `${this.#p}queue-joined`;
  }

  /** A read or an immediate write: when Redis cannot be reached, Twilio's 20503 saying so. */
  async #call<T>(operation: 'read' | 'write' | 'delete' | 'command', run: () => Promise<T>): Promise<T> {
    if (!this.#ready) {
      stateErrors.inc({ operation });
      throw unavailable(this.#unreachable());
    }
    try {
      return await run();
    } catch (e) {
      if (e instanceof CallRequestError) throw e;
      this.#lost(e as Error, operation);
      throw unavailable(this.#unreachable());
    }
  }

  #unreachable(): string {
    return `the shared call state (Redis at ${this.#where}) cannot be reached${this.#down ? ` (${this.#down.error})` : ''}; try again`;
  }

  async #publish(kind: 'cmd' | 'reply', to: string, message: Wire | Reply): Promise<number> {
    return this.#call('command', () => this.#redis.publish(this.#channel(kind, to), JSON.stringify(message)));
  }

  /** Redis failed (counted under `operation` in didml_state_errors_total): degraded until it is back. */
  #lost(e: Error, operation?: string): void {
    if (this.#closed) return;
    if (operation) stateErrors.inc({ operation });
    if (!this.#down) {
      this.#down = { since: Date.now(), error: e.message || 'connection lost' };
      this.#log.warn('state store unreachable: calls go on, writes are kept until it is back', { redis: this.#where, error: this.#down.error, pendingWrites: this.#dirty.size });
    } else if (e.message && GENERIC.has(this.#down.error)) this.#down.error = e.message; // the cause, once known (ECONNREFUSED, a certificate...)
  }

  /** Connected (again): heartbeat first (so nobody reaps this instance), then what Redis lacks. */
  async #back(): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    void this.#heartbeat().catch(() => undefined);
    try {
      const epoch = await this.#redis.get(this.#key('epoch'));
      const fresh = randomBytes(8).toString('hex');
      const current = epoch ?? ((await this.#redis.set(this.#key('epoch'), fresh, 'NX')) === 'OK' ? fresh : await this.#redis.get(this.#key('epoch')));
      // Redis lost its data (restarted without persistence): every record this instance keeps goes back;
      // otherwise its live calls' records are written again, whatever was missed.
      const lostData = this.#epoch !== undefined && current !== this.#epoch;
      this.#epoch = current ?? undefined;
      for (const r of this.#local.records()) if ((lostData || !isEnded(r.status)) && !this.#dirty.has(r.sid)) this.#dirty.set(r.sid, { version: ++this.#version, record: r });
      await this.#flushAll();
      const was = this.#down;
      this.#down = undefined;
      if (was) this.#log.info('state store reachable again: records written', { redis: this.#where, downSeconds: Math.round((Date.now() - was.since) / 1000), redisLostData: lostData });
    } catch (e) {
      this.#lost(e as Error, 'write');
    } finally {
      this.#recovering = false;
    }
  }

  async #heartbeat(): Promise<void> {
    if (!this.#ready) return;
    const result = await this.#redis
      .multi()
      .set(this.#key('instance', this.instanceId), String(Date.now()), 'PX', this.#o.instanceTtlSeconds * 1000)
      .sadd(this.#key('instances'), this.instanceId)
      .exec();
    this.#beat = Date.now();
    if (result?.[1]?.[1] === 1 && this.#epoch !== undefined) this.#rejoined();
  }

  async #reap(): Promise<void> {
    if (!this.#ready) return;
    // A reaper that was itself stalled or cut off (its own heartbeat late) may see others' expire
    // only because everyone in this process stalled: it beats first and reaps next time.
    if (Date.now() - this.#beat > (this.#o.instanceTtlSeconds * 1000) / 2) return this.#heartbeat();
    const out = await this.#redis.didmlReap(this.#p, this.instanceId, Date.now(), this.#o.keepEnded, this.#o.keepEndedSeconds * 1000);
    for (let i = 0; i < out.length; i += 4) {
      this.#log.warn('instance stopped responding: its live calls are marked ended', { stopped: String(out[i]), calls: Number(out[i + 1]), queued: Number(out[i + 2]), conferenceParticipants: Number(out[i + 3]), ttlSeconds: this.#o.instanceTtlSeconds });
    }
  }

  #whenWritten(sid: string): Promise<void> {
    if (!this.#ready) return Promise.reject(unavailable(`${this.#unreachable().replace(/; try again$/, '')}: the call was not placed; try again`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.#written.get(sid);
        if (list) list.splice(list.indexOf(done), 1);
        reject(unavailable(`${this.#unreachable().replace(/; try again$/, '')} within ${this.#o.writeTimeoutMs} ms: the call was not placed; try again`));
      }, this.#o.writeTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#written.set(sid, [...(this.#written.get(sid) ?? []), done]);
    });
  }

  #schedule(): void {
    if (this.#flushing || !this.#ready || this.#down || this.#dirty.size === 0) return;
    this.#flushing = this.#flush()
      .catch((e: unknown) => this.#lost(e as Error, 'write'))
      .finally(() => {
        this.#flushing = undefined;
        if (this.#dirty.size > 0) setImmediate(() => this.#schedule());
      });
  }

  async #flushAll(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    while (this.#dirty.size > 0 && this.#ready) await this.#flush();
  }

  /** Writes a batch of pending records, each as one atomic script; what fails stays pending. */
  async #flush(): Promise<void> {
    const batch = [...this.#dirty].slice(0, BATCH);
    const pipe = this.#redis.pipeline() as unknown as Record<'didmlPut', (...a: (string | number)[]) => void> & { exec(): Promise<[Error | null, unknown][] | null> };
    const sent: [string, number][] = [];
    const now = Date.now();
    for (const [sid, { version, record: r }] of batch) {
      const ended = isEnded(r.status);
      pipe.didmlPut(this.#p, sid, JSON.stringify(r), ended ? 1 : 0, r.dateCreated, r.endTime ?? now, this.instanceId, now, this.#o.keepEnded, this.#o.keepEndedSeconds * 1000, this.#o.instanceTtlSeconds * 1000);
      sent.push([sid, version]);
    }
    if (sent.length === 0) return;
    const results = (await pipe.exec()) ?? [];
    let failure: Error | undefined;
    let rejoined = false;
    sent.forEach(([sid, version], i) => {
      const [error, added] = results[i] ?? [new Error('no reply')];
      if (error) {
        failure ??= error;
        return;
      }
      if (added === 1) rejoined = true;
      if (this.#dirty.get(sid)?.version === version) this.#dirty.delete(sid);
      for (const done of this.#written.get(sid) ?? []) done();
      this.#written.delete(sid);
    });
    if (rejoined) this.#rejoined();
    if (failure) throw failure;
  }

  /**
   * This instance was taken for dead (its heartbeat expired: a long stall, a partition) and a
   * survivor ended its calls in Redis; they are still running here, so their records go back.
   */
  #rejoined(): void {
    const live = this.#local.records().filter((r) => !isEnded(r.status));
    if (live.length === 0) return;
    this.#log.warn('this instance was taken for dead (its heartbeat expired) and its calls were ended in the shared state: writing its live calls again', { calls: live.length });
    for (const r of live) this.#pending(r);
  }

  async #message(channel: string, text: string): Promise<void> {
    if (channel === this.#joinedChannel) return this.queues.joined(text);
    if (channel === this.conferences.channel) return this.conferences.published(text);
    let message: Wire & Reply;
    try {
      message = JSON.parse(text) as Wire & Reply;
    } catch {
      return this.#log.warn('a message on the state channel is not JSON: ignored', { channel });
    }
    if (channel === this.#channel('reply', this.instanceId)) return this.#settle(message);
    if (message.type === 'forget') {
      this.#local.remove(message.sid);
      this.#dirty.delete(message.sid);
      return;
    }
    let reply: Reply;
    try {
      reply = { id: message.id, record: await this.#handle(message.sid, message.command ?? {}) };
    } catch (e) {
      const err = e instanceof CallRequestError ? e : new CallRequestError(20500, 500, 'internal error in didml; the log of the instance that runs the call has the details');
      if (!(e instanceof CallRequestError)) this.#log.error('command failed', { callSid: message.sid, error: String(e) });
      reply = { id: message.id, error: { code: err.code, status: err.status, message: err.message } };
    }
    await this.#publish('reply', message.from, reply).catch((e: Error) => this.#log.warn('could not answer a command (the sender times out)', { callSid: message.sid, error: e.message }));
  }

  #handle(sid: string, command: CommandBody): Promise<CallRecord> {
    if (!this.#commands) return Promise.reject(new CallRequestError(20500, 500, 'the call store was not started'));
    return this.#commands(sid, command);
  }

  #settle(reply: Reply): void {
    const waiting = this.#replies.get(reply.id);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.#replies.delete(reply.id);
    waiting.resolve(reply);
  }
}
