// One call against an app on the mock backend, in virtual time: what `didml call` runs, what
// `didml serve --adapter mock` runs per request, and what call-flow tests build on. The app is
// a URL, or a folder of XML documents (voice.xml answers the first request, menu.xml `/menu`).
//
// The call arrives (the script's caller calls the app), or with `outbound` the runtime places it
// (Twilio's Calls API, Direction outbound-api) and the party called is the script's callee for
// `outbound.to`. `updates` are what the Calls API's update does to the live call at given
// seconds of call time: new TwiML, a new URL, or an end (Status=completed or canceled).
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { VirtualClock } from '../clock.js';
import { DidmlError } from '../errors.js';
import { keyPath } from '../schema-errors.js';
import { targetOfAddress, type DialTarget } from '../telephony/adapter.js';
import {
  calleeFor,
  createMockAdapter,
  type CallerAction,
  type MockAdapterOptions,
  type MockCallLeg,
  type MockCallScript,
  type TranscriptEvent,
} from '../telephony/mock/index.js';
import { DEFAULT_FROM } from '../telephony/mock/script.js';
import { createWebhookClient } from '../webhook/client.js';
import { appSpaceUrl } from '../webhook/folder.js';
import type { HttpMethod, WebhookClient } from '../webhook/types.js';
import type { TimedEvent } from './events.js';
import { Session, type AppConfig, type CallSummary, type OutboundCall } from './session.js';
import type { IdGenerator } from '../ids.js';
import type { HostPolicy } from '../webhook/hosts.js';
import type { Limits } from './limits.js';

/** A call the runtime places (the Calls API's parameters, camelCase), to the script's callee for `to`. */
export interface PlacedCall {
  /** A number (E.164), a `sip:` URI (its X- headers go on the INVITE) or `client:identity`. */
  to: string;
  /** Caller ID. Default +14155550100. */
  from?: string;
  /** Seconds it rings before it is given up (no-answer). Default 60, as Twilio. */
  timeout?: number;
  machineDetection?: 'Enable' | 'DetectMessageEnd';
  /** Seconds machine detection may take. Default 30. */
  machineDetectionTimeout?: number;
  /** Keys sent once answered, before the app is requested. */
  sendDigits?: string;
  /** The first document, inline (the Calls API's Twiml), its relative URLs resolved against the app. */
  twiml?: string;
  /** Record the whole call from the answer. */
  record?: boolean;
  recordingChannels?: 'mono' | 'dual';
}

/** What the Calls API's update does to a live call: new instructions, or its end. */
export type CallInstruction =
  | { twiml: string; url?: undefined; status?: undefined }
  | { url: string; method?: HttpMethod; twiml?: undefined; status?: undefined }
  | { status: 'completed' | 'canceled'; url?: undefined; twiml?: undefined };

/** An update at `at` seconds of call time; a relative `url` is resolved against the app. */
export type CallUpdate = CallInstruction & { at: number };

/** The mock's script, and how the runtime places the call and updates it. */
export interface CallScript extends MockCallScript {
  outbound?: PlacedCall;
  updates?: CallUpdate[];
}

/** The live call, for a test that updates it at a moment of its choosing. */
export interface LiveCall {
  readonly clock: VirtualClock;
  /** Milliseconds of call time. */
  now(): number;
  /** Applies an update now (nothing happens once the call is over). */
  update(instruction: CallInstruction): void;
  /** The caller (or, on a placed call, the party called) hangs up now; false when no one has answered yet. */
  hangup(): boolean;
}

export interface SimulateOptions {
  /** An app URL, a folder of XML documents, or one XML file (its folder is the app). */
  app: string | AppConfig;
  call?: CallScript;
  /** Sign webhooks with X-Twilio-Signature. */
  authToken?: string;
  /** A client to share between calls (keeps its connections); one is made and closed otherwise. */
  webhooks?: WebhookClient;
  ids?: IdGenerator;
  limits?: Partial<Limits>;
  /** Each event as it happens (an interactive terminal shows them live). */
  onEvent?: (event: TranscriptEvent) => void;
  /** The caller's next action once `call.caller` has run out (an interactive caller). */
  ask?: MockAdapterOptions['ask'];
  /** Given the live call as soon as it starts. */
  onLive?: (live: LiveCall) => void;
  /** Which hosts a scripted agent's websocket may be on (serve: the webhooks' rules); the built-in rules by default. */
  hosts?: HostPolicy;
}

