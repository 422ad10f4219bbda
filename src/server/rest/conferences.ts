// Twilio's Conferences and Participants resources (API 2010-04-01) on didml: list and fetch the
// rooms <Dial><Conference> made, end one (`Status=completed`), list and fetch its participants,
// mute or hold one (`Muted`, `Hold`) and remove one (DELETE: its <Dial> ends, its document goes
// on). Read from the conference store, so with Redis every instance answers for every room; a
// change to a participant goes to the instance that runs its call. Rooms are made by <Dial>, and
// participants join by their own call's TwiML: adding one through the API (which dials out) and
// announcements are refused, said so (20001, 405).
// https://www.twilio.com/docs/voice/api/conference-resource, .../conference-participant-resource
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CallService } from '../../calls/service.js';
import { API_VERSION } from '../../runtime/params.js';
import type { ConferenceFilter, ConferenceRoom, ConferenceStatus, Participant } from '../../state/conferences.js';
import { rfc2822 } from './call-json.js';
import type { Form } from './call-params.js';
import { CODES, twilioError } from './errors.js';
import { time } from './list-dates.js';
import { REST_SCHEMA_ID } from './schemas.js';

export interface ConferencesApiOptions {
  calls: CallService;
  accountSid: string;
}

const ref = (name: string) => ({ $ref: `${REST_SCHEMA_ID}#/definitions/${name}` });
const DEFAULT_PAGE_SIZE = 50;
const SID = /^CF[0-9a-fA-F]{32}$/;

/** What a participant's update may carry; the rest of Twilio's parameters need media didml's rooms do not mix. */
const PARTICIPANT_CHANGES = new Set(['Muted', 'Hold']);
const bad = (message: string, code: number = CODES.unknownParameter) => Object.assign(new Error(message), { statusCode: 400, twilioCode: code });

/**
 * Page/PageSize paging with Twilio's tokens (PA<sid>: the page after that item, PB<sid>: the page
 * before it), as Calls.json pages; the other query parameters stay in the page URIs.
 */
function paged<T>(q: Form, all: T[], sidOf: (t: T) => string, base: string) {
  const size = typeof q['PageSize'] === 'number' ? q['PageSize'] : DEFAULT_PAGE_SIZE;
  const n = typeof q['Page'] === 'number' ? q['Page'] : 0;
  const token = q['PageToken'] === undefined ? undefined : String(q['PageToken']);
  let start = n * size;
  if (token !== undefined) {
    const at = /^P[AB]/.test(token) ? all.findIndex((t) => sidOf(t) === token.slice(2)) : -1;
    if (at < 0) throw bad(`PageToken "${token}" is not one this list gave (or its item is no longer kept): start again from first_page_uri`, CODES.pageToken);
    start = token.startsWith('PA') ? at + 1 : Math.max(0, at - size);
  }
  const items = all.slice(start, start + size);
  const kept = Object.entries(q).filter(([k]) => k !== 'Page' && k !== 'PageSize' && k !== 'PageToken');
  const uri = (p: number, tok?: string) => `${base}?${new URLSearchParams([...kept.map(([k, v]) => [k, String(v)]), ['PageSize', String(size)], ['Page', String(p)], ...(tok ? [['PageToken', tok]] : [])]).toString()}`;
  const first = items[0];
  const last = items.at(-1);
  return {
    items,
    meta: {
      end: start + Math.max(items.length - 1, 0),
      first_page_uri: uri(0),
      next_page_uri: last !== undefined && start + items.length < all.length ? uri(n + 1, `PA${sidOf(last)}`) : null,
      page: n,
      page_size: size,
      previous_page_uri: first !== undefined && start > 0 ? uri(Math.max(n - 1, 0), `PB${sidOf(first)}`) : null,
      start,
      uri: uri(n, token),
    },
  };
}

