// A call's record as Twilio's Call resource (API 2010-04-01): the JSON Twilio's helper libraries
// read (grammar/rest/calls.json, `api.v2010.account.call`). https://www.twilio.com/docs/voice/api/call-resource
import type { CallRecord } from '../../state/types.js';
import { API_VERSION } from '../../runtime/params.js';

/** RFC 2822 dates as Twilio writes them: `Tue, 31 Aug 2010 20:36:28 +0000`. */
export const rfc2822 = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toUTCString().replace(/GMT$/, '+0000'));

/** Twilio's `*_formatted`: a North American number as `(415) 867-5309`, anything else as given. */
export function formatted(address: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(address);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : address;
}

export const callsPath = (accountSid: string): string => `/${API_VERSION}/Accounts/${accountSid}/Calls`;

/** Twilio's subresources of a call, by key, and the path segment of each (`user_defined_messages` → `UserDefinedMessages`). */
const SUBRESOURCES = ['notifications', 'recordings', 'payments', 'events', 'siprec', 'streams', 'transcriptions', 'user_defined_message_subscriptions', 'user_defined_messages'].map(
  (key) => [key, key.replace(/(^|_)(\w)/g, (_m, _u: string, c: string) => c.toUpperCase())] as const,
);

export function callJson(r: CallRecord): Record<string, unknown> {
  const base = `${callsPath(r.accountSid)}/${r.sid}`;
  return {
    sid: r.sid,
    date_created: rfc2822(r.dateCreated),
    date_updated: rfc2822(r.dateUpdated),
    parent_call_sid: r.parentCallSid ?? null,
    account_sid: r.accountSid,
    to: r.to,
    to_formatted: formatted(r.to),
    from: r.from,
    from_formatted: formatted(r.from),
    phone_number_sid: null,
    status: r.status,
    start_time: rfc2822(r.startTime),
    end_time: rfc2822(r.endTime),
    duration: r.duration === undefined ? null : String(r.duration),
    price: null,
    price_unit: 'USD',
    direction: r.direction,
    answered_by: r.answeredBy ?? null,
    api_version: API_VERSION,
    forwarded_from: null,
    group_sid: null,
    caller_name: r.callerName ?? null,
    queue_time: '0',
    trunk_sid: null,
    uri: `${base}.json`,
    subresource_uris: Object.fromEntries(SUBRESOURCES.map(([key, segment]) => [key, `${base}/${segment}.json`])),
  };
}
