// The Calls API's parameters, once their schema has passed (grammar/rest/calls.json: types and
// enums), turned into what the call service takes, with every rule a schema cannot say checked
// here. A parameter didml cannot honour on this backend is refused with a 400 that names it,
// never accepted and ignored. https://www.twilio.com/docs/voice/api/call-resource
import { CallRequestError, type PlaceCall } from '../../calls/service.js';
import type { AppTable } from '../../calls/routing.js';
import { compileDocument } from '../../runtime/document.js';
import { INLINE_APP_URL, type AppChanges, type AppConfig, type Instructions, type StatusEvent } from '../../runtime/session.js';
import { isE164 } from '../../sip/e164.js';
import { targetOfAddress, type AdapterCapabilities, type DialTarget } from '../../telephony/adapter.js';
import type { HttpMethod } from '../../webhook/types.js';
import { DidmlError } from '../../errors.js';
import { CODES } from './errors.js';

export type Form = Record<string, string | string[] | number | boolean | undefined>;

/** Parameters of Twilio's create that need what didml does not have; each refused by name with why. */
const NOT_HONOURED: Record<string, string> = {
  Byoc: 'didml has no BYOC trunks: the call goes out by the configured routes and trunks',
  CallToken: 'didml has no forwarded-call tokens',
  CallReason: 'didml does not brand calls',
  ClientNotificationUrl: 'didml has no Voice SDK push notifications',
  AsyncAmd: 'answering machine detection runs only synchronously here (MachineDetection without AsyncAmd)',
  AsyncAmdStatusCallback: 'answering machine detection runs only synchronously here',
  AsyncAmdStatusCallbackMethod: 'answering machine detection runs only synchronously here',
  MachineDetectionSpeechThreshold: "the mock's detector has no speech thresholds",
  MachineDetectionSpeechEndThreshold: "the mock's detector has no speech thresholds",
  MachineDetectionSilenceTimeout: "the mock's detector has no silence timeout",
  RecordingTrack: 'a placed call is recorded with both parties (RecordingChannels mono or dual)',
  Trim: 'recordings are not trimmed here',
  CallerId: 'the caller ID is From',
};

const STATUS_EVENTS = new Set<StatusEvent>(['initiated', 'ringing', 'answered', 'completed']);
const RECORDING_EVENTS = new Set(['in-progress', 'completed', 'absent']);
/**
 * Twilio: Timeout "the maximum is 600 seconds"; TimeLimit depends on the account (didml: at most
 * the 4 h of limits.maxCallSeconds' default); MachineDetectionTimeout, 3 to 59 s in Twilio's
 * guide (default 30). With the code of each.
 */
const RANGES: Record<string, [number, number, number]> = {
  Timeout: [1, 600, CODES.timeout],
  TimeLimit: [1, 14400, CODES.callsResource],
  MachineDetectionTimeout: [3, 59, CODES.machineDetection],
};
/** The longest Twiml Twilio takes (characters). */
export const MAX_TWIML = 4000;

const bad = (code: number, message: string) => new CallRequestError(code, 400, message);
const str = (f: Form, k: string): string | undefined => (f[k] === undefined ? undefined : String(f[k]));
const list = (f: Form, k: string): string[] => {
  const v = f[k];
  return v === undefined ? [] : (Array.isArray(v) ? v : [String(v)]).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
};