export interface SimulatedCall {
  summary: CallSummary;
  /** Everything that happened, in order: the backend's events and the runtime's (webhooks...). */
  events: TranscriptEvent[];
  /** Scripted caller actions the app never asked for (a scenario can say so). */
  unusedActions: CallerAction[];
  /** Indexes of `call.updates` never applied: the call was over by then. */
  unusedUpdates: number[];
}

/**
 * Where an app lives, for what a user typed: a URL stays as it is; a folder, or a file in one,
 * becomes that folder's own URL space (`app://name/`, the folder as its root).
 */
export function locateApp(app: string): { url: string; root?: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(app)) return { url: app };
  const path = resolvePath(app);
  if (!existsSync(path)) throw new Error(`${app}: no such file or folder (give an app URL, a folder of XML documents, or an XML file)`);
  if (statSync(path).isDirectory()) return { url: appSpaceUrl(path), root: path };
  const root = dirname(path);
  return { url: appSpaceUrl(root, basename(path).replace(/\.xml$/i, '')), root };
}

/** `outbound.to` as the target its INVITE goes to. */
export const placedTarget = (to: string): DialTarget => targetOfAddress(to).target;

/**
 * The actions the app's Gathers consume, and their key in the script: the caller's, or on a
 * placed call those of the callee `outbound.to` reaches (`callees["+1…"].actions`).
 */
export function scriptedActions(script: CallScript): { key: string; party: string; actions: CallerAction[] } {
  if (!script.outbound) return { key: 'caller', party: 'the caller', actions: script.caller ?? [] };
  const key = calleeEntry(script, script.outbound.to);
  return { key: `callees${keyPath(key)}.actions`, party: 'the party called', actions: script.callees?.[key]?.actions ?? [] };
}

/** The key of `callees` the party called is looked up by ('*', or its own when it has none). */
function calleeEntry(script: CallScript, to: string): string {
  const callees = script.callees ?? {};
  const behaviour = calleeFor(script, placedTarget(to));
  return Object.keys(callees).find((k) => callees[k] === behaviour) ?? to;
}

/** Keys of a script for a call that arrives, and why they mean nothing on one the runtime places. */
const ARRIVING_ONLY: Record<string, (callee: string) => string> = {
  from: () => "a placed call's caller ID is outbound.from",
  to: () => 'the party a placed call goes to is outbound.to',
  caller: (callee) => `a placed call has no caller: what the party called presses and says at the app's Gathers is callees${keyPath(callee)}.actions`,
  hangupAfter: (callee) => `a placed call has no caller to hang up: the party called hangs up after callees${keyPath(callee)}.talk seconds`,
  headers: () => "are the INVITE's headers of a call that arrives; a placed call's go on outbound.to (sip:…?X-Name=value)",
  callerName: () => 'is the name of a caller who calls in; a placed call has none',
  sourceIp: () => 'is where a call that arrives comes from; a placed call has none',
};

const INSTRUCTIONS = ['twiml', 'url', 'status'] as const;

/**
 * What a schema cannot say about a script: keys of an arriving call on a placed one, options
 * that need another, updates that are not exactly one thing or come out of order. Each problem
 * names its key (`caller: …`, `updates[1].at: …`), relative to the script.
 */
export function callScriptProblems(script: CallScript): string[] {
  const problems: string[] = [];
  const o = script.outbound;
  if (o) {
    const callee = calleeEntry(script, o.to);
    for (const [key, why] of Object.entries(ARRIVING_ONLY)) if (script[key as keyof CallScript] !== undefined) problems.push(`${key}: ${why(callee)}`);
    if (o.machineDetectionTimeout !== undefined && !o.machineDetection) problems.push('outbound.machineDetectionTimeout: applies only with outbound.machineDetection');
    if (o.machineDetection && o.sendDigits !== undefined) problems.push('outbound.sendDigits: Twilio ignores machineDetection when sendDigits is given; give one of them');
    if (o.recordingChannels && !o.record) problems.push('outbound.recordingChannels: applies only with outbound.record');
  }
  let ended: number | undefined;
  const updates = (script.updates ?? []) as (Record<string, unknown> & { at: number })[];
  updates.forEach((u, i) => {
    const found = INSTRUCTIONS.filter((k) => u[k] !== undefined);
    if (found.length !== 1) problems.push(`updates[${i}]: an update needs exactly one of ${INSTRUCTIONS.join(', ')} (found ${found.join(' and ') || 'none'})`);
    if (u['method'] !== undefined && u['url'] === undefined) problems.push(`updates[${i}].method: applies only with url`);
    const before = updates[i - 1];
    if (before && u.at < before.at) problems.push(`updates[${i}].at: ${u.at} s comes before updates[${i - 1}] (${before.at} s): list updates in the order they happen`);
    if (ended !== undefined) problems.push(`updates[${i}]: updates[${ended}] ends the call (status ${String(updates[ended]!['status'])}); nothing can update it after that`);
    else if (u['status'] !== undefined) ended = i;
  });
  return problems;
}

