// A stand-in for drachtio-server, for tests: it speaks drachtio's wire protocol to the real
// drachtio-srf inside the app, and plays the SIP network's part from the test's script.
//
// The wire protocol (drachtio-srf lib/wire-protocol.js, lib/drachtio-agent.js; drachtio-server
// src/client.cpp): TCP, each message `<byte length>#<message>`, a message `<uuid>|<type>|...`
// with a SIP message after the first CRLF where there is one.
//   app → server   authenticate|<secret>|<tags>      route|<method>      ping
//                  sip|<transaction id>|<dialog id>[|<outbound proxy>] CRLF <SIP message>
//   server → app   response|<app message id>|OK|...  (to each of the above; for `sip`, the
//                  message as it went on the wire: |OK|application|<bytes>|<transport>|<address>|
//                  <port>|<time>|<transaction id>|<dialog id>| CRLF <SIP>)
//                  sip|network|<bytes>|<transport>|<address>|<port>|<time>|<transaction id>|<dialog id>| CRLF <SIP>
//                  (a request or response from the network; `application`/`unsolicited` for a BYE
//                  the server sent itself, e.g. on session timer expiry)
// Everything the app asked to send is recorded as the network saw it, so tests assert on SIP text.
import { EventEmitter } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  cseqOf,
  has,
  header,
  parseSip,
  removeHeader,
  responseTo,
  sdp,
  serialize,
  setHeader,
  tagOf,
  token,
  uriOf,
  type SipMessage,
} from './sip.js';

export const SERVER_SIP = '127.0.0.1:5060';
export const HOSTPORTS = `udp/${SERVER_SIP},tcp/${SERVER_SIP}`;

export interface Recorded {
  seq: number;
  /** `app`: a message the app asked drachtio to send; `network`: one the network sent the app. */
  from: 'app' | 'network';
  method: string;
  status?: number;
  message: SipMessage;
  /** The message as on the wire. */
  text: string;
  /** The outbound proxy the app asked for. */
  proxy?: string;
  callId: string;
  /** The drachtio connection it came or went on. */
  conn?: Conn;
}

interface Dialog {
  id: string;
  callId: string;
  /** From/To values of each side, tags included. */
  appSide: string;
  netSide: string;
  /** Where requests to each side go. */
  appContact: string;
  netContact: string;
  appCseq: number;
  netCseq: number;
  conn: Conn;
  inviteCseq: number;
  /** Network address of the far end (meta of its messages). */
  netAddress: string;
  ended: boolean;
  /** The app's ACK for the 2xx came (RFC 3261 §15: no BYE from the callee before it). */
  acked: Promise<void>;
  ack: () => void;
}

function ackable(): { acked: Promise<void>; ack: () => void } {
  let ack!: () => void;
  const acked = new Promise<void>((r) => (ack = r));
  return { acked, ack };
}

/** A request the app sent outside a dialog (INVITE, REGISTER...), waiting for the network's answer. */
export class AppRequest {
  cancelled = false;
  final = false;
  readonly responses: number[] = [];
  /** The dialog a 2xx started: requests from the far end (BYE...). */
  dialog?: NetDialog;
  /** Called when the app CANCELs it; default: 487. */
  onCancel?: () => void;
  #toTag = token(4);
  constructor(
    readonly stand: StandIn,
    readonly conn: Conn,
    readonly txnId: string,
    readonly message: SipMessage,
    readonly proxy: string | undefined,
    readonly address: string,
  ) {}

  get uri(): string {
    return this.message.uri ?? '';
  }

  get method(): string {
    return this.message.method ?? '';
  }

  get(name: string): string | undefined {
    return header(this.message, name);
  }