/** Twilio's filters: FriendlyName, Status, and DateCreated/DateUpdated (a day, or `>`/`<` for on-or-after / on-or-before). */
function listFilter(q: Form, accountSid: string): ConferenceFilter {
  const f: ConferenceFilter = { accountSid };
  const s = (k: string) => (q[k] === undefined ? undefined : String(q[k]));
  if (s('FriendlyName') !== undefined) f.friendlyName = s('FriendlyName')!;
  if (s('Status') !== undefined) f.status = s('Status') as ConferenceStatus;
  const range = (key: string, after: 'createdAfter' | 'updatedAfter', before: 'createdBefore' | 'updatedBefore') => {
    const on = s(key);
    const from = s(`${key}>`);
    const to = s(`${key}<`);
    if (on !== undefined) [f[after], f[before]] = [time(key, on, 'start', CODES.unknownParameter), time(key, on, 'end', CODES.unknownParameter)];
    if (from !== undefined) f[after] = time(`${key}>`, from, 'start', CODES.unknownParameter);
    if (to !== undefined) f[before] = time(`${key}<`, to, 'end', CODES.unknownParameter);
  };
  range('DateCreated', 'createdAfter', 'createdBefore');
  range('DateUpdated', 'updatedAfter', 'updatedBefore');
  return f;
}

