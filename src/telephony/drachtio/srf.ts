// The part of drachtio-srf (5.x, CommonJS) this backend uses, typed from its source
// (lib/srf.js, lib/dialog.js, lib/request.js, lib/response.js): its own .d.ts is loose and in
// places wrong (createUAC's callbacks, Dialog#request's options). Loaded on first use only, so
// that `didml lint` never pays for it.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

export interface SipMessageLike {
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly raw?: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
  getParsedHeader(name: string): unknown;
}

/** A request: one that arrived from the network, or one the app sent (its `response` events). */
export interface SrfRequest extends SipMessageLike, EventEmitter {
  readonly method: string;
  readonly uri: string;
  readonly source: 'network' | 'application';
  readonly source_address: string;
  readonly source_port: number;
  readonly protocol: string;
  readonly stackTxnId: string;
  readonly callingNumber: string;
  readonly callingName: string;
  readonly calledNumber: string;
  /** Only for a request the app sent: CANCEL it (RFC 3261 §9.1). */
  cancel(opts?: { headers?: Record<string, string> }, callback?: (err: Error | null) => void): void;
}

export interface SrfResponse extends SipMessageLike {
  status: number;
  readonly reason: string;
  readonly finalResponseSent: boolean;
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }, callback?: (err: unknown) => void): void;
  send(status: number, reason: string, opts?: { headers?: Record<string, string>; body?: string }, callback?: (err: unknown) => void): void;
}

export interface SrfDialog extends EventEmitter {
  readonly id: string;
  readonly type: 'uac' | 'uas';
  readonly connected: boolean;
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  readonly local: { uri: string; sdp: string };
  readonly remote: { uri: string; sdp: string };
  /** BYE (RFC 3261 §15.1.1). */
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  /** re-INVITE with `sdp`; resolves with the far end's answer. */
  modify(sdp: string): Promise<string>;
  /** A request inside the dialog; resolves with the final response. */
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfResponse>;
}

export interface SipErrorLike extends Error {
  status: number;
  reason?: string;
  res?: SrfResponse;
}

export interface UacOptions {
  headers?: Record<string, string>;
  localSdp?: string;
  /** Outbound proxy, `sip:host:port;transport=tcp`. */
  proxy?: string;
  auth?: { username: string; password: string };
  callingNumber?: string;
  /** The drachtio connection to send on (outbound mode: the call's own). */
  _socket?: unknown;
}

export interface Srf extends EventEmitter {
  connect(opts: { host: string; port: number; secret: string }): void;
  listen(opts: { host?: string; port: number; secret: string }): import('node:net').Server;
  disconnect(socket?: unknown): void;
  invite(handler: (req: SrfRequest, res: SrfResponse) => void): void;
  /**
   * The callback forms are used on purpose: the callback runs in the same turn as the message that
   * made the dialog, so listeners are on it before drachtio-srf handles the next message of the
   * same read (a BYE right behind a 200), which a promise continuation would miss.
   */
  createUAS(req: SrfRequest, res: SrfResponse, opts: { localSdp?: string; headers?: Record<string, string> }, callback: (err: Error | null, dialog: SrfDialog) => void): Srf;
  createUAC(
    uri: string,
    opts: UacOptions,
    progress: { cbRequest?: (err: Error | null, req: SrfRequest) => void; cbProvisional?: (res: SrfResponse) => void },
    callback: (err: Error | null, dialog: SrfDialog) => void,
  ): Srf;
  /** A request outside a dialog; the callback form again, so `response` listeners are on before the response can arrive. */
  request(
    uri: string,
    opts: { method: string; headers?: Record<string, string>; body?: string; proxy?: string; auth?: { username: string; password: string }; _socket?: unknown },
    callback: (err: Error | null, req: SrfRequest) => void,
  ): Srf;
  endSession(msg: { socket?: unknown }): void;
}

export interface SrfModule {
  new (tags?: string | string[]): Srf;
  parseUri(uri: string): { scheme: string; user?: string; host?: string; port?: string; params: Record<string, string | null> } | undefined;
}

let cached: SrfModule | undefined;

/** drachtio-srf's constructor, loaded on first use. */
export function loadSrf(): SrfModule {
  cached ??= createRequire(import.meta.url)('drachtio-srf') as SrfModule;
  return cached;
}

export function isSipError(e: unknown): e is SipErrorLike {
  return e instanceof Error && typeof (e as { status?: unknown }).status === 'number';
}
