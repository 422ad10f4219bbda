// Conference rooms shared by the calls of a runtime: <Dial><Conference> puts a call in a room by
// name, and the room's rules (it starts once two are in and one has startConferenceOnEnter; a
// participant with endConferenceOnExit, or the last one, leaving ends it) are the store's
// (src/state/conferences.ts: in process, or in Redis shared by several instances). What stays here
// is what only the instance that runs a call can hold: its leg in the room, and the signal that
// takes it out when the room ends or the API removes it.
//
// Across instances: a room's start and end are published by the store to every instance (each
// takes its own participants out at an end); a change to one participant through the API (muted,
// hold, kicked) is a command to the instance that runs its call (the call store's channel), which
// applies it to its leg and to the store and sends the status callback.
import { randomBytes } from 'node:crypto';
import type { HttpMethod } from '../webhook/types.js';
import { CallRequestError } from '../state/errors.js';
import { MemoryConferenceStore, type ConferenceRoom, type ConferenceStore, type Participant, type RoomCallback } from '../state/conferences.js';

/** A change to a participant, sent to the instance that runs its call. */
export type ConferenceMessage = { op: 'update'; conference: string; muted?: boolean; hold?: boolean } | { op: 'kick'; conference: string };

/** Delivers a message to the instance that runs call `sid` (`owner`, when known); rejects when it cannot. */
export type ConferenceSend = (sid: string, message: ConferenceMessage, owner?: string) => Promise<void>;

export type Notify = (url: string, method: HttpMethod, params: Record<string, string>) => void;

export interface ConferencesOptions {
  store?: ConferenceStore;
  /** A new Twilio-shaped id (`CF…` for a room). */
  newSid?: (prefix: string) => string;
  instanceId?: string;
  send?: ConferenceSend;
  /** Sends a room's status callback when no participant of this instance does (an end through the API). */
  notify?: Notify;
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

export interface JoinOptions {
  accountSid: string;
  name: string;
  callSid: string;
  muted: boolean;
  startOnEnter: boolean;
  endOnExit: boolean;
  label?: string;
  maxParticipants: number;
  callback?: RoomCallback;
  /** How this participant's call sends the room's status callbacks. */
  notify: Notify;
  /** Applies the API's muted or hold to the leg (the backend's part); throws CallRequestError for what it cannot. */
  apply: (patch: { muted?: boolean; hold?: boolean }) => Promise<void>;
  /** Told of a change the API made to this participant. */
  onChange?: (p: Participant) => void;
}

/** A participant of this instance in its room. */
export interface Membership {
  room: ConferenceRoom;
  /** Aborted when the participant is out without leaving: the room ended (`ended`) or the API removed it (`kicked`). */
  out: AbortSignal;
  /** Resolves once the room is in progress (at once if this join found it so, or started it). */
  started: Promise<void>;
  /** Its leg left the room (hung up, *, the session moved on): out of the store, the callbacks sent. */
  leave(): Promise<void>;
}

export const UNAVAILABLE = 'unavailable';

interface Local {
  sid: string;
  room: ConferenceRoom;
  o: JoinOptions;
  controller: AbortController;
  /** As last known here (the API's changes are applied by this instance). */
  participant: Participant;
  /** Out of the store already (the room ended, or it was kicked). */
  gone: boolean;
  start: () => void;
}

const BOOL = (b: boolean) => String(b);

export class Conferences {
  readonly #store: ConferenceStore;
  readonly #instance: string;
  readonly #o: ConferencesOptions;
  readonly #members = new Map<string, Local>();
  /** Rooms lately ended (bounded): a join whose answer comes after its room's end is out at once. */
  readonly #ended = new Set<string>();
  /** Rooms lately started (bounded), likewise for a waiter whose join answer comes after the start. */
  readonly #started = new Set<string>();

