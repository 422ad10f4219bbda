// The shared side of conferences: the rooms of each account by friendly name, each with its
// Conference SID, status and participants (which call, on which instance, muted, on hold). One
// interface, ConferenceStore, with two implementations: in-process (here: one instance, the
// default) and Redis (redis-conferences.ts: several instances, each change one Lua script, so two
// instances joining or leaving at once never disagree on when the room starts or ends). The legs
// and the waiting stay with the runtime (src/runtime/conferences.ts); only data lives here.
//
// Twilio's rules, the same in both: a room is made by its first participant (status `init`); it
// starts (`in-progress`) once it holds two participants and one of them has startConferenceOnEnter;
// it ends (`completed`) when a participant with endConferenceOnExit leaves, when the last one leaves,
// or through the API; the others are out of it then. A completed room keeps its SID and record; the
// next join under its name makes a new room. https://www.twilio.com/docs/voice/twiml/conference

export type ConferenceStatus = 'init' | 'in-progress' | 'completed';

/** Twilio's reason_conference_ended. */
export type EndReason =
  | 'conference-ended-via-api'
  | 'participant-with-end-conference-on-exit-left'
  | 'participant-with-end-conference-on-exit-kicked'
  | 'last-participant-kicked'
  | 'last-participant-left';

/** Where a room's events go: the statusCallback of the participant whose join made the room. */
export interface RoomCallback {
  url: string;
  method: 'GET' | 'POST';
  events: string[];
}

export interface ConferenceRoom {
  sid: string;
  accountSid: string;
  friendlyName: string;
  status: ConferenceStatus;
  /** Wall-clock times (ms). */
  dateCreated: number;
  dateUpdated: number;
  reasonEnded?: EndReason;
  callSidEndingConference?: string;
  callback?: RoomCallback;
}

export interface Participant {
  callSid: string;
  /** The instance that runs the call: only it can mute, hold or kick it. */
  instance: string;
  muted: boolean;
  hold: boolean;
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  label?: string;
  dateCreated: number;
  dateUpdated: number;
}

export interface JoinRequest {
  accountSid: string;
  name: string;
  /** The SID of the room if this join makes it. */
  newSid: string;
  participant: Participant;
  /** `<Conference maxParticipants>`: a joiner beyond it is refused. */
  maxParticipants: number;
  /** The joiner's statusCallback: the room's if this join makes it. */
  callback?: RoomCallback;
  now: number;
}

export type JoinResult =
  /** `started`: this join started the room (it had waited for a second participant, or for one with startConferenceOnEnter). */
  | { outcome: 'joined'; room: ConferenceRoom; started: boolean }
  | { outcome: 'full'; room: ConferenceRoom };

/** A participant out of its room; `ended`: its leaving ended the room. */
export interface LeaveResult {
  room: ConferenceRoom;
  participant: Participant;
  ended: boolean;
}

/** What every instance hears of a room: it started, or ended (its participants are out). */
export interface RoomEvent {
  sid: string;
  type: 'start' | 'end';
}

export interface ConferenceFilter {
  accountSid?: string;
  friendlyName?: string;
  status?: ConferenceStatus;
  /** Bounds on date created (ms), inclusive. */
  createdAfter?: number;
  createdBefore?: number;
  updatedAfter?: number;
  updatedBefore?: number;
}

export interface ConferenceStore {
  /** Puts a participant in the room of that name (made now if none is live), atomically with the size check and the start. */
  join(request: JoinRequest): Promise<JoinResult>;
  /** Takes a participant out (`kicked`: by the API); undefined when it was not in the room (the room ended meanwhile). */
  leave(sid: string, callSid: string, now: number, kicked?: boolean): Promise<LeaveResult | undefined>;
  /** Ends a room through the API; undefined when there is none; a completed room is answered as it is. */
  end(sid: string, now: number): Promise<ConferenceRoom | undefined>;
  /** Changes a participant's muted or hold; undefined when it is not in the room. */
  update(sid: string, callSid: string, patch: { muted?: boolean; hold?: boolean }, now: number): Promise<Participant | undefined>;
  get(sid: string): Promise<ConferenceRoom | undefined>;
  /** Matching rooms, the newest first (as Twilio lists them). */
  list(filter?: ConferenceFilter): Promise<ConferenceRoom[]>;
  /** A live room's participants, in the order they joined (none for a completed room). */
  participants(sid: string): Promise<Participant[]>;
  /** The next SequenceNumber of a room's status callbacks (from 0). */
  sequence(sid: string): Promise<number>;
  /** Told of every room's start and end, whatever instance caused it. */
  onEvent(listener: (event: RoomEvent) => void): void;
}

export const DEFAULT_MAX_PARTICIPANTS = 250;

/** Newest first, ties by sid. */
export const newestRoomFirst = (a: ConferenceRoom, b: ConferenceRoom): number => b.dateCreated - a.dateCreated || (a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0);

export function roomMatches(r: ConferenceRoom, f: ConferenceFilter): boolean {
  if (f.accountSid !== undefined && r.accountSid !== f.accountSid) return false;
  if (f.friendlyName !== undefined && r.friendlyName !== f.friendlyName) return false;
  if (f.status !== undefined && r.status !== f.status) return false;
  if (f.createdAfter !== undefined && r.dateCreated < f.createdAfter) return false;
  if (f.createdBefore !== undefined && r.dateCreated > f.createdBefore) return false;
  if (f.updatedAfter !== undefined && r.dateUpdated < f.updatedAfter) return false;
  if (f.updatedBefore !== undefined && r.dateUpdated > f.updatedBefore) return false;
  return true;
}