/** Routes under `/2010-04-01/Accounts/:AccountSid`, in the scope whose hook has authenticated the request (rest/calls.ts). */
export async function conferencesApi(app: FastifyInstance, o: ConferencesApiOptions): Promise<void> {
  const prefix = '/2010-04-01/Accounts/:AccountSid';
  const conferences = o.calls.conferences;
  const store = conferences.store;
  const path = `/${API_VERSION}/Accounts/${o.accountSid}/Conferences`;

  const conferenceJson = (r: ConferenceRoom) => ({
    account_sid: r.accountSid,
    date_created: rfc2822(r.dateCreated),
    date_updated: rfc2822(r.dateUpdated),
    api_version: API_VERSION,
    friendly_name: r.friendlyName,
    // No regions: every room is where its instances are.
    region: 'us1',
    sid: r.sid,
    status: r.status,
    uri: `${path}/${r.sid}.json`,
    subresource_uris: { participants: `${path}/${r.sid}/Participants.json`, recordings: `${path}/${r.sid}/Recordings.json` },
    reason_conference_ended: r.reasonEnded ?? null,
    call_sid_ending_conference: r.callSidEndingConference ?? null,
  });
  const participantJson = (conferenceSid: string, p: Participant) => ({
    account_sid: o.accountSid,
    call_sid: p.callSid,
    label: p.label ?? null,
    call_sid_to_coach: null,
    coaching: false,
    conference_sid: conferenceSid,
    date_created: rfc2822(p.dateCreated),
    date_updated: rfc2822(p.dateUpdated),
    end_conference_on_exit: p.endConferenceOnExit,
    muted: p.muted,
    hold: p.hold,
    start_conference_on_enter: p.startConferenceOnEnter,
    status: 'connected',
    queue_time: null,
    uri: `${path}/${conferenceSid}/Participants/${p.callSid}.json`,
  });
  const missing = (reply: FastifyReply, what: string) => reply.code(404).send(twilioError(404, CODES.notFound, `The requested resource ${what} was not found`));
  /** This account's room, by sid. */
  const roomOf = async (sid: string) => {
    const r = SID.test(sid) ? await store.get(sid) : undefined;
    return r?.accountSid === o.accountSid ? r : undefined;
  };
  /** A participant by its call's sid, or by its label (Twilio takes either in the path). */
  const participantOf = async (room: ConferenceRoom, key: string) => (await store.participants(room.sid)).find((p) => p.callSid === key || (p.label !== undefined && p.label === key));

  app.get<{ Querystring: Form }>(`${prefix}/Conferences.json`, { schema: { querystring: ref('listConferences') } }, async (req, reply) => {
    const all = await store.list(listFilter(req.query, o.accountSid));
    const { items, meta } = paged(req.query, all, (r) => r.sid, `${path}.json`);
    return reply.send({ conferences: items.map(conferenceJson), ...meta });
  });

  app.get<{ Params: { Sid: string } }>(`${prefix}/Conferences/:Sid.json`, async (req, reply) => {
    const r = await roomOf(req.params.Sid);
    return r ? reply.send(conferenceJson(r)) : missing(reply, `${path}/${req.params.Sid}.json`);
  });

  app.post<{ Params: { Sid: string }; Body: Form }>(`${prefix}/Conferences/:Sid.json`, { schema: { body: ref('updateConference') } }, async (req, reply) => {
    const other = Object.keys(req.body).filter((k) => k !== 'Status');
    if (other.length > 0) throw bad(`${other.join(', ')}: didml does not play announcements into a room; only Status=completed (end the room) is taken`);
    if (req.body['Status'] !== 'completed') throw bad('give Status=completed to end the room (the only change didml makes to a conference)');
    const r = await roomOf(req.params.Sid);
    if (!r) return missing(reply, `${path}/${req.params.Sid}.json`);
    return reply.send(conferenceJson((await conferences.end(r.sid)) ?? r));
  });

  app.get<{ Params: { ConferenceSid: string }; Querystring: Form }>(`${prefix}/Conferences/:ConferenceSid/Participants.json`, { schema: { querystring: ref('listParticipants') } }, async (req, reply) => {
    const r = await roomOf(req.params.ConferenceSid);
    if (!r) return missing(reply, `${path}/${req.params.ConferenceSid}.json`);
    const q = req.query;
    const flag = (k: string) => (q[k] === undefined ? undefined : q[k] === true || q[k] === 'true');
    const [muted, hold, coaching] = [flag('Muted'), flag('Hold'), flag('Coaching')];
    const all = (await store.participants(r.sid)).filter((p) => (muted === undefined || p.muted === muted) && (hold === undefined || p.hold === hold) && coaching !== true);
    const { items, meta } = paged(q, all, (p) => p.callSid, `${path}/${r.sid}/Participants.json`);
    return reply.send({ participants: items.map((p) => participantJson(r.sid, p)), ...meta });
  });

  app.get<{ Params: { ConferenceSid: string; CallSid: string } }>(`${prefix}/Conferences/:ConferenceSid/Participants/:CallSid.json`, async (req, reply) => {
    const where = `${path}/${req.params.ConferenceSid}/Participants/${req.params.CallSid}.json`;
    const r = await roomOf(req.params.ConferenceSid);
    const p = r && (await participantOf(r, req.params.CallSid));
    return r && p ? reply.send(participantJson(r.sid, p)) : missing(reply, where);
  });

  app.post<{ Params: { ConferenceSid: string; CallSid: string }; Body: Form }>(`${prefix}/Conferences/:ConferenceSid/Participants/:CallSid.json`, { schema: { body: ref('updateParticipant') } }, async (req, reply) => {
    const other = Object.keys(req.body).filter((k) => !PARTICIPANT_CHANGES.has(k));
    if (other.length > 0) throw bad(`${other.join(', ')}: not taken by didml's conferences (no hold music, announcements, coaching or changes to endConferenceOnExit); Muted and Hold are`);
    const where = `${path}/${req.params.ConferenceSid}/Participants/${req.params.CallSid}.json`;
    const r = await roomOf(req.params.ConferenceSid);
    const p = r && (await participantOf(r, req.params.CallSid));
    if (!r || !p) return missing(reply, where);
    const b = req.body;
    await conferences.command(r.sid, p, { op: 'update', conference: r.sid, ...(b['Muted'] !== undefined ? { muted: b['Muted'] === true } : {}), ...(b['Hold'] !== undefined ? { hold: b['Hold'] === true } : {}) });
    const now = await participantOf(r, p.callSid);
    return now ? reply.send(participantJson(r.sid, now)) : missing(reply, where);
  });

  app.delete<{ Params: { ConferenceSid: string; CallSid: string } }>(`${prefix}/Conferences/:ConferenceSid/Participants/:CallSid.json`, async (req, reply) => {
    const r = await roomOf(req.params.ConferenceSid);
    const p = r && (await participantOf(r, req.params.CallSid));
    if (!r || !p) return missing(reply, `${path}/${req.params.ConferenceSid}/Participants/${req.params.CallSid}.json`);
    await conferences.command(r.sid, p, { op: 'kick', conference: r.sid });
    return reply.code(204).send();
  });

  const refused = (_req: unknown, reply: FastifyReply) =>
    reply.code(405).send(twilioError(405, CODES.methodNotAllowed, 'rooms are made, and joined, by <Dial><Conference>: to add a participant, place a call (POST .../Calls.json) whose TwiML dials the room; adding one through the Participants resource is not supported by didml'));
  app.post(`${prefix}/Conferences.json`, refused);
  app.post(`${prefix}/Conferences/:ConferenceSid/Participants.json`, refused);
}
