// The in-process call store: one instance, no server (the default). Every call the runtime knows
// of, live or lately ended. Ended calls are kept for GET and list requests, the oldest end first
// out: at most `keepEnded` of them, none older than `keepEndedSeconds` (config `calls`).
// The Redis store keeps its own calls in one of these too: its local truth while Redis is away.
import { CallRequestError } from './errors.js';
import { MemoryQueueStore } from './queues.js';
import { MemoryConferenceStore } from './conferences.js';
import { isEnded, matches, newestFirst, type CommandBody, type CallFilter, type CallRecord, type CallStore, type CommandHandler, type RecordPatch, type StoreHealth } from './types.js';

export interface Retention {
  keepEnded: number;
  keepEndedSeconds: number;
  now?: () => number;
}

export class MemoryCallStore implements CallStore {
  readonly instanceId: string;
  /** On the wall clock, as the Queues and Members resources read the entries' times. */
  readonly queues: MemoryQueueStore;
  readonly conferences: MemoryConferenceStore;
  readonly #calls = new Map<string, CallRecord>();
  /** Sids of ended calls, oldest end first. */
  readonly #ended: string[] = [];
  readonly #o: Retention;
  readonly #now: () => number;
  #commands: CommandHandler | undefined;

  constructor(options: Retention & { instanceId?: string }) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.queues = new MemoryQueueStore(this.#now, { clock: this.#now });
    this.instanceId = options.instanceId ?? 'local';
    this.conferences = new MemoryConferenceStore(options, this.#now);
  }

  async start(commands: CommandHandler): Promise<void> {
    this.#commands = commands;
  }

  async add(record: CallRecord): Promise<void> {
    this.put(record);
  }

  /** Keeps a record as it is (a new call, or one read back). */
  put(record: CallRecord): void {
    const full = { ...record, instance: record.instance ?? this.instanceId };
    const had = this.#calls.get(full.sid);
    this.#calls.set(full.sid, full);
    if (isEnded(full.status) && !(had && isEnded(had.status))) {
      this.#ended.push(full.sid);
      this.#prune();
    }
  }

  update(sid: string, patch: RecordPatch): void {
    this.patch(sid, patch);
  }

  /** Applies what changed to a live call; answers the updated record (undefined: unknown or already ended). */
  patch(sid: string, patch: RecordPatch): CallRecord | undefined {
    const record = this.#calls.get(sid);
    if (!record || isEnded(record.status)) return undefined;
    Object.assign(record, patch, { dateUpdated: this.#now() });
    if (isEnded(record.status)) {
      this.#ended.push(sid);
      this.#prune();
    }
    return record;
  }

  owned(sid: string): CallRecord | undefined {
    this.#prune();
    const r = this.#calls.get(sid);
    return r && { ...r };
  }

  async get(sid: string): Promise<CallRecord | undefined> {
    return this.owned(sid);
  }

  async list(filter: CallFilter = {}): Promise<CallRecord[]> {
    return this.records().filter((r) => matches(r, filter)).sort(newestFirst);
  }

  /** Every record kept, copies. */
  records(): CallRecord[] {
    this.#prune();
    return [...this.#calls.values()].map((r) => ({ ...r }));
  }

  async delete(sid: string): Promise<'deleted' | 'live' | 'unknown'> {
    return this.remove(sid);
  }

  remove(sid: string): 'deleted' | 'live' | 'unknown' {
    const record = this.#calls.get(sid);
    if (!record) return 'unknown';
    if (!isEnded(record.status)) return 'live';
    this.#calls.delete(sid);
    const i = this.#ended.indexOf(sid);
    if (i >= 0) this.#ended.splice(i, 1);
    return 'deleted';
  }

  async command(sid: string, command: CommandBody): Promise<CallRecord> {
    if (!this.#calls.has(sid)) throw new CallRequestError(20404, 404, `The requested resource /Calls/${sid}.json was not found`);
    if (!this.#commands) throw new CallRequestError(20500, 500, 'the call store was not started');
    return this.#commands(sid, command);
  }

  health(): StoreHealth {
    return { status: 'ok', backend: 'memory', instanceId: this.instanceId, pendingWrites: 0 };
  }

  /** Live calls kept. */
  get live(): number {
    return this.#calls.size - this.#ended.length;
  }

  async close(): Promise<void> {}

  #prune(): void {
    const oldest = this.#now() - this.#o.keepEndedSeconds * 1000;
    while (this.#ended.length > 0) {
      const sid = this.#ended[0]!;
      const r = this.#calls.get(sid);
      if (r && this.#ended.length <= this.#o.keepEnded && (r.endTime ?? r.dateUpdated) >= oldest) break;
      this.#ended.shift();
      this.#calls.delete(sid);
    }
  }
}
