// The mock telephony backend: scripted far ends, virtual time, a transcript of every call.
//
//   const adapter = createMockAdapter();                  // its own VirtualClock unless given one
//   await adapter.listen((call) => session.run(call));
//   const call = adapter.placeCall({ caller: [{ digits: '1#' }] });
//   await call.leg.ended;
//   adapter.transcript(call.callId);                      // [{ t: 0, type: 'inbound', ... }, ...]
//
// The script format is in script.ts, the transcript's events in transcript.ts.
import { VirtualClock, type Clock } from '../../clock.js';
import { DidmlError } from '../../errors.js';
import { isSipUriError, parseSipUri } from '../../sip/uri.js';
import type { InboundCall, TelephonyAdapter } from '../adapter.js';
import { MockCallLeg } from './leg.js';
import { originate } from './originate.js';
import { DEFAULT_FROM, DEFAULT_TO, checkScript, type CallerAction, type CallerOpportunity, type MockCallScript } from './script.js';
import type { TranscriptEvent } from './transcript.js';
import type { HostPolicy } from '../../webhook/hosts.js';

export { MockCallLeg, type EndedBy } from './leg.js';
export * from './script.js';
export type { BackendEvent, TargetView, TranscriptEvent } from './transcript.js';

export interface MockAdapterOptions {
  /** Default: a new VirtualClock. */
  clock?: Clock;
  /** Where recordings are written as WAV files; without it none is written (script.ts, recordings.ts). */
  recordingsDir?: string;
  /**
   * Asked for the caller's next action when a call's scripted actions have run out: an
   * interactive caller (`didml call` in a terminal). Virtual time stands still while it waits.
   */
  ask?: (at: CallerOpportunity, leg: MockCallLeg) => Promise<CallerAction | undefined>;
  /**
   * The far ends of the calls this adapter places (`originate`, the Calls API): `callees` keyed
   * as a Dial's targets are ('*' for any other; its `actions` are what that party presses and
   * says at the app's Gathers), and the rest of the script (media, durations, the callees its
   * own Dials reach). Default: every number answers after 5 s and stays silent.
   */
  outbound?: MockCallScript;
  /** Forget a call once it has ended (a long-running server); its transcript goes with it. */
  forgetEnded?: boolean;
  /** Which hosts a real agent's websocket (script.agent) may be on; the built-in rules by default, as for webhooks. */
  hosts?: HostPolicy;
}

type MockInboundDetails = Omit<Extract<import('./transcript.js').BackendEvent, { type: 'inbound' }>, 'type'>;

export type EventListener = (event: TranscriptEvent, leg: MockCallLeg) => void;

export interface MockInboundCall extends InboundCall {
  leg: MockCallLeg;
}

export interface MockAdapter extends TelephonyAdapter {
  readonly name: 'mock';
  /** A call arrives: it is handed to the `listen` callback (if any) and returned. */
  placeCall(script?: MockCallScript): MockInboundCall;
  /** The transcript of a call this adapter placed. */
  transcript(callId: string): readonly TranscriptEvent[];
  /** Calls `listener` with every event of every call as it is recorded; returns an unsubscribe. */
  onEvent(listener: EventListener): () => void;
  /** The calls placed so far, by call id. */
  readonly calls: ReadonlyMap<string, MockCallLeg>;
}

/**
 * Twilio-shaped SIDs from counters, so that ids repeat from one run to the next: the call's number
 * in the first 16 hex digits, its callees' and recordings' own count in the last 16.
 */
const hex16 = (n: number): string => n.toString(16).padStart(16, '0');
const sid = (prefix: string, call: number, n = 0): string => prefix + (n === 0 ? hex16(0) + hex16(call) : hex16(call) + hex16(n));

/** The user part of a SIP URI, or the text itself when it is not one (InboundCall.from/to). */
export function party(text: string): { user: string; uri?: string } {
  if (!/^sips?:/i.test(text)) return { user: text };
  const u = parseSipUri(text);
  if (isSipUriError(u)) return { user: text, uri: text };
  return { user: u.user ?? u.uri, uri: text };
}

export function createMockAdapter(options: MockAdapterOptions = {}): MockAdapter {
  const clock = options.clock ?? new VirtualClock();
  const calls = new Map<string, MockCallLeg>();
  const listeners = new Set<EventListener>();
  let onCall: ((call: InboundCall) => void) | undefined;
  let closed = false;
  let placed = 0;

  /** A leg of this adapter: its ids from its number, its events to the adapter's listeners. */
  function newLeg(script: MockCallScript, inbound?: MockInboundDetails): MockCallLeg {
    const n = ++placed;
    const callId = sid('CA', n);
    let callees = 0;
    let recordings = 0;
    const leg = new MockCallLeg({
      clock,
      script,
      callId,
      ...(inbound ? { inbound: { type: 'inbound', ...inbound } } : {}),
      newCallId: () => sid('CA', n, ++callees),
      newRecordingSid: () => sid('RE', n, ++recordings),
      ...(options.recordingsDir !== undefined ? { recordingsDir: options.recordingsDir } : {}),
      ...(options.ask ? { ask: options.ask } : {}),
      ...(options.hosts ? { hosts: options.hosts } : {}),
      onEvent: (event, l) => {
        for (const listener of listeners) listener(event, l);
      },
    });
    calls.set(callId, leg);
    if (options.forgetEnded) void leg.ended.then(() => calls.delete(callId));
    return leg;
  }

  return {
    name: 'mock',
    clock,
    calls,
    capabilities: { machineDetection: true },

    originate(o) {
      if (closed) return Promise.reject(new DidmlError('DIDML_TELEPHONY', 'the mock adapter is closed; create a new one with createMockAdapter()'));
      return originate({ clock, script: options.outbound ?? {}, newLeg: (script) => newLeg(script) }, o);
    },

    listen(handler) {
      onCall = handler;
      return Promise.resolve();
    },

    close() {
      closed = true;
      onCall = undefined;
      for (const leg of calls.values()) leg.drop('adapter closed');
      return Promise.resolve();
    },

    placeCall(script = {}) {
      if (closed) throw new DidmlError('DIDML_TELEPHONY', 'the mock adapter is closed; create a new one with createMockAdapter()');
      checkScript(script);
      const from = party(script.from ?? DEFAULT_FROM);
      const to = party(script.to ?? DEFAULT_TO);
      const headers = { ...(script.headers ?? {}) };
      const details = {
        from: from.user,
        to: to.user,
        ...(from.uri !== undefined ? { fromUri: from.uri } : {}),
        ...(to.uri !== undefined ? { toUri: to.uri } : {}),
        ...(script.callerName !== undefined ? { callerName: script.callerName } : {}),
        ...(script.sourceIp !== undefined ? { sourceIp: script.sourceIp } : {}),
      };
      const leg = newLeg(script, { ...details, headers });
      const call: MockInboundCall = { callId: leg.callId, ...details, headers: { ...headers }, leg };
      onCall?.(call);
      return call;
    },

    transcript(callId) {
      const leg = calls.get(callId);
      if (!leg) throw new DidmlError('DIDML_TELEPHONY', `the mock adapter placed no call ${callId}; use the callId that placeCall returned`);
      return leg.transcript;
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