  /** Answers the request as the network: for a 2xx to an INVITE a dialog starts (with SDP unless `body` says otherwise). */
  respond(status: number, opts: { headers?: Record<string, string>; body?: string } = {}): void {
    if (this.final) return;
    if (status >= 200) this.final = true;
    this.responses.push(status);
    const invite = this.method === 'INVITE';
    const body = opts.body ?? (invite && status === 200 ? sdp('198.51.100.20', 30000) : '');
    const res = responseTo(this.message, status, { ...(status > 100 ? { toTag: this.#toTag } : {}), headers: opts.headers ?? {}, body });
    let dialogId = '';
    if (invite && status >= 200 && status < 300) {
      const contact = `<sip:far@${this.address}:5060>`;
      setHeader(res, 'Contact', contact);
      dialogId = `${header(res, 'Call-ID')};uac-${token(3)}`;
      const d: Dialog = {
        id: dialogId,
        callId: header(res, 'Call-ID') ?? '',
        appSide: header(this.message, 'From') ?? '',
        netSide: header(res, 'To') ?? '',
        appContact: uriOf(header(this.message, 'Contact')),
        netContact: uriOf(contact),
        appCseq: cseqOf(this.message).seq,
        netCseq: 1,
        conn: this.conn,
        inviteCseq: cseqOf(this.message).seq,
        netAddress: this.address,
        ended: false,
        ...ackable(),
      };
      this.stand.dialogs.set(dialogId, d);
      this.dialog = new NetDialog(this.stand, d);
    }
    this.stand.fromNetwork(this.conn, res, { txnId: this.txnId, dialogId, address: this.address });
  }

}

/** A request the app sent inside a dialog. */
export class InDialogRequest {
  responded = false;
  constructor(
    readonly stand: StandIn,
    readonly dialog: NetDialog,
    readonly txnId: string,
    readonly message: SipMessage,
  ) {}

  get method(): string {
    return this.message.method ?? '';
  }

  get(name: string): string | undefined {
    return header(this.message, name);
  }

  respond(status: number, opts: { headers?: Record<string, string>; body?: string } = {}): void {
    if (this.responded) return;
    this.responded = true;
    const res = responseTo(this.message, status, { headers: opts.headers ?? {}, body: opts.body ?? '' });
    if (this.method === 'INVITE' && status === 200) setHeader(res, 'Contact', `<${this.dialog.d.netContact}>`);
    this.stand.fromNetwork(this.dialog.d.conn, res, { txnId: this.txnId, dialogId: this.dialog.id, address: this.dialog.d.netAddress });
  }
}

/** The network's side of a dialog: requests from the far end to the app. */
export class NetDialog {
  constructor(
    readonly stand: StandIn,
    readonly d: Dialog,
  ) {}

  get id(): string {
    return this.d.id;
  }

  get ended(): boolean {
    return this.d.ended;
  }

  /** Resolves when the app has ACKed the 2xx that made this dialog (the app as caller). */
  get acked(): Promise<void> {
    return this.d.acked;
  }

  /** Sends a request from the far end; resolves with the app's response status. */
  request(method: string, opts: { headers?: Record<string, string>; body?: string; source?: 'network' | 'application'; txnId?: string } = {}): Promise<number> {
    const d = this.d;
    const m: SipMessage = { startLine: `${method} ${d.appContact} SIP/2.0`, method, uri: d.appContact, headers: [], body: opts.body ?? '' };
    m.headers.push(['Via', `SIP/2.0/UDP ${d.netAddress}:5060;branch=z9hG4bK${token(6)}`]);
    m.headers.push(['Max-Forwards', '70']);
    m.headers.push(['From', d.netSide], ['To', d.appSide], ['Call-ID', d.callId], ['CSeq', `${++d.netCseq} ${method}`]);
    for (const [k, v] of Object.entries(opts.headers ?? {})) m.headers.push([k, v]);
    if (method === 'BYE') d.ended = true;
    const txnId = opts.txnId ?? randomUUID();
    const answered = this.stand.awaitAppResponse(txnId);
    this.stand.fromNetwork(d.conn, m, { txnId, dialogId: d.id, address: d.netAddress, source: opts.source ?? 'network' });
    if (method !== 'INVITE') return answered;
    // A re-INVITE's 2xx is ACKed (RFC 3261 §13.2.2.4).
    return answered.then((status) => {
      if (status >= 200 && status < 300) {
        const ack: SipMessage = { startLine: `ACK ${d.appContact} SIP/2.0`, method: 'ACK', uri: d.appContact, headers: [], body: '' };
        ack.headers.push(['Via', `SIP/2.0/UDP ${d.netAddress}:5060;branch=z9hG4bK${token(6)}`], ['Max-Forwards', '70']);
        ack.headers.push(['From', d.netSide], ['To', d.appSide], ['Call-ID', d.callId], ['CSeq', `${d.netCseq} ACK`]);
        this.stand.fromNetwork(d.conn, ack, { txnId: randomUUID(), dialogId: d.id, address: d.netAddress });
      }
      return status;
    });
  }

  bye(headers: Record<string, string> = {}): Promise<number> {
    return this.request('BYE', { headers });
  }

  /** drachtio-server ending the dialog itself (RFC 4028 session timer expiry): an unsolicited BYE. */
  expire(): void {
    this.d.ended = true;
    void this.request('BYE', { headers: { Reason: 'SIP ;cause=200 ;text="Session timer expired"' }, source: 'application', txnId: 'unsolicited' });
  }
}

/** A call the network places to the app. */
export class CallerCall {
  readonly callId = `${token(8)}@carrier.example`;
  readonly fromTag = token(4);
  readonly txnId = randomUUID();
  readonly invite: SipMessage;
  /** Status codes of the app's responses, in order. */
  readonly responses: number[] = [];
  dialog?: NetDialog;
  #waiters: { want: (s: number) => boolean; resolve: (s: number) => void }[] = [];

  constructor(
    readonly stand: StandIn,
    readonly conn: Conn,
    o: CallOptions,
  ) {
    const to = o.to ?? '+14155550199';
    const from = o.from ?? '+14155550100';
    const uri = to.startsWith('sip:') ? to : `sip:${to}@${SERVER_SIP}`;
    const m: SipMessage = { startLine: `INVITE ${uri} SIP/2.0`, method: 'INVITE', uri, headers: [], body: o.sdp ?? sdp(o.sourceIp ?? '203.0.113.5', 20000) };
    m.headers.push(['Via', `SIP/2.0/UDP ${o.sourceIp ?? '203.0.113.5'}:5060;branch=z9hG4bK${token(6)}`]);
    m.headers.push(['Max-Forwards', '70']);
    const fromUri = from.startsWith('sip:') ? from : `sip:${from}@carrier.example`;
    m.headers.push(['From', `${o.callerName ? `"${o.callerName}" ` : ''}<${fromUri}>;tag=${this.fromTag}`]);
    m.headers.push(['To', `<${uri}>`], ['Call-ID', this.callId], ['CSeq', '1 INVITE']);
    m.headers.push(['Contact', `<sip:caller@${o.sourceIp ?? '203.0.113.5'}:5060>`]);
    for (const [k, v] of Object.entries(o.headers ?? {})) m.headers.push([k, v]);
    if (m.body) m.headers.push(['Content-Type', 'application/sdp']);
    this.invite = m;
    stand.inbound.set(this.txnId, this);
    stand.fromNetwork(conn, m, { txnId: this.txnId, dialogId: '', address: o.sourceIp ?? '203.0.113.5' });
  }

  /** The app answered this INVITE (called by the stand-in). */
  onResponse(res: SipMessage, dialogId: string): void {
    const status = res.status ?? 0;
    this.responses.push(status);
    if (status >= 200 && status < 300) {
      const d: Dialog = {
        id: dialogId,
        callId: this.callId,
        appSide: header(res, 'To') ?? '',
        netSide: header(this.invite, 'From') ?? '',
        appContact: uriOf(header(res, 'Contact')),
        netContact: uriOf(header(this.invite, 'Contact')),
        appCseq: 0,
        netCseq: 1,
        conn: this.conn,
        inviteCseq: 1,
        netAddress: /UDP ([^:;]+)/.exec(header(this.invite, 'Via') ?? '')?.[1] ?? '203.0.113.5',
        ended: false,
        ...ackable(),
      };
      this.stand.dialogs.set(dialogId, d);
      this.dialog = new NetDialog(this.stand, d);
      // RFC 3261 §13.2.2.4: the caller ACKs the 2xx.
      const ack: SipMessage = { startLine: `ACK ${d.appContact} SIP/2.0`, method: 'ACK', uri: d.appContact, headers: [], body: '' };
      ack.headers.push(['Via', `SIP/2.0/UDP ${d.netAddress}:5060;branch=z9hG4bK${token(6)}`], ['Max-Forwards', '70']);
      ack.headers.push(['From', d.netSide], ['To', d.appSide], ['Call-ID', d.callId], ['CSeq', '1 ACK']);
      this.stand.fromNetwork(this.conn, ack, { txnId: randomUUID(), dialogId, address: d.netAddress });
    }
    for (const w of [...this.#waiters]) {
      if (w.want(status)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(status);
      }
    }
  }

  /** Resolves with the app's first final response (or the first matching `want`). */
  response(want: (s: number) => boolean = (s) => s >= 200, timeoutMs = 5000): Promise<number> {
    const seen = this.responses.find(want);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no response (have ${this.responses.join(', ') || 'none'}) within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ want, resolve: (s) => (clearTimeout(t), resolve(s)) });
    });
  }

  /** The caller gives up before an answer: CANCEL; the stack answers 487 to the INVITE itself. */
  cancel(): void {
    const m: SipMessage = { startLine: `CANCEL ${this.invite.uri} SIP/2.0`, method: 'CANCEL', uri: this.invite.uri!, headers: [], body: '' };
    for (const name of ['Via', 'From', 'To', 'Call-ID']) m.headers.push([name, header(this.invite, name)!]);
    m.headers.push(['Max-Forwards', '70'], ['CSeq', '1 CANCEL']);
    this.stand.finishedInbound.add(this.txnId);
    this.stand.fromNetwork(this.conn, m, { txnId: randomUUID(), dialogId: '', address: '203.0.113.5' });
  }

  bye(): Promise<number> {
    if (!this.dialog) throw new Error('the call was not answered');
    return this.dialog.bye();
  }
}

export interface CallOptions {
  from?: string;
  to?: string;
  callerName?: string;
  headers?: Record<string, string>;
  sourceIp?: string;
  sdp?: string;
}

export class Conn {
  #buf = Buffer.alloc(0);
  authenticated = false;
  constructor(
    readonly stand: StandIn,
    readonly socket: Socket,
  ) {
    socket.on('data', (d: Buffer) => this.#data(d));
    socket.on('error', () => undefined);
    socket.on('close', () => stand.conns.delete(this));
  }

  send(text: string): void {
    if (!this.socket.destroyed) this.socket.write(`${Buffer.byteLength(text, 'utf8')}#${text}`);
  }

  #data(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    for (let i = 0; i < 10_000; i++) {
      const hash = this.#buf.indexOf('#');
      if (hash <= 0) return;
      const len = Number(this.#buf.toString('utf8', 0, hash));
      if (!Number.isInteger(len) || len <= 0) throw new Error(`bad frame length from the app: ${this.#buf.toString('utf8', 0, hash)}`);
      if (this.#buf.length < hash + 1 + len) return;
      const msg = this.#buf.toString('utf8', hash + 1, hash + 1 + len);
      this.#buf = this.#buf.subarray(hash + 1 + len);
      this.stand.fromApp(this, msg);
    }
  }
}

export interface StandInOptions {
  secret?: string;
}

export class StandIn extends EventEmitter {
  readonly log: Recorded[] = [];
  readonly conns = new Set<Conn>();
  readonly dialogs = new Map<string, Dialog>();
  readonly inbound = new Map<string, CallerCall>();
  readonly finishedInbound = new Set<string>();
  readonly appRequests = new Map<string, AppRequest>();
  /** Route requests the app made (`invite`, `cdr:...`). */
  readonly routes: string[] = [];
  authentications = 0;
  /** The network's answer to each request the app sends outside a dialog (default: 404). */
  onRequest: (req: AppRequest) => void = (req) => req.respond(404);
  /** The far end's answer to a request the app sends inside a dialog; return true when handled. */
  onInDialog: (req: InDialogRequest) => boolean | void = () => false;
  readonly #secret: string;
  #server?: Server;
  #seq = 0;
  #appResponseWaiters = new Map<string, (status: number) => void>();

