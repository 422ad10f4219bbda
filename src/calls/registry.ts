// Every call the runtime knows of, live or lately ended: its record (what the Calls API answers
// with) and, while it is live, a handle to steer it (new instructions, hang up, cancel).
// In-process for one instance; issue 14's shared store takes this shape across instances.
//
// Ended calls are kept for GET and list requests, the newest first out last: at most `keepEnded`
// of them, none older than `keepEndedSeconds` (config `calls`).
import type { CallStatus } from '../telephony/adapter.js';
import type { AppChanges, Instructions } from '../runtime/session.js';

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
  /** Wall-clock times (ms since the epoch). */
  dateCreated: number;
  dateUpdated: number;
  startTime?: number;
  endTime?: number;
  /** Seconds from answer to end, once ended. */
  duration?: number;
}

/** How a live call is steered: what the Calls API's update does to it. */
export interface CallControl {
  redirect(next: Instructions, changes?: AppChanges): void;
  end(status: 'completed' | 'canceled', reason: string): void;
}

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

const ENDED = new Set<CallStatus>(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
export const isEnded = (status: CallStatus): boolean => ENDED.has(status);

export interface RegistryOptions {
  keepEnded: number;
  keepEndedSeconds: number;
  now?: () => number;
}

export class CallRegistry {
  readonly #calls = new Map<string, { record: CallRecord; control?: CallControl }>();
  /** Sids of ended calls, oldest end first. */
  readonly #ended: string[] = [];
  readonly #o: RegistryOptions;
  readonly #now: () => number;

  constructor(options: RegistryOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  add(record: Omit<CallRecord, 'dateCreated' | 'dateUpdated'>, control: CallControl): CallRecord {
    const now = this.#now();
    const full: CallRecord = { ...record, dateCreated: now, dateUpdated: now };
    this.#calls.set(full.sid, { record: full, control });
    return full;
  }

  /** Applies what changed; an ended call loses its control and joins the kept ones. */
  update(sid: string, patch: Partial<Omit<CallRecord, 'sid' | 'dateCreated'>>): void {
    const entry = this.#calls.get(sid);
    if (!entry || isEnded(entry.record.status)) return;
    Object.assign(entry.record, patch, { dateUpdated: this.#now() });
    if (isEnded(entry.record.status)) {
      delete entry.control;
      this.#ended.push(sid);
      this.#prune();
    }
  }

  get(sid: string): { record: CallRecord; control?: CallControl } | undefined {
    this.#prune();
    return this.#calls.get(sid);
  }

  /** Matching calls, the newest first (as Twilio lists them: by date created, descending). */
  list(filter: CallFilter = {}): CallRecord[] {
    this.#prune();
    const out: CallRecord[] = [];
    for (const { record: r } of this.#calls.values()) if (matches(r, filter)) out.push(r);
    return out.sort((a, b) => b.dateCreated - a.dateCreated || (a.sid < b.sid ? 1 : -1));
  }

  /** Removes an ended call's record (the Calls API's DELETE); false when it is live or unknown. */
  delete(sid: string): boolean {
    const entry = this.#calls.get(sid);
    if (!entry || !isEnded(entry.record.status)) return false;
    this.#calls.delete(sid);
    const i = this.#ended.indexOf(sid);
    if (i >= 0) this.#ended.splice(i, 1);
    return true;
  }

  get live(): number {
    return this.#calls.size - this.#ended.length;
  }

  #prune(): void {
    const oldest = this.#now() - this.#o.keepEndedSeconds * 1000;
    while (this.#ended.length > 0) {
      const sid = this.#ended[0]!;
      const r = this.#calls.get(sid)?.record;
      if (r && this.#ended.length <= this.#o.keepEnded && (r.endTime ?? r.dateUpdated) >= oldest) break;
      this.#ended.shift();
      this.#calls.delete(sid);
    }
  }
}

function matches(r: CallRecord, f: CallFilter): boolean {
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
