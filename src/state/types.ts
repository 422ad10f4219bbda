// What the runtime's instances share: each call's record (what the Calls API answers with), which
// instance runs it, and commands to that instance (new instructions, an end). One interface,
// CallStore, with two implementations: in-process (memory.ts: one instance, the default) and Redis
// (redis.ts: several instances). Nothing above this layer knows which one is in use.
import type { CallStatus } from '../telephony/adapter.js';
import type { QueueStore } from './queues.js';
import type { ConferenceStore } from './conferences.js';

export type Direction = 'inbound' | 'outbound-api' | 'outbound-dial';

export interface CallRecord {
  sid: string;
  accountSid: string;
  parentCallSid?: string;
  from: string;
  to: string;
  direction: Direction;
  status: CallStatus;
  callerName?: string;
  answeredBy?: string;
  /** The backend's id (SIP Call-ID), once it has one. */
  callId?: string;
  /** The instance that runs the call (its `state.instanceId`). */
  instance?: string;
  /** Why the call ended, when something other than the call itself ended it (a reaped instance). */
  endReason?: string;
  /** Wall-clock times (ms since the epoch). */
  dateCreated: number;
  dateUpdated: number;
  startTime?: number;
  endTime?: number;
  /** Seconds from answer to end, once ended. */
  duration?: number;
}

export type RecordPatch = Partial<Omit<CallRecord, 'sid' | 'dateCreated'>>;

export interface CallFilter {
  status?: CallStatus;
  to?: string;
  from?: string;
  parentCallSid?: string;
  /** Start time bounds (ms), inclusive: `StartTime>=`, `StartTime<=`; `startedOn`: that UTC day. */
  startedAfter?: number;
  startedBefore?: number;
  endedAfter?: number;
  endedBefore?: number;
}

/**
 * A command for the instance that runs a call, as JSON: the store carries it without reading it.
 * What it says (new instructions, an end, a queue's or a conference's message) is the calls
 * layer's to define and to apply (src/calls/commands.ts).
 */
export type CommandBody = object;

/** The owner's side of a command: applies it to its own live call and answers with the record (or throws CallRequestError). */
export type CommandHandler = (sid: string, command: CommandBody) => Promise<CallRecord>;

export interface StoreHealth {
  /** `degraded`: calls go on, but the shared state is behind (writes pending) or unreachable. */
  status: 'ok' | 'degraded';
  backend: 'memory' | 'redis';
  instanceId: string;
  /** Why it is degraded, in words. */
  reason?: string;
  /** Records of this instance's calls written locally, not yet in the shared store. */
  pendingWrites: number;
}

export interface CallStore {
  readonly instanceId: string;
  /** The call queues' shared side (the lines, their statistics), in the same place as the calls. */
  readonly queues: QueueStore;
  /** The conferences' shared side (rooms, participants), in the same place as the calls. */
  readonly conferences: ConferenceStore;
  /** Connects (Redis), starts heartbeats and takes the commands addressed to this instance. */
  start(commands: CommandHandler): Promise<void>;
  /**
   * A new call this instance runs. `durable`: resolves only once the shared store holds it (a
   * Calls API create, answered 201 after), else throws CallRequestError 20503; otherwise it is
   * written as soon as the store can be reached.
   */
  add(record: CallRecord, o?: { durable?: boolean }): Promise<void>;
  /** Applies what changed to a call this instance runs; an ended call's record joins the kept ones. */
  update(sid: string, patch: RecordPatch): void;
  /** The record of a call this instance runs (or ran and still keeps), at once, without the shared store. */
  owned(sid: string): CallRecord | undefined;
  get(sid: string): Promise<CallRecord | undefined>;
  /** Every instance's matching calls, the newest first (by date created, as Twilio lists them). */
  list(filter?: CallFilter): Promise<CallRecord[]>;
  /** Removes an ended call's record: `live` when the call is not over, `unknown` when there is none. */
  delete(sid: string): Promise<'deleted' | 'live' | 'unknown'>;
  /**
   * Delivers a command to the instance that runs the call and answers with its outcome. `owner`:
   * that instance when the sender knows it (a queue's entry names it), so the record need not be
   * read first (it may not be written yet).
   */
  command(sid: string, command: CommandBody, owner?: string): Promise<CallRecord>;
  health(): StoreHealth;
  /** Writes what is pending (best effort), leaves the shared store (this instance's heartbeat) and disconnects. */
  close(): Promise<void>;
}

const ENDED = new Set<CallStatus>(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
export const isEnded = (status: CallStatus): boolean => ENDED.has(status);

/** Newest first (by date created), ties by sid: one order for every store. */
export const newestFirst = (a: CallRecord, b: CallRecord): number => b.dateCreated - a.dateCreated || (a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0);

export function matches(r: CallRecord, f: CallFilter): boolean {
  if (f.status !== undefined && r.status !== f.status) return false;
  if (f.to !== undefined && r.to !== f.to) return false;
  if (f.from !== undefined && r.from !== f.from) return false;
  if (f.parentCallSid !== undefined && r.parentCallSid !== f.parentCallSid) return false;
  const start = r.startTime;
  if (f.startedAfter !== undefined && (start === undefined || start < f.startedAfter)) return false;
  if (f.startedBefore !== undefined && (start === undefined || start > f.startedBefore)) return false;
  const end = r.endTime;
  if (f.endedAfter !== undefined && (end === undefined || end < f.endedAfter)) return false;
  if (f.endedBefore !== undefined && (end === undefined || end > f.endedBefore)) return false;
  return true;
}