  private constructor(o: StandInOptions) {
    super();
    this.#secret = o.secret ?? 'cymru';
  }

  /** Inbound mode: listens on 127.0.0.1 for the app to connect. */
  static async listen(o: StandInOptions = {}): Promise<StandIn> {
    const s = new StandIn(o);
    s.#server = createServer((socket) => s.conns.add(new Conn(s, socket)));
    await new Promise<void>((resolve) => s.#server!.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** Outbound mode: a stand-in that connects to the app (drachtio-server opening a connection for a call). */
  static create(o: StandInOptions = {}): StandIn {
    return new StandIn(o);
  }

  /** Opens a connection to an app listening in outbound mode; resolves once it authenticated. */
  async connectTo(port: number): Promise<Conn> {
    const socket = connect(port, '127.0.0.1');
    const conn = new Conn(this, socket);
    this.conns.add(conn);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the app did not authenticate within 5 s')), 5000);
      const check = (c: Conn) => {
        if (c !== conn) return;
        clearTimeout(t);
        this.off('authenticated', check);
        resolve();
      };
      this.on('authenticated', check);
    });
    return conn;
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  /** The connection calls go through: the last one that authenticated. */
  get conn(): Conn {
    const c = [...this.conns].reverse().find((x) => x.authenticated);
    if (!c) throw new Error('the app is not connected');
    return c;
  }

  /** The network places a call to the app. */
  call(o: CallOptions = {}, conn: Conn = this.conn): CallerCall {
    return new CallerCall(this, conn, o);
  }

  /** Resolves once `n` authentications have happened (the app connected, or reconnected). */
  async authenticated(n = 1, timeoutMs = 5000): Promise<void> {
    if (this.authentications >= n) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the app authenticated ${this.authentications} times, not ${n}, within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (this.authentications < n) return;
        clearTimeout(t);
        this.off('authenticated', check);
        resolve();
      };
      this.on('authenticated', check);
    });
  }