  constructor(o: ConferencesOptions = {}) {
    this.#o = o;
    this.#store = o.store ?? new MemoryConferenceStore();
    this.#instance = o.instanceId ?? 'local';
    this.#store.onEvent((e) => {
      if (e.type === 'start') {
        this.#started.add(e.sid);
        if (this.#started.size > 1000) this.#started.delete(this.#started.values().next().value!);
        for (const m of this.#members.values()) if (m.sid === e.sid) m.start();
        return;
      }
      if (e.type !== 'end') return;
      this.#ended.add(e.sid);
      if (this.#ended.size > 1000) this.#ended.delete(this.#ended.values().next().value!);
      for (const m of [...this.#members.values()]) {
        if (m.sid !== e.sid || m.gone) continue;
        m.gone = true;
        // A participant put out by the room's end has left it: Twilio's participant-leave.
        void this.#store.get(e.sid).then((room) => this.#event(m, 'participant-leave', room ?? m.room, m.participant), () => undefined);
        m.controller.abort('ended');
      }
    });
  }

  get store(): ConferenceStore {
    return this.#store;
  }

  /** Wall-clock now (the store's dates are Twilio's date_created, not call time). */
  #now(): number {
    return Date.now();
  }

  async join(o: JoinOptions): Promise<Membership | 'full' | typeof UNAVAILABLE> {
    const now = this.#now();
    const participant: Participant = {
      callSid: o.callSid,
      instance: this.#instance,
      muted: o.muted,
      hold: false,
      startConferenceOnEnter: o.startOnEnter,
      endConferenceOnExit: o.endOnExit,
      ...(o.label ? { label: o.label } : {}),
      dateCreated: now,
      dateUpdated: now,
    };
    const controller = new AbortController();
    let start!: () => void;
    const started = new Promise<void>((resolve) => (start = resolve));
    const local: Local = { sid: '', room: undefined as unknown as ConferenceRoom, o, controller, participant, gone: false, start };
    // Known before the room holds it: an end published the moment after the join must find it.
    this.#members.set(o.callSid, local);
    let joined;
    try {
      joined = await this.#store.join({ accountSid: o.accountSid, name: o.name, newSid: this.#newSid(), participant, maxParticipants: o.maxParticipants, ...(o.callback ? { callback: o.callback } : {}), now });
    } catch (e) {
      this.#members.delete(o.callSid);
      this.#warn('the conference could not be joined: the shared state cannot be reached', { conference: o.name, callSid: o.callSid, error: String(e) });
      return UNAVAILABLE;
    }
    if (joined.outcome === 'full') {
      this.#members.delete(o.callSid);
      return 'full';
    }
    local.sid = joined.room.sid;
    local.room = joined.room;
    if (joined.room.status === 'in-progress' || this.#started.has(local.sid)) start();
    if (this.#ended.has(local.sid)) {
      // Ended between the join and its answer (the end took this participant out with the others).
      local.gone = true;
      controller.abort('ended');
    }
    await this.#event(local, 'participant-join', joined.room, participant);
    if (joined.started) await this.#event(local, 'conference-start', joined.room);
    return { room: joined.room, out: controller.signal, started, leave: () => this.#leave(local) };
  }

  async #leave(m: Local): Promise<void> {
    if (this.#members.get(m.o.callSid) === m) this.#members.delete(m.o.callSid);
    if (m.gone) return;
    m.gone = true;
    const r = await this.#store.leave(m.sid, m.o.callSid, this.#now()).catch((e: unknown) => {
      this.#warn('a participant could not be taken out of the shared conference (the reap of this instance, or the end of the room, will)', { conference: m.room.friendlyName, callSid: m.o.callSid, error: String(e) });
      return undefined;
    });
    if (!r) return;
    await this.#event(m, 'participant-leave', r.room, r.participant);
    if (r.ended) await this.#event(m, 'conference-end', r.room);
  }

  /** A change for a participant this instance runs (from the API of any instance). */
  async receive(callSid: string, msg: ConferenceMessage): Promise<void> {
    if (!msg || typeof msg !== 'object' || (msg.op !== 'update' && msg.op !== 'kick') || typeof msg.conference !== 'string') {
      throw new CallRequestError(20500, 400, `not a conference message this instance understands: ${JSON.stringify(msg)?.slice(0, 200)}`);
    }
    const m = this.#members.get(callSid);
    if (!m || m.gone || m.sid !== msg.conference) throw new CallRequestError(20404, 404, `The requested resource /Conferences/${msg.conference}/Participants/${callSid}.json was not found`);
    if (msg.op === 'kick') {
      m.gone = true;
      this.#members.delete(callSid);
      // Out of the room at once, whatever the store says: its Dial goes on.
      m.controller.abort('kicked');
      let r;
      try {
        r = await this.#store.leave(m.sid, callSid, this.#now(), true);
      } catch (e) {
        // The store could not take it: the leg's own leave tries again as it goes.
        m.gone = false;
        throw e;
      }
      if (!r) return;
      await this.#event(m, 'participant-leave', r.room, r.participant);
      if (r.ended) await this.#event(m, 'conference-end', r.room);
      return;
    }
    const patch = { ...(msg.muted !== undefined ? { muted: msg.muted } : {}), ...(msg.hold !== undefined ? { hold: msg.hold } : {}) };
    if (Object.keys(patch).length > 0) await m.o.apply(patch);
    const before = (await this.#store.participants(m.sid)).find((p) => p.callSid === callSid);
    const p = await this.#store.update(m.sid, callSid, patch, this.#now());
    if (!p) throw new CallRequestError(20404, 404, `The requested resource /Conferences/${msg.conference}/Participants/${callSid}.json was not found`);
    m.participant = p;
    m.o.onChange?.(p);
    if (before && msg.muted !== undefined && before.muted !== p.muted) await this.#event(m, p.muted ? 'participant-mute' : 'participant-unmute', m.room, p);
    if (before && msg.hold !== undefined && before.hold !== p.hold) await this.#event(m, p.hold ? 'participant-hold' : 'participant-unhold', m.room, p);
  }

  /** The API's change to a participant, delivered to the instance that runs its call. */
  async command(room: string, p: Participant, msg: ConferenceMessage): Promise<void> {
    if (p.instance === this.#instance || !this.#o.send) return this.receive(p.callSid, msg);
    await this.#o.send(p.callSid, msg, p.instance);
  }

  /** The API ends a room: every instance's participants are out (the store publishes the end). */
  async end(sid: string): Promise<ConferenceRoom | undefined> {
    const before = await this.#store.get(sid);
    const room = await this.#store.end(sid, this.#now());
    if (room && before && before.status !== 'completed') await this.#event(undefined, 'conference-end', room);
    return room;
  }

  /**
   * A room's status callback (statusCallbackEvent: start end join leave mute hold), with Twilio's
   * parameters, to the callback of the participant whose join made the room; sent by the instance
   * where it happened.
   */
  async #event(m: Local | undefined, event: string, room: ConferenceRoom, p?: Participant): Promise<void> {
    const cb = room.callback;
    // Twilio's event names are these with their prefix dropped (mute covers unmute, hold unhold).
    const short = event.replace(/^(conference|participant)-/, '').replace(/^un/, '');
    if (!cb || !cb.events.includes(short)) return;
    let seq: number;
    try {
      seq = await this.#store.sequence(room.sid);
    } catch {
      return this.#warn('a conference status callback was not sent: the shared state cannot be reached', { conference: room.friendlyName, event });
    }
    const params: Record<string, string> = {
      ConferenceSid: room.sid,
      FriendlyName: room.friendlyName,
      StatusCallbackEvent: event,
      SequenceNumber: String(seq),
      // RFC 2822, as Twilio's Timestamp.
      Timestamp: new Date(this.#now()).toUTCString().replace(/GMT$/, '+0000'),
    };
    if (p) {
      Object.assign(params, {
        CallSid: p.callSid,
        Muted: BOOL(p.muted),
        Hold: BOOL(p.hold),
        Coaching: 'false',
        EndConferenceOnExit: BOOL(p.endConferenceOnExit),
        StartConferenceOnEnter: BOOL(p.startConferenceOnEnter),
        ...(p.label ? { ParticipantLabel: p.label } : {}),
      });
    }
    if (event === 'conference-end') {
      if (room.reasonEnded) params['ReasonConferenceEnded'] = room.reasonEnded;
      if (room.callSidEndingConference) params['CallSidEndingConference'] = room.callSidEndingConference;
    }
    const notify = m?.o.notify ?? this.#o.notify;
    notify?.(cb.url, cb.method, { AccountSid: room.accountSid, ...params });
  }

  #newSid(): string {
    return this.#o.newSid ? this.#o.newSid('CF') : 'CF' + randomBytes(16).toString('hex');
  }

  #warn(message: string, fields: Record<string, unknown>): void {
    this.#o.warn?.(message, fields);
  }
}