/** The session's half of a placed call: the mock's originate with the script's options. */
function outboundCall(o: PlacedCall, originate: ReturnType<typeof createMockAdapter>['originate'], placed: () => void): OutboundCall {
  const from = o.from ?? DEFAULT_FROM;
  return {
    from,
    to: o.to,
    ...(o.sendDigits !== undefined ? { sendDigits: o.sendDigits } : {}),
    ...(o.record ? { record: { channels: o.recordingChannels === 'dual' ? 2 : 1 } } : {}),
    originate(more) {
      const result = originate({
        target: placedTarget(o.to),
        from,
        timeout: o.timeout ?? 60,
        ...(o.machineDetection ? { machineDetection: { mode: o.machineDetection, timeout: o.machineDetectionTimeout ?? 30 } } : {}),
        ...more,
      });
      placed();
      return result;
    },
  };
}

export async function simulateCall(options: SimulateOptions): Promise<SimulatedCall> {
  const given = typeof options.app === 'string' ? { url: options.app } : options.app;
  const where = locateApp(given.url);
  const app: AppConfig = { ...given, url: where.url };
  const { outbound, updates = [], ...script } = options.call ?? {};
  const problems = callScriptProblems(options.call ?? {});
  if (problems.length) throw new DidmlError('DIDML_CONFIG', `call script: ${problems.join('; ')}`);
  const clock = new VirtualClock();
  const started = clock.now();
  const elapsed = () => clock.now() - started;
  const adapter = createMockAdapter({ clock, ...(options.ask ? { ask: options.ask } : {}), ...(options.hosts ? { hosts: options.hosts } : {}), ...(outbound ? { outbound: script } : {}) });
  const webhooks =
    options.webhooks ?? createWebhookClient({ ...(options.authToken ? { authToken: options.authToken } : {}), ...(where.root ? { appRoot: where.root } : {}) });
  const unsubscribe = options.onEvent ? adapter.onEvent((e) => options.onEvent!(e)) : undefined;
  // The leg the app's document runs on: the call that arrived, or the one placed (once it is).
  let leg: MockCallLeg | undefined;
  // A placed call's first events (a status callback) come before its leg exists.
  const early: TranscriptEvent[] = [];
  const log = ({ t, ...event }: TimedEvent) => {
    if (leg) return void leg.log(event);
    early.push({ t, ...event });
    options.onEvent?.({ t, ...event });
  };
  const timers: (() => void)[] = [];
  try {
    const arrived = outbound ? undefined : adapter.placeCall(script);
    leg = arrived?.leg;
    const session = new Session(arrived, {
      app,
      webhooks,
      clock,
      ...(options.ids ? { ids: options.ids } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(outbound?.twiml !== undefined ? { twiml: outbound.twiml } : {}),
      ...(outbound ? { outbound: outboundCall(outbound, (o) => adapter.originate(o), () => (leg = [...adapter.calls.values()].at(-1))) } : {}),
      onEvent: log,
    });
    let over = false;
    const live: LiveCall = {
      clock,
      now: elapsed,
      update(u) {
        if (over) return;
        if (u.status !== undefined) {
          session.end(u.status, `an update ended the call (Status=${u.status})`);
        } else if (u.twiml !== undefined) session.redirect({ twiml: u.twiml });
        else session.redirect({ url: new URL(u.url, app.url).href, method: u.method ?? 'POST' });
      },
      hangup() {
        if (!leg?.answered || leg.isEnded) return false;
        leg.callerHangup();
        return true;
      },
    };
    const applied = new Set<number>();
    updates.forEach((u, i) => {
      const { at: _at, ...instruction } = u;
      timers.push(
        clock.timer(Math.round(u.at * 1000) - elapsed(), () => {
          if (over) return;
          applied.add(i);
          live.update(instruction as CallInstruction);
        }),
      );
    });
    options.onLive?.(live);
    const summary = await session.run().finally(() => (over = true));
    if (leg) await leg.ended;
    const events = [...early, ...(leg?.transcript ?? [])];
    return { summary, events, unusedActions: [...(leg?.unusedActions ?? [])], unusedUpdates: updates.flatMap((_, i) => (applied.has(i) ? [] : [i])) };
  } finally {
    for (const cancel of timers) cancel();
    unsubscribe?.();
    await adapter.close();
    if (!options.webhooks) await webhooks.close();
  }
}
