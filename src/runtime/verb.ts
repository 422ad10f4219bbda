// What a verb module is and what it may ask of the session. A verb turns one validated element
// into calls on the call leg and says what happens next; it never reaches into the session.
// (The shape of jambonz's task classes, as a typed interface: declared needs, one file per verb.)
import type { Projected } from '../grammar/index.js';
import type { CallLeg, CallStatus } from '../telephony/adapter.js';
import type { Clock } from '../clock.js';
import type { HttpMethod } from '../webhook/types.js';
import type { DialectName } from '../types.js';
import type { RuntimeEvent } from './events.js';
import type { Queues } from './queues.js';
import type { Conferences } from './conferences.js';
import type { BeforeBridge, CallSummary } from './session.js';
import type { DidmlError } from '../errors.js';

export type VerbOutcome =
  /** Go on with the next verb of this document. */
  | { kind: 'continue' }
  /** Request a new document (an action, a Redirect) and run it instead of the rest of this one. */
  | { kind: 'fetch'; url: string; method: HttpMethod; params: Record<string, string> }
  /**
   * Tell the app what happened (an action after the caller hung up) without running its answer,
   * then end the call.
   */
  | { kind: 'report'; url: string; method: HttpMethod; params: Record<string, string>; reason?: string }
  /** End the call: the verb hung up or rejected it, or the caller is gone. */
  | { kind: 'end'; reason: string; status?: CallStatus };

export interface VerbContext {
  leg: CallLeg;
  clock: Clock;
  dialect: DialectName;
  /** Aborted when the call must end (the caller hung up, a limit was reached). */
  signal: AbortSignal;
  /** The URL of the document being run; relative URLs resolve against it. */
  documentUrl: string;
  documentMethod: HttpMethod;
  /** What the call looks like to the app (To is the dialled number, for DIDML's bare-host <sip>). */
  call: { callSid: string; from: string; to: string; accountSid: string };
  /** An absolute URL for a URL written in the document (relative, or absolute). */
  resolve(url: string): string;
  /** Answer the call if it is not yet answered (Twilio answers on the first verb that needs media). */
  answer(): Promise<void>;
  /** Add an event to the call's transcript and log. */
  emit(event: RuntimeEvent): void;
  /** Fire a callback (statusCallback, recordingStatusCallback) with the call's parameters and these. */
  notify(url: string, method: HttpMethod, params: Record<string, string>): void;
  /** Fire a callback about a dialled leg: its own parameters (and the account's), none of this call's. */
  notifyChild(url: string, method: HttpMethod, params: Record<string, string>): void;
  /** A new Twilio-shaped id (`CA…` for a dialled leg, `RE…` for a recording). */
  newSid(prefix: string): string;
  /** Run another verb module on a node (DIDML's <sip> alone is a <dial> around it). */
  runVerb(node: Projected): Promise<VerbOutcome>;
  /** DIDML <Postcall>: a URL to tell about the call once it has ended. */
  addPostcall(url: string, method: HttpMethod): void;
  /** Work for when the call has ended (a call recording to stop and report), before its final status callback. */
  onCallEnd(fn: () => Promise<void>): void;
  /** The runtime's call queues. */
  queues: Queues;
  /** The runtime's conference rooms. */
  conferences: Conferences;
  /** Runs an app's document on another leg before it is bridged (`<Number url>`, `<Queue url>`), to its end. */
  runBeforeBridge(o: BeforeBridgeRun): Promise<CallSummary>;
  /** Fetch a document the verb runs itself (an <Enqueue waitUrl>); counts toward the call's limits. */
  loadDocument(url: string, method: HttpMethod, params: Record<string, string>): Promise<{ url: string; root: Projected } | DidmlError>;
}

export interface BeforeBridgeRun extends BeforeBridge {
  leg: CallLeg;
  url: string;
  method: HttpMethod;
  /** The leg's parties, as its requests name them. */
  from: string;
  to: string;
}

export interface Verb {
  /** Grammar definition ids this module runs (`Dial`, and DIDML's `Forward`). */
  readonly names: readonly string[];
  run(node: Projected, ctx: VerbContext): Promise<VerbOutcome>;
}

export const CONTINUE: VerbOutcome = { kind: 'continue' };

/** The attribute's value as the grammar typed it (defaults already filled in). */
export function attr<T = string>(node: Projected, name: string): T | undefined {
  return node.attributes[name] as T | undefined;
}

/** A number attribute, or `fallback` when the document's value did not type-check (Twilio 12200 goes on). */
export function num(node: Projected, name: string, fallback: number): number {
  const v = node.attributes[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function bool(node: Projected, name: string, fallback: boolean): boolean {
  const v = node.attributes[name];
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return fallback;
}

export function str(node: Projected, name: string, fallback = ''): string {
  const v = node.attributes[name];
  return v === undefined || v === null ? fallback : String(v);
}

export function methodOf(node: Projected, name = 'method'): HttpMethod {
  const m = String(node.attributes[name] ?? 'POST').toUpperCase();
  return m === 'GET' ? 'GET' : 'POST';
}

/** The action outcome of a verb with an `action`: fetch it, or report to it when the caller is gone. */
export function actionOutcome(
  node: Projected,
  ctx: VerbContext,
  params: Record<string, string>,
  callerHungUp: boolean,
  fallbackToDocument = false,
  endReason = 'caller hung up',
): VerbOutcome {
  const action = attr<string>(node, 'action');
  const url = action !== undefined && action !== '' ? ctx.resolve(action) : fallbackToDocument ? ctx.documentUrl : undefined;
  if (url === undefined) return callerHungUp ? { kind: 'end', reason: endReason } : CONTINUE;
  const method = methodOf(node);
  return callerHungUp ? { kind: 'report', url, method, params, reason: endReason } : { kind: 'fetch', url, method, params };
}
