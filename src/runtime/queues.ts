// Call queues shared by the calls of a runtime: <Enqueue> puts a caller in line, <Dial><Queue>
// (DIDML: <Queue>) takes the first in line and bridges to it. Twilio creates a queue on first use,
// with a default maximum of 100 callers (reference §1.2 <Enqueue>).
//
// The line itself (order, enqueue times, statistics) is a QueueStore (src/state/queues.ts): in
// process by default, or in Redis shared by several instances. What stays here is what only the
// instance that runs a call can hold: its leg, and the promise its <Enqueue> waits on.
//
// Across instances (a caller enqueued on A, taken by an agent's call on B), B claims the front of
// the line atomically in Redis, for a lease (state.claimLeaseMs), then the two instances talk
// through the call store's command channel, each message addressed to a call and delivered to the
// instance that runs it:
//   B → caller   claim    A checks its caller still waits and serves the claim in Redis (out of
//                         line, atomically: a <Leave> or a hangup that got there first wins, and so
//                         does a lapsed lease); its <Enqueue> was taken: its wait document stops.
//                         No answer (lost, late): B asks Redis, which says once for all whether A
//                         served it (B bridges) or not (the claim is void; B takes the next)
//   B → caller   prepare  (<Queue url>) A runs that document on its caller, then
//   A → agent    ready    says whether the caller is still there
//   A → agent    gone     the caller hung up (at any time after the claim): B's bridge ends
//   B → caller   done     the bridge is over (who ended it, how long), or failed: A's <Enqueue> goes on
//   A → agent    check    (every third of state.instanceTtlSeconds while bridged) is the bridge still
//                         B's? No, or B's heartbeat expired: the bridge is over for A's caller too
// A claim never served (B died after taking the front, or its message was lost) lapses: the caller
// is first in line again, with its enqueue time. B bridges its agent with a RemoteCallLeg standing
// for the caller: how that bridge is made is the backend's (see remote-leg.ts and README "Queues
// across instances").
import { randomUUID } from 'node:crypto';
import type { BridgeResult, CallLeg } from '../telephony/adapter.js';
import type { Clock } from '../clock.js';
import type { HttpMethod } from '../webhook/types.js';
import { CallRequestError } from '../state/errors.js';
import { MemoryQueueStore, type QueueEntry, type QueueStore, type Reach } from '../state/queues.js';
import { RemoteCallLeg } from './remote-leg.js';

export const DEFAULT_MAX_QUEUE_SIZE = 100;

/** How a bridge with a dequeued caller ended; `error` when it could not be made. */
export type BridgeEnd = BridgeResult & { error?: string };

/** What the call that takes a caller from the queue hands it: its sid and the bridge to wait on. */
export interface Taker {
  callSid: string;
  bridged: Promise<BridgeEnd>;
}

/** A document run on a caller before its bridge (<Queue url>), with QueueSid, QueueTime, DequeingCallSid. */
export interface CallerDocument {
  url: string;
  method: HttpMethod;
  params: Record<string, string>;
}

/** A caller of this instance in line: made by its <Enqueue>. */
export interface QueueMember {
  callSid: string;
  leg: CallLeg;
  /** The waiting call's parties (for a `<Queue url>` document run on it). */
  from: string;
  to: string;
  enqueuedAt: number;
  /** Called once, by the call that takes this member. */
  take(taker: Taker): void;
  /** Runs a `<Queue url>` document on this caller in its own call (asked by a call on another instance). */
  runDocument(doc: CallerDocument): Promise<void>;
}

/** A caller taken from the line, for the call that took it to bridge with. */
export interface Dequeued {
  callSid: string;
  from: string;
  to: string;
  enqueuedAt: number;
  /** The caller's leg: its own when this instance runs it, else a RemoteCallLeg. */
  leg: CallLeg;
  /** Tells the caller's <Enqueue> who took it; it waits on `bridged`. */
  take(taker: Taker): void;
  /** The caller is no one to bridge any more (hung up, or moved on with new instructions as it was taken). */
  gone(): boolean;
  /** A caller of another instance: runs the `<Queue url>` document there (absent: run it here, on `leg`). */
  remoteDocument?: (doc: CallerDocument, signal: AbortSignal) => Promise<void>;
}