interface Room {
  room: ConferenceRoom;
  participants: Map<string, Participant>;
  seq: number;
}

/** The in-process rooms: one instance. Completed rooms are kept as calls are (calls.keepEnded, keepEndedSeconds). */
export class MemoryConferenceStore implements ConferenceStore {
  readonly #rooms = new Map<string, Room>();
  /** Live room sid by `<account>:<name>`. */
  readonly #live = new Map<string, string>();
  /** Completed rooms, oldest end first. */
  readonly #ended: string[] = [];
  readonly #listeners: ((e: RoomEvent) => void)[] = [];
  readonly #keep: { keepEnded: number; keepEndedSeconds: number };
  readonly #now: () => number;

  constructor(keep: { keepEnded: number; keepEndedSeconds: number } = { keepEnded: 1000, keepEndedSeconds: 3600 }, now: () => number = Date.now) {
    this.#keep = keep;
    this.#now = now;
  }

  async join(q: JoinRequest): Promise<JoinResult> {
    const key = `${q.accountSid}:${q.name}`;
    let r = this.#rooms.get(this.#live.get(key) ?? '');
    if (!r) {
      r = { room: { sid: q.newSid, accountSid: q.accountSid, friendlyName: q.name, status: 'init', dateCreated: q.now, dateUpdated: q.now, ...(q.callback ? { callback: q.callback } : {}) }, participants: new Map(), seq: 0 };
      this.#rooms.set(q.newSid, r);
      this.#live.set(key, q.newSid);
    }
    if (r.participants.size >= q.maxParticipants) return { outcome: 'full', room: { ...r.room } };
    r.participants.set(q.participant.callSid, { ...q.participant });
    const started = r.room.status === 'init' && r.participants.size >= 2 && [...r.participants.values()].some((p) => p.startConferenceOnEnter);
    if (started) {
      r.room.status = 'in-progress';
      r.room.dateUpdated = q.now;
      this.#emit({ sid: r.room.sid, type: 'start' });
    }
    return { outcome: 'joined', room: { ...r.room }, started };
  }

  async leave(sid: string, callSid: string, now: number, kicked = false): Promise<LeaveResult | undefined> {
    const r = this.#rooms.get(sid);
    const p = r?.participants.get(callSid);
    if (!r || !p) return undefined;
    r.participants.delete(callSid);
    r.room.dateUpdated = now;
    const reason: EndReason | undefined = p.endConferenceOnExit
      ? kicked
        ? 'participant-with-end-conference-on-exit-kicked'
        : 'participant-with-end-conference-on-exit-left'
      : r.participants.size === 0
        ? kicked
          ? 'last-participant-kicked'
          : 'last-participant-left'
        : undefined;
    if (reason) this.#finish(r, now, reason, callSid);
    return { room: { ...r.room }, participant: p, ended: reason !== undefined };
  }

  async end(sid: string, now: number): Promise<ConferenceRoom | undefined> {
    const r = this.#rooms.get(sid);
    if (!r) return undefined;
    if (r.room.status !== 'completed') this.#finish(r, now, 'conference-ended-via-api');
    return { ...r.room };
  }

  async update(sid: string, callSid: string, patch: { muted?: boolean; hold?: boolean }, now: number): Promise<Participant | undefined> {
    const p = this.#rooms.get(sid)?.participants.get(callSid);
    if (!p) return undefined;
    if (patch.muted !== undefined) p.muted = patch.muted;
    if (patch.hold !== undefined) p.hold = patch.hold;
    p.dateUpdated = now;
    return { ...p };
  }

  async get(sid: string): Promise<ConferenceRoom | undefined> {
    this.#prune();
    const r = this.#rooms.get(sid);
    return r && { ...r.room };
  }

  async list(filter: ConferenceFilter = {}): Promise<ConferenceRoom[]> {
    this.#prune();
    return [...this.#rooms.values()].map((r) => ({ ...r.room })).filter((r) => roomMatches(r, filter)).sort(newestRoomFirst);
  }

  async participants(sid: string): Promise<Participant[]> {
    return [...(this.#rooms.get(sid)?.participants.values() ?? [])].map((p) => ({ ...p }));
  }

  async sequence(sid: string): Promise<number> {
    const r = this.#rooms.get(sid);
    return r ? r.seq++ : 0;
  }

  onEvent(listener: (event: RoomEvent) => void): void {
    this.#listeners.push(listener);
  }

  #finish(r: Room, now: number, reason: EndReason, callSid?: string): void {
    Object.assign(r.room, { status: 'completed', dateUpdated: now, reasonEnded: reason, ...(callSid ? { callSidEndingConference: callSid } : {}) });
    r.participants.clear();
    const key = `${r.room.accountSid}:${r.room.friendlyName}`;
    if (this.#live.get(key) === r.room.sid) this.#live.delete(key);
    this.#ended.push(r.room.sid);
    this.#prune();
    this.#emit({ sid: r.room.sid, type: 'end' });
  }

  #emit(e: RoomEvent): void {
    for (const f of this.#listeners) f(e);
  }

  #prune(): void {
    const oldest = this.#now() - this.#keep.keepEndedSeconds * 1000;
    while (this.#ended.length > 0) {
      const r = this.#rooms.get(this.#ended[0]!);
      if (r && this.#ended.length <= this.#keep.keepEnded && r.room.dateUpdated >= oldest) break;
      this.#rooms.delete(this.#ended.shift()!);
    }
  }
}