function webUrl(value: string, name: string, code: number): string {
  if (!/^https?:\/\//i.test(value) && !/^app:\/\//i.test(value)) throw bad(code, `${name} "${value}" is not a valid URL: give an absolute http:// or https:// URL`);
  if (!URL.canParse(value)) throw bad(code, `${name} "${value}" is not a valid URL`);
  return value;
}

/** `To` as a dial target: a number in E.164, a `sip:`/`sips:` URI with X- headers, or `client:identity`. */
export function parseTo(to: string, auth?: { username: string; password: string }): DialTarget {
  const { target, dropped, error } = targetOfAddress(to);
  if (target.kind === 'client' && !target.identity) throw bad(CODES.invalidTo, `To "${to}" names no client identity: client:alice`);
  if (target.kind === 'number' && !isE164(to)) throw bad(CODES.invalidTo, `To "${to}" is not a valid phone number: give it in E.164 (+14155550100), or a sip: URI, or client:identity`);
  if (target.kind !== 'sip') return target;
  if (error) throw bad(CODES.invalidTo, `To "${to}" is not a valid SIP URI: ${error}`);
  if (dropped.length) {
    throw bad(CODES.invalidTo, `To "${to}": the headers ${dropped.join(', ')} cannot be set on the INVITE; only X- headers (and User-to-User, Remote-Party-ID, P-Preferred-Identity, P-Called-Party-ID) pass, as in <Sip>`);
  }
  return { ...target, ...(auth ? { auth } : {}) };
}

function checkFrom(from: string): string {
  if (isE164(from) || /^sips?:[^\s]+$/i.test(from) || /^client:\S+$/i.test(from)) return from;
  throw bad(CODES.invalidFrom, `From "${from}" is not a valid caller ID: give a phone number in E.164 (+14155550100), a sip: URI, or client:identity`);
}

function checkRanges(f: Form): void {
  for (const [k, [min, max, code]] of Object.entries(RANGES)) {
    const v = f[k];
    if (v !== undefined && (typeof v !== 'number' || v < min || v > max)) throw bad(code, `${k} must be a whole number of seconds from ${min} to ${max}; it is ${String(v)}`);
  }
}

function checkTwiml(twiml: string): string {
  if (twiml.length > MAX_TWIML) throw bad(CODES.twimlTooLong, `Twiml is ${twiml.length} characters long; Twilio takes at most ${MAX_TWIML} (serve a longer document from a Url)`);
  const doc = compileDocument(twiml, 'auto', 65536);
  if (doc instanceof DidmlError) throw bad(CODES.documentParse, `Twiml is not a TwiML document that can run: ${doc.message}`);
  return twiml;
}

/** The instructions of a create or an update: exactly one of Url or Twiml. */
function instructions(f: Form, required: boolean): Instructions | undefined {
  const url = str(f, 'Url');
  const twiml = str(f, 'Twiml');
  // Twilio would use Url and drop Twiml with a warning (32019); didml drops nothing it was given.
  if (url !== undefined && twiml !== undefined) throw bad(CODES.callsResource, 'give Url or Twiml, not both: which of them is the call to run?');
  if (twiml !== undefined) return { twiml: checkTwiml(twiml) };
  if (url !== undefined) return { url: webUrl(url, 'Url', CODES.invalidUrl), method: (str(f, 'Method') as HttpMethod | undefined) ?? 'POST' };
  if (required) throw bad(CODES.invalidUrl, 'give the call its instructions: Url (where its TwiML comes from) or Twiml (the document itself)');
  return undefined;
}

/** How a placed call's documents are read: as the configured app its Url lies under does, else auto. */
function readingFor(url: string | undefined, apps: AppTable): Pick<AppConfig, 'dialect' | 'strictness'> {
  const app = url ? Object.values(apps).find((a) => url.startsWith(a.url)) : undefined;
  return { dialect: app?.dialect ?? 'auto', ...(app?.strictness ? { strictness: app.strictness } : {}) };
}

export function placeCallRequest(f: Form, o: { capabilities: AdapterCapabilities; backend: string; apps: AppTable }): PlaceCall {
  if (f['ApplicationSid'] !== undefined) throw bad(CODES.applicationSid, 'ApplicationSid is not supported by didml: it has no TwiML Applications; give Url or Twiml');
  for (const [name, why] of Object.entries(NOT_HONOURED)) {
    if (f[name] !== undefined) throw bad(name.startsWith('MachineDetection') || name.startsWith('AsyncAmd') ? CODES.machineDetection : CODES.callsResource, `${name} is not supported by didml: ${why}`);
  }
  const toText = str(f, 'To');
  const fromText = str(f, 'From');
  if (!toText) throw bad(CODES.toMissing, "No 'To' number is specified");
  if (!fromText) throw bad(CODES.fromMissing, "No 'From' number is specified: From is the caller ID the call goes out with");
  const username = str(f, 'SipAuthUsername');
  const password = str(f, 'SipAuthPassword');
  if ((username === undefined) !== (password === undefined)) throw bad(CODES.callsResource, 'SipAuthUsername and SipAuthPassword go together: give both');
  if (username !== undefined && !/^sips?:/i.test(toText)) throw bad(CODES.callsResource, 'SipAuthUsername and SipAuthPassword answer a digest challenge of a SIP call: To must be a sip: URI');
  const target = parseTo(toText, username !== undefined ? { username, password: password! } : undefined);
  const from = checkFrom(fromText);
  checkRanges(f);
  const next = instructions(f, true)!;

  const events = list(f, 'StatusCallbackEvent');
  const wrong = events.filter((e) => !STATUS_EVENTS.has(e as StatusEvent));
  if (wrong.length) throw bad(CODES.statusCallbackEvent, `StatusCallbackEvent ${wrong.join(', ')}: the events are initiated, ringing, answered and completed`);
  const statusCallback = str(f, 'StatusCallback');
  const fallbackUrl = str(f, 'FallbackUrl');
  const app: AppConfig = {
    url: next.url ?? INLINE_APP_URL,
    method: next.url !== undefined ? (next.method ?? 'POST') : 'POST',
    ...readingFor(next.url, o.apps),
    ...(fallbackUrl !== undefined ? { fallbackUrl: webUrl(fallbackUrl, 'FallbackUrl', CODES.invalidUrl), fallbackMethod: (str(f, 'FallbackMethod') as HttpMethod | undefined) ?? 'POST' } : {}),
    ...(statusCallback !== undefined
      ? {
          statusCallback: webUrl(statusCallback, 'StatusCallback', CODES.statusCallback),
          statusCallbackMethod: (str(f, 'StatusCallbackMethod') as HttpMethod | undefined) ?? 'POST',
          statusCallbackEvents: events.length ? (events as StatusEvent[]) : ['completed'],
        }
      : {}),
  };
  if (statusCallback === undefined && events.length) throw bad(CODES.statusCallbackEvent, 'StatusCallbackEvent needs a StatusCallback to send the events to');

  const sendDigits = str(f, 'SendDigits');
  // Twilio: 0-9, A-D, *, #, and w/W (a half-second / one-second pause), at most 32.
  if (sendDigits !== undefined && !/^[0-9A-D*#wW]{1,32}$/.test(sendDigits)) throw bad(CODES.sendDigits, `SendDigits "${sendDigits}" may hold only 0-9, A-D, *, # and w/W (a pause), at most 32 of them`);

  const md = str(f, 'MachineDetection');
  if (md !== undefined && sendDigits !== undefined) throw bad(CODES.machineDetection, 'MachineDetection with SendDigits: Twilio ignores MachineDetection when SendDigits is given; give one of them');
  if (md !== undefined) {
    if (md !== 'Enable' && md !== 'DetectMessageEnd') throw bad(CODES.machineDetection, `MachineDetection must be Enable or DetectMessageEnd, not "${md}"`);
    if (!o.capabilities.machineDetection) throw bad(CODES.machineDetection, `MachineDetection is not available on the ${o.backend} backend: it has no answering machine detector`);
  } else if (f['MachineDetectionTimeout'] !== undefined) {
    throw bad(CODES.machineDetection, 'MachineDetectionTimeout applies only with MachineDetection');
  }

  const record = f['Record'] === true;
  const recordingCallback = str(f, 'RecordingStatusCallback');
  const channels = str(f, 'RecordingChannels');
  if (channels !== undefined && channels !== 'mono' && channels !== 'dual') throw bad(CODES.callsResource, `RecordingChannels must be mono or dual, not "${channels}"`);
  const recordingEvents = list(f, 'RecordingStatusCallbackEvent');
  const wrongRec = recordingEvents.filter((e) => !RECORDING_EVENTS.has(e));
  if (wrongRec.length) throw bad(CODES.callsResource, `RecordingStatusCallbackEvent ${wrongRec.join(', ')}: the events are in-progress, completed and absent`);
  if (recordingEvents.includes('in-progress')) throw bad(CODES.callsResource, 'RecordingStatusCallbackEvent in-progress is not sent by didml: a recording is reported when it is complete (completed, absent)');
  if (!record && (recordingCallback !== undefined || channels !== undefined || recordingEvents.length)) {
    throw bad(CODES.callsResource, 'RecordingChannels and RecordingStatusCallback* apply only with Record=true');
  }

  return {
    target,
    to: toText,
    from,
    app,
    ...(next.twiml !== undefined ? { twiml: next.twiml } : {}),
    timeout: typeof f['Timeout'] === 'number' ? f['Timeout'] : 60,
    ...(typeof f['TimeLimit'] === 'number' ? { timeLimit: f['TimeLimit'] } : {}),
    ...(sendDigits ? { sendDigits } : {}),
    ...(md ? { machineDetection: { mode: md, timeout: typeof f['MachineDetectionTimeout'] === 'number' ? f['MachineDetectionTimeout'] : 30 } } : {}),
    ...(record
      ? {
          record: {
            channels: channels === 'dual' ? 2 : 1,
            ...(recordingCallback !== undefined
              ? {
                  callback: {
                    url: webUrl(recordingCallback, 'RecordingStatusCallback', CODES.callsResource),
                    method: (str(f, 'RecordingStatusCallbackMethod') as HttpMethod | undefined) ?? 'POST',
                    events: recordingEvents.length ? recordingEvents : ['completed'],
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * The Calls API's update: new instructions (Url or Twiml, with a new FallbackUrl and
 * StatusCallback if given: Twilio changes a StatusCallback only together with a Url), or Status
 * completed/canceled.
 */
export function updateCallRequest(f: Form): { instructions?: Instructions; changes?: AppChanges; status?: 'completed' | 'canceled' } {
  if (f['TimeLimit'] !== undefined) throw bad(CODES.callsResource, 'TimeLimit cannot be changed on a live call by didml: its limit was set when it began');
  const next = instructions(f, false);
  const status = str(f, 'Status') as 'completed' | 'canceled' | undefined;
  const fallbackUrl = str(f, 'FallbackUrl');
  const statusCallback = str(f, 'StatusCallback');
  const changes: AppChanges = {
    ...(fallbackUrl !== undefined ? { fallbackUrl: webUrl(fallbackUrl, 'FallbackUrl', CODES.invalidUrl), fallbackMethod: (str(f, 'FallbackMethod') as HttpMethod | undefined) ?? 'POST' } : {}),
    ...(statusCallback !== undefined ? { statusCallback: webUrl(statusCallback, 'StatusCallback', CODES.statusCallback), statusCallbackMethod: (str(f, 'StatusCallbackMethod') as HttpMethod | undefined) ?? 'POST' } : {}),
  };
  for (const [method, url] of [['FallbackMethod', 'FallbackUrl'], ['StatusCallbackMethod', 'StatusCallback']]) {
    if (f[method!] !== undefined && f[url!] === undefined) throw bad(CODES.method, `${method} goes with ${url}`);
  }
  if (Object.keys(changes).length && !next) throw bad(CODES.callsResource, 'FallbackUrl and StatusCallback change with new instructions: give Url or Twiml in the same request, as Twilio requires');
  if (!next && !status) throw bad(CODES.callsResource, 'nothing to update: give Url or Twiml (new instructions), or Status (completed or canceled)');
  return { ...(next ? { instructions: next } : {}), ...(Object.keys(changes).length ? { changes } : {}), ...(status ? { status } : {}) };
}