/** The messages of the table above; `caller` is the queued call's sid. */
export type QueueMessage =
  /** `instance`: the taker's, where the answers go; `claim` and `queue`: what the caller's instance serves. */
  | { op: 'claim'; caller: string; by: string; instance?: string; claim?: string; queue?: string }
  | { op: 'prepare'; caller: string; by: string; doc: CallerDocument }
  | { op: 'ready'; caller: string; gone: boolean }
  | { op: 'gone'; caller: string }
  | { op: 'done'; caller: string; result: BridgeEnd }
  /** To the taker's call: is the bridge with `caller` under this claim still on? (refused: it is over) */
  | { op: 'check'; caller: string; claim: string };

const OPS = new Set<string>(['claim', 'prepare', 'ready', 'gone', 'done', 'check']);

/** Delivers a message to the instance that runs call `sid` (`owner`, when known); rejects when it cannot. */
export type QueueSend = (sid: string, message: QueueMessage, owner?: string) => Promise<void>;

export interface QueuesOptions {
  /** Where the lines are (default: in process). */
  store?: QueueStore;
  /** This instance's id in the store (default `local`). */
  instanceId?: string;
  /** How messages reach the calls of other instances (none: every caller is this instance's). */
  send?: QueueSend;
  /** Told what went wrong between instances (a message that could not be delivered). */
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

/** What a caller's <Enqueue> is told when it stops waiting: out of line, or taken by a call (which it then waits on). */
export type Left = 'left' | 'taken';

/** What `join` and `take` answer when the shared state cannot be reached. */
export const UNAVAILABLE = 'unavailable';

interface Waiting {
  name: string;
  sid: string;
  member: QueueMember;
  /** Taken by a call (of any instance): it is out of line. */
  taken: boolean;
  /** Its <Enqueue> is over (left, hung up, redirected): no claim is served any more. */
  leaving: boolean;
  /** A claim being served in the store: a leave that finds the caller out of line waits for it to know who won. */
  serving?: Promise<boolean>;
  /** Taken, but gone by the time the taker bridges (it moved on with new instructions). */
  withdrawn: boolean;
}

/** A caller of another instance this instance's call took: its stand-in leg, the claim, and the `ready` awaited. */
interface Claimed {
  leg: RemoteCallLeg;
  instance: string;
  claim: string;
  ready?: (present: boolean) => void;
}

/** A caller of this instance taken by a call of another one (or, `instance` undefined, of an older didml). */
interface Bridging {
  by: string;
  instance: string | undefined;
  claim: string | undefined;
  member: QueueMember;
  /** When it was taken (the runtime's clock). */
  since: number;
  settle(r: BridgeEnd): void;
}

export class Queues {
  readonly #store: QueueStore;
  readonly #clock: Clock;
  /** The time of the shared line (the entries' enqueue times, the statistics): the store's, or the runtime's. */
  readonly #shared: () => number;
  readonly #newSid: () => string;
  readonly #instance: string;
  readonly #send: QueueSend | undefined;
  readonly #warn: (message: string, fields: Record<string, unknown>) => void;
  /** This instance's callers in line (or taken, until their <Enqueue> is over), by call sid. */
  readonly #members = new Map<string, Waiting>();
  /** Takers waiting for someone to join, by queue name: each looks at the line again when woken. */
  readonly #takers = new Map<string, Set<() => void>>();
  /** Callers of other instances taken by this instance's calls, by call sid. */
  readonly #claimed = new Map<string, Claimed>();
  /** Bridges this instance's callers wait on, taken by calls of other instances, by caller sid. */
  readonly #bridging = new Map<string, Bridging>();
  /** This instance's callers taken by its own calls, for `withdraw`. */
  readonly #withdrawable = new WeakMap<QueueMember, Waiting>();
  /** Cancels the next look at the partners of the bridges across instances (none: nothing to watch). */
  #watching: (() => void) | undefined;