  /** Resolves with the first recorded message (from now on, or already seen) that matches. */
  waitFor(pred: (r: Recorded) => boolean, timeoutMs = 5000, what = 'a matching SIP message'): Promise<Recorded> {
    const seen = this.log.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('record', check);
        reject(new Error(`${what} did not come within ${timeoutMs} ms; seen:\n${this.summary()}`));
      }, timeoutMs);
      const check = (r: Recorded) => {
        if (!pred(r)) return;
        clearTimeout(t);
        this.off('record', check);
        resolve(r);
      };
      this.on('record', check);
    });
  }

  /** Messages the app sent, optionally of one method (responses count by their CSeq method). */
  sent(method?: string): Recorded[] {
    return this.log.filter((r) => r.from === 'app' && (method === undefined || (r.status === undefined && r.method === method)));
  }

  /** One line per recorded message. */
  summary(): string {
    return this.log.map((r) => `${r.seq} ${r.from === 'app' ? '→' : '←'} ${r.message.startLine}${r.status ? ` (${r.method})` : ''}`).join('\n');
  }

  /** Drops every connection (drachtio-server going away). */
  dropConnections(): void {
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
  }

  async close(): Promise<void> {
    this.dropConnections();
    if (this.#server) await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  awaitAppResponse(txnId: string, timeoutMs = 5000): Promise<number> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#appResponseWaiters.delete(txnId);
        reject(new Error(`the app did not answer transaction ${txnId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#appResponseWaiters.set(txnId, (s) => {
        clearTimeout(t);
        resolve(s);
      });
    });
  }

  #record(from: Recorded['from'], message: SipMessage, proxy?: string, conn?: Conn): Recorded {
    const r: Recorded = {
      seq: ++this.#seq,
      from,
      method: message.method ?? cseqOf(message).method,
      ...(message.status !== undefined ? { status: message.status } : {}),
      message,
      text: serialize(message),
      ...(proxy ? { proxy } : {}),
      callId: header(message, 'Call-ID') ?? '',
      ...(conn ? { conn } : {}),
    };
    this.log.push(r);
    this.emit('record', r);
    return r;
  }

  /** Sends a SIP message from the network (or drachtio itself) to the app. */
  fromNetwork(conn: Conn, m: SipMessage, o: { txnId: string; dialogId: string; address: string; source?: 'network' | 'application' }): void {
    const text = serialize(m);
    this.#record('network', m, undefined, conn);
    const bytes = Buffer.byteLength(text, 'utf8');
    conn.send(`${randomUUID()}|sip|${o.source ?? 'network'}|${bytes}|udp|${o.address}|5060|${new Date().toISOString().slice(11, 23)}|${o.txnId}|${o.dialogId}|127.0.0.1|5060|\r\n${text}`);
  }

  #reply(conn: Conn, msgId: string, rest: string): void {
    conn.send(`${randomUUID()}|response|${msgId}|${rest}`);
  }

  /** A message from the app. */
  fromApp(conn: Conn, msg: string): void {
    const crlf = msg.indexOf('\r\n');
    const leader = crlf >= 0 ? msg.slice(0, crlf) : msg;
    const body = crlf >= 0 ? msg.slice(crlf + 2) : '';
    const t = leader.split('|');
    const msgId = t[0]!;
    switch (t[1]) {
      case 'authenticate':
        if (t[2] !== this.#secret) return this.#reply(conn, msgId, 'NO|incorrect secret');
        conn.authenticated = true;
        this.authentications++;
        this.#reply(conn, msgId, `OK|${HOSTPORTS}|v0.9.3-stand-in|`);
        this.emit('authenticated', conn);
        return;
      case 'route':
        this.routes.push(t[2] ?? '');
        return this.#reply(conn, msgId, 'OK');
      case 'ping':
        return this.#reply(conn, msgId, 'OK|pong');
      case 'sip':
        return this.#sip(conn, msgId, t[2] ?? '', t[3] ?? '', t[4], body);
      default:
        return this.#reply(conn, msgId, 'NO|Unknown message type');
    }
  }

  #echo(conn: Conn, msgId: string, m: SipMessage, txnId: string, dialogId: string, address: string): void {
    const text = serialize(m);
    this.#reply(conn, msgId, `OK|application|${Buffer.byteLength(text, 'utf8')}|udp|${address}|5060|${new Date().toISOString().slice(11, 23)}|${txnId}|${dialogId}||Msg sent:|\r\n${text}`);
  }

  #sip(conn: Conn, msgId: string, txnId: string, dialogId: string, proxy: string | undefined, text: string): void {
    const m = parseSip(text);
    if (m.status !== undefined) return this.#appResponse(conn, msgId, txnId, m);
    if (dialogId) return this.#inDialog(conn, msgId, dialogId, m);
    if (m.method === 'CANCEL' && txnId) return this.#appCancel(conn, msgId, txnId, m);
    if (m.method === 'ACK') {
      // The ACK for a non-2xx final response: the stack's business; nothing goes further.
      this.#echo(conn, msgId, m, randomUUID(), '', '127.0.0.1');
      return;
    }
    this.#appRequest(conn, msgId, m, proxy);
  }

  /** The app answers a request from the network (an INVITE, BYE, NOTIFY...). */
  #appResponse(conn: Conn, msgId: string, txnId: string, m: SipMessage): void {
    const call = this.inbound.get(txnId);
    if (call && this.finishedInbound.has(txnId)) return this.#reply(conn, msgId, 'NO|Response not sent due to unknown transaction');
    if (call) {
      const status = m.status!;
      const req = call.invite;
      for (const name of ['Via', 'From', 'Call-ID', 'CSeq']) if (!has(m, name)) m.headers.push([name, header(req, name)!]);
      const to = header(m, 'To') ?? header(req, 'To')!;
      (call as unknown as { appTag?: string }).appTag ??= token(4);
      setHeader(m, 'To', status > 100 && !tagOf(to) ? `${to};tag=${(call as unknown as { appTag: string }).appTag}` : to);
      let dialogId = '';
      if (status >= 200) this.finishedInbound.add(txnId);
      if (status >= 200 && status < 300) {
        if (!has(m, 'Contact')) setHeader(m, 'Contact', `<sip:${SERVER_SIP}>`);
        if (m.body && !has(m, 'Content-Type')) setHeader(m, 'Content-Type', 'application/sdp');
        dialogId = `${call.callId};from-tag=${call.fromTag}`;
      }
      this.#record('app', m, undefined, conn);
      this.#echo(conn, msgId, m, txnId, dialogId, '203.0.113.5');
      call.onResponse(m, dialogId);
      return;
    }
    // A response inside a dialog (to the network's BYE, NOTIFY, re-INVITE...).
    this.#record('app', m, undefined, conn);
    this.#echo(conn, msgId, m, txnId, '', '127.0.0.1');
    const waiter = this.#appResponseWaiters.get(txnId);
    if (waiter && (m.status ?? 0) >= 200) {
      this.#appResponseWaiters.delete(txnId);
      waiter(m.status!);
    }
  }

  /** A new request from the app outside any dialog (INVITE, REGISTER...): completed as a stack would, then the network answers. */
  #appRequest(conn: Conn, msgId: string, m: SipMessage, proxy: string | undefined): void {
    const txnId = randomUUID();
    const method = m.method ?? '';
    m.headers.unshift(['Via', `SIP/2.0/UDP ${SERVER_SIP};branch=z9hG4bK${token(6)}`]);
    if (!has(m, 'Max-Forwards')) m.headers.push(['Max-Forwards', '70']);
    // drachtio-server puts its own address where the app wrote `localhost` (createUAC's From).
    for (const name of ['From', 'Contact']) {
      const v = header(m, name);
      if (v) setHeader(m, name, v.replace(/@localhost\b/, `@${SERVER_SIP}`));
    }
    const from = header(m, 'From');
    if (!from) m.headers.push(['From', `<sip:${SERVER_SIP}>;tag=${token(4)}`]);
    else if (!tagOf(from)) setHeader(m, 'From', `${from};tag=${token(4)}`);
    if (!has(m, 'To')) m.headers.push(['To', `<${m.uri}>`]);
    if (!has(m, 'Call-ID')) m.headers.push(['Call-ID', `${token(8)}@${SERVER_SIP}`]);
    if (!has(m, 'CSeq')) m.headers.push(['CSeq', `1 ${method}`]);
    if (method === 'INVITE' && !has(m, 'Contact')) m.headers.push(['Contact', `<sip:${SERVER_SIP}>`]);
    if (m.body && !has(m, 'Content-Type')) m.headers.push(['Content-Type', 'application/sdp']);
    removeHeader(m, 'content-length');
    const host = /@([^;:>]+)/.exec(m.uri ?? '')?.[1] ?? /sips?:([^;:>]+)/.exec(m.uri ?? '')?.[1] ?? 'far.example';
    const address = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : '198.51.100.20';
    this.#record('app', m, proxy, conn);
    this.#echo(conn, msgId, m, txnId, '', address);
    const req = new AppRequest(this, conn, txnId, m, proxy, address);
    this.appRequests.set(txnId, req);
    setImmediate(() => this.onRequest(req));
  }

  #appCancel(conn: Conn, msgId: string, txnId: string, m: SipMessage): void {
    const req = this.appRequests.get(txnId);
    if (req) {
      for (const name of ['Via', 'From', 'To', 'Call-ID']) if (!has(m, name)) m.headers.push([name, header(req.message, name)!]);
      if (!has(m, 'CSeq')) m.headers.push(['CSeq', `${cseqOf(req.message).seq} CANCEL`]);
    }
    this.#record('app', m, undefined, conn);
    this.#echo(conn, msgId, m, randomUUID(), '', req?.address ?? '127.0.0.1');
    if (!req) return;
    req.cancelled = true;
    setImmediate(() => {
      if (req.onCancel) req.onCancel();
      else req.respond(487);
    });
  }

  /** A request the app sends inside a dialog (BYE, REFER, re-INVITE, ACK, INFO...). */
  #inDialog(conn: Conn, msgId: string, dialogId: string, m: SipMessage): void {
    const d = this.dialogs.get(dialogId);
    if (!d) return this.#reply(conn, msgId, 'NO|unable to find dialog');
    const method = m.method ?? '';
    const seq = method === 'ACK' ? d.inviteCseq : ++d.appCseq;
    if (method === 'INVITE') d.inviteCseq = seq;
    const own = m.headers.filter(([k]) => !/^(call-id|cseq|from|to|via|max-forwards|content-length)$/i.test(k));
    const out: SipMessage = { startLine: `${method} ${d.netContact} SIP/2.0`, method, uri: d.netContact, headers: [], body: m.body };
    out.headers.push(['Via', `SIP/2.0/UDP ${SERVER_SIP};branch=z9hG4bK${token(6)}`], ['Max-Forwards', '70']);
    out.headers.push(['From', d.appSide], ['To', d.netSide], ['Call-ID', d.callId], ['CSeq', `${seq} ${method}`]);
    out.headers.push(...own);
    if (method === 'INVITE' && !has(out, 'Contact')) out.headers.push(['Contact', `<${d.appContact}>`]);
    if (out.body && !has(out, 'Content-Type')) out.headers.push(['Content-Type', 'application/sdp']);
    const txnId = randomUUID();
    this.#record('app', out, undefined, conn);
    this.#echo(conn, msgId, out, txnId, dialogId, d.netAddress);
    if (method === 'ACK') return d.ack();
    if (method === 'BYE') d.ended = true;
    const req = new InDialogRequest(this, new NetDialog(this, d), txnId, out);
    setImmediate(() => {
      if (this.onInDialog(req)) return;
      if (req.responded) return;
      if (method === 'INVITE') req.respond(200, { body: sdp(d.netAddress, 30002) });
      else if (method === 'REFER') req.respond(202);
      else req.respond(200);
    });
  }
}