  constructor(clock: Clock, newSid: () => string, o: QueuesOptions = {}) {
    this.#clock = clock;
    this.#newSid = newSid;
    this.#store = o.store ?? new MemoryQueueStore(() => clock.now());
    this.#shared = this.#store.clock ?? (() => clock.now());
    this.#instance = o.instanceId ?? 'local';
    this.#send = o.send;
    this.#warn = o.warn ?? (() => undefined);
    this.#store.onJoin((name) => {
      for (const wake of [...(this.#takers.get(name) ?? [])]) wake();
    });
  }

  /** The lines' shared side (the Queues and Members REST resources read it). */
  get store(): QueueStore {
    return this.#store;
  }

  /** Puts a caller in line; 'full' when the line is at its maximum. */
  async join(name: string, member: QueueMember, maxSize: number): Promise<{ sid: string } | 'full' | typeof UNAVAILABLE> {
    const waiting: Waiting = { name, sid: '', member, taken: false, leaving: false, withdrawn: false };
    // Known before the line holds it: a taker may claim it the moment it is there.
    this.#members.set(member.callSid, waiting);
    const media = member.leg.mediaChannel;
    const enqueuedAt = Math.round(this.#shared() - (this.#clock.now() - member.enqueuedAt));
    const entry: QueueEntry = { callSid: member.callSid, instance: this.#instance, enqueuedAt, from: member.from, to: member.to, ...(media ? { media } : {}) };
    let joined: { sid: string } | 'full';
    try {
      joined = await this.#store.join(name, entry, maxSize, this.#newSid);
    } catch (e) {
      this.#members.delete(member.callSid);
      this.#warn('the queue could not be joined: the shared state cannot be reached', { queue: name, callSid: member.callSid, error: String(e) });
      return UNAVAILABLE;
    }
    if (joined === 'full') this.#members.delete(member.callSid);
    else waiting.sid = joined.sid;
    return joined;
  }

  /**
   * The caller's <Enqueue> stops waiting (a <Leave>, a hangup, a redirect): out of line if it still
   * was. `taken` when a call's claim got there first (the store decides, atomically): then its
   * <Enqueue> goes on to that bridge, never to both.
   */
  async leave(name: string, member: QueueMember): Promise<Left> {
    const w = this.#members.get(member.callSid);
    if (w?.member !== member) return 'left';
    w.leaving = true;
    if (!w.taken) {
      const left = await this.#store.leave(name, member.callSid, this.#shared()).catch((e: unknown) => {
        // The reap of this instance, or its next start, cannot help here: say it.
        this.#warn('a caller could not be taken out of the shared queue (it will be refused when taken)', { queue: name, callSid: member.callSid, error: String(e) });
        return true;
      });
      // Not in line: a claim being served took it (or the Members API, or the reap): which one?
      if (!left && w.serving) await w.serving;
    }
    if (this.#members.get(member.callSid) === w) this.#members.delete(member.callSid);
    return w.taken ? 'taken' : 'left';
  }

  /**
   * The caller's call moved on (new instructions) as it was taken: the taker finds no one, and a
   * bridge across instances is told the caller is gone.
   */
  withdraw(member: QueueMember): void {
    const b = this.#bridging.get(member.callSid);
    if (b?.member === member) {
      void this.#tell(b.by, { op: 'gone', caller: member.callSid }, b.instance);
      b.settle({ endedBy: 'other', duration: 0 });
    }
    const w = this.#withdrawable.get(member);
    if (w) w.withdrawn = true;
  }

  /**
   * The first caller in line that the taker's leg can bridge (its `remoteBridge`: a signalling-only
   * leg only this instance's callers), waiting up to `timeoutMs` for one to join; undefined if none came.
   */
  async take(name: string, timeoutMs: number, signal: AbortSignal, by: string, leg?: Pick<CallLeg, 'remoteBridge'>): Promise<Dequeued | undefined | typeof UNAVAILABLE> {
    const reach: Reach = { instance: this.#instance, others: this.#send ? (leg?.remoteBridge ?? 'none') : 'none' };
    let over = false;
    let wake: () => void = () => undefined;
    const cancel = this.#clock.timer(timeoutMs, () => {
      over = true;
      wake();
    });
    const onAbort = () => wake();
    signal.addEventListener('abort', onAbort, { once: true });
    const takers = this.#takers.get(name) ?? new Set<() => void>();
    this.#takers.set(name, takers);
    try {
      while (!over && !signal.aborted) {
        // Listening before looking, so a caller who joins meanwhile is not missed.
        const woken = new Promise<void>((resolve) => (wake = resolve));
        takers.add(wake);
        const claim = randomUUID();
        let entry: QueueEntry | undefined;
        try {
          entry = await this.#store.front(name, this.#shared(), reach, claim);
        } catch (e) {
          this.#warn('the queue could not be read: the shared state cannot be reached', { queue: name, error: String(e) });
          return UNAVAILABLE;
        }
        if (entry) {
          takers.delete(wake);
          const taken = await this.#claim(name, entry, by, claim);
          if (taken) return taken;
          continue; // gone meanwhile: the next in line
        }
        // Across instances a claimed caller's lease may lapse, with no join to announce it: look again then.
        const lapse = this.#store.partnerCheckMs === undefined ? () => undefined : this.#clock.timer(this.#store.leaseMs, () => wake());
        await woken;
        lapse();
        takers.delete(wake);
      }
      return undefined;
    } finally {
      cancel();
      signal.removeEventListener('abort', onAbort);
      takers.delete(wake);
      if (takers.size === 0) this.#takers.delete(name);
    }
  }

  /** What the wait document is told (SignalWire enqueue.mdx, Twilio-compatible names), whichever instance holds the line. */
  async status(name: string, member: QueueMember): Promise<Record<string, string>> {
    const QueueTime = String(Math.round((this.#clock.now() - member.enqueuedAt) / 1000));
    try {
      const s = await this.#store.status(name, member.callSid, this.#newSid);
      return { QueueSid: s.sid, QueuePosition: String(s.position), QueueTime, AvgQueueTime: String(s.averageWaitTime), CurrentQueueSize: String(s.size) };
    } catch {
      // Unknown while the shared state is away: the wait document still gets what this instance knows.
      return { QueueSid: this.#members.get(member.callSid)?.sid ?? '', QueueTime };
    }
  }

  async sidOf(name: string): Promise<string> {
    return this.#store.sid(name, this.#newSid).catch(() => '');
  }

  /** A message for call `sid` of this instance, from a call of another instance (or this one). */
  async receive(sid: string, m: QueueMessage): Promise<void> {
    // From another process: a message of another shape (another version of didml) is refused, never half-applied.
    if (
      !m ||
      typeof m !== 'object' ||
      !OPS.has(m.op) ||
      typeof m.caller !== 'string' ||
      (m.op === 'done' && typeof m.result?.endedBy !== 'string') ||
      (m.op === 'check' && typeof m.claim !== 'string')
    ) {
      throw new CallRequestError(20500, 400, `not a queue message this instance understands: ${JSON.stringify(m)?.slice(0, 200)}`);
    }
    if (m.op === 'claim') return this.#claimed_(sid, m);
    if (m.op === 'prepare') {
      const bridging = this.#bridging.get(sid);
      const member = bridging?.member;
      if (!member) throw new CallRequestError(20404, 404, `call ${sid} was not taken from a queue on this instance`);
      void member
        .runDocument(m.doc)
        .catch((e: unknown) => this.#warn('the <Queue url> document failed on the caller', { callSid: sid, error: String(e) }))
        .then(() => this.#tell(m.by, { op: 'ready', caller: sid, gone: member.leg.isEnded }, bridging.instance));
      return;
    }
    if (m.op === 'done') {
      this.#bridging.get(sid)?.settle(m.result);
      return;
    }
    const c = this.#claimed.get(m.caller);
    if (m.op === 'check') {
      if (c?.claim !== m.claim) throw new CallRequestError(20404, 404, `call ${sid} is not bridged with ${m.caller} any more`);
      return;
    }
    if (!c) return;
    if (m.op === 'gone') {
      c.leg.end('the caller hung up');
      c.ready?.(false);
    } else c.ready?.(!m.gone);
  }

  /**
   * Serves claim `claim` on this instance's caller: the store says, atomically, whether it still
   * holds (the caller did not leave first, the lease did not lapse). Once served it is taken.
   */
  async #accept(w: Waiting, claim: string): Promise<boolean> {
    if (w.taken || w.leaving || w.member.leg.isEnded) return false;
    const { name, member } = w;
    const serving = this.#store.serve(name, member.callSid, claim, this.#shared()).catch(async (e: unknown) => {
      // No answer: whether it was served is asked once more, and a claim that was not is void for good.
      this.#warn('a claim on a queued caller could not be served: asking the shared state whether it was', { queue: name, callSid: member.callSid, error: String(e) });
      return (await this.#store.release(name, member.callSid, claim).catch(() => 'released')) === 'served';
    }).then((served) => {
      if (served) w.taken = true;
      return served;
    });
    w.serving = serving;
    const served = await serving;
    if (w.serving === serving) delete w.serving;
    return served;
  }

  /** Takes an entry off the front: this instance's own caller at once, another's by claiming it from its instance. */
  async #claim(name: string, entry: QueueEntry, by: string, claim: string): Promise<Dequeued | undefined> {
    const enqueuedAt = this.#clock.now() - (this.#shared() - entry.enqueuedAt);
    if (entry.instance === this.#instance) {
      const w = this.#members.get(entry.callSid);
      if (!w) {
        // Its <Enqueue> is over and the line still has it (its leave could not reach the store): out for good.
        await this.#store.remove(name, entry.callSid, this.#shared()).catch(() => undefined);
        return undefined;
      }
      if (!(await this.#accept(w, claim))) return undefined;
      const m = w.member;
      this.#withdrawable.set(m, w);
      return { callSid: m.callSid, from: m.from, to: m.to, enqueuedAt: m.enqueuedAt, leg: m.leg, take: (t) => m.take(t), gone: () => m.leg.isEnded || w.withdrawn };
    }
    const send = this.#send;
    if (!send) return undefined;
    const claimed: Claimed = { leg: new RemoteCallLeg(entry.callSid, entry.instance, entry.media), instance: entry.instance, claim };
    this.#claimed.set(entry.callSid, claimed);
    try {
      await send(entry.callSid, { op: 'claim', caller: entry.callSid, by, instance: this.#instance, claim, queue: name }, entry.instance);
    } catch (e) {
      // Refused (it left, hung up, the lease lapsed): the next in line. No answer: the store says
      // whether the caller's instance served the claim (then the bridge is on) or not (then never).
      const refused = e instanceof CallRequestError && e.status === 404;
      const outcome = refused ? 'released' : await this.#store.release(name, entry.callSid, claim).catch(() => 'released' as const);
      if (outcome !== 'served') {
        this.#claimed.delete(entry.callSid);
        this.#warn('a caller taken from the queue could not be claimed from its instance: the next in line is taken', { queue: name, callSid: entry.callSid, instance: entry.instance, error: String(e) });
        return undefined;
      }
    }
    this.#watch();
    return {
      callSid: entry.callSid,
      from: entry.from,
      to: entry.to,
      enqueuedAt,
      leg: claimed.leg,
      gone: () => claimed.leg.isEnded,
      take: (taker) => {
        void taker.bridged.then((result) => {
          if (this.#claimed.get(entry.callSid) === claimed) this.#claimed.delete(entry.callSid);
          return this.#tell(entry.callSid, { op: 'done', caller: entry.callSid, result }, entry.instance);
        });
      },
      remoteDocument: async (doc, signal) => {
        const present = new Promise<boolean>((resolve) => {
          claimed.ready = resolve;
          signal.addEventListener('abort', () => resolve(false), { once: true });
        });
        try {
          await send(entry.callSid, { op: 'prepare', caller: entry.callSid, by, doc }, entry.instance);
        } catch (e) {
          claimed.leg.end(`its instance could not be reached: ${String(e)}`);
          return;
        }
        if (!(await present) && !signal.aborted) claimed.leg.end('the caller hung up');
      },
    };
  }

  /** Call `by` (on another instance) claims this instance's caller `sid`: served, it leaves its wait for that bridge. */
  async #claimed_(sid: string, m: Extract<QueueMessage, { op: 'claim' }>): Promise<void> {
    const { by, instance } = m;
    const w = this.#members.get(sid);
    const refuse = () => new CallRequestError(20404, 404, `call ${sid} is no longer waiting in a queue`);
    if (!w) {
      // Its <Enqueue> is over, yet the line had it (its leave could not reach the store): out for good.
      if (m.queue) await this.#store.remove(m.queue, sid, this.#shared()).catch(() => undefined);
      throw refuse();
    }
    // An older didml's claim has taken the caller out of line already.
    const served = m.claim ? await this.#accept(w, m.claim) : !(w.taken || w.leaving || w.member.leg.isEnded) && (w.taken = true);
    if (!served) throw refuse();
    const t0 = this.#clock.now();
    let settle!: (r: BridgeEnd) => void;
    const bridged = new Promise<BridgeEnd>((resolve) => (settle = resolve));
    const end = (r: BridgeEnd) => {
      if (this.#bridging.get(sid)?.settle !== end) return;
      this.#bridging.delete(sid);
      settle(r);
    };
    this.#bridging.set(sid, { by, instance, claim: m.claim, member: w.member, since: t0, settle: end });
    this.#watch();
    // The caller hanging up ends the bridge on B too; its own <Enqueue> goes on at once.
    void w.member.leg.ended.then(() => {
      if (this.#bridging.get(sid)?.settle !== end) return;
      void this.#tell(by, { op: 'gone', caller: sid }, instance);
      end({ endedBy: 'other', duration: Math.round((this.#clock.now() - t0) / 1000) });
    });
    w.member.take({ callSid: by, bridged });
  }

  /**
   * While callers are bridged across instances, looks every `partnerCheckMs` that the other side
   * is still there: the taker's call still holds the bridge (else it is over, its `done` lost),
   * and the instances' heartbeats (a dead instance's side of the bridge is over).
   */
  #watch(): void {
    const every = this.#store.partnerCheckMs;
    if (this.#watching || every === undefined) return;
    const remote = () => [...this.#bridging.values()].some((b) => b.instance !== undefined && b.instance !== this.#instance) || this.#claimed.size > 0;
    if (!remote()) return;
    this.#watching = this.#clock.timer(every, () => {
      void this.#look().finally(() => {
        this.#watching = undefined;
        this.#watch();
      });
    });
  }

  async #look(): Promise<void> {
    const looks = [...this.#bridging].map(async ([sid, b]) => {
      if (b.instance === undefined || b.instance === this.#instance || b.claim === undefined) return;
      try {
        await this.#send?.(b.by, { op: 'check', caller: sid, claim: b.claim }, b.instance);
        return;
      } catch (e) {
        // No answer is not an answer, unless the taker's instance is dead.
        const over = (e instanceof CallRequestError && e.status === 404) || !(await this.#store.alive(b.instance).catch(() => true));
        if (!over || this.#bridging.get(sid) !== b) return;
        this.#warn('the call that took this caller from the queue is gone (its instance stopped, or the bridge ended unheard): its <Enqueue> goes on', { callSid: sid, by: b.by, instance: b.instance, error: String(e) });
        b.settle({ endedBy: 'other', duration: Math.round((this.#clock.now() - b.since) / 1000) });
      }
    });
    const callers = [...this.#claimed].map(async ([sid, c]) => {
      if (await this.#store.alive(c.instance).catch(() => true)) return;
      this.#warn('the instance of a caller taken from the queue stopped responding: the bridge with it ends', { callSid: sid, instance: c.instance });
      c.leg.end(`its instance ${c.instance} stopped responding`);
      c.ready?.(false);
    });
    await Promise.all([...looks, ...callers]);
  }

  /** A message that need not be answered; a failure is logged (the other side's call is ended by its own means). */
  async #tell(sid: string, m: QueueMessage, owner?: string): Promise<void> {
    await this.#send?.(sid, m, owner).catch((e: unknown) => this.#warn('a queue message to another instance was not delivered', { callSid: sid, op: m.op, error: String(e) }));
  }
}
