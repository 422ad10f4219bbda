// Twilio's Calls resource (API 2010-04-01) on didml: create, fetch, list, update and delete
// calls, so a program written against Twilio (its helper library with `client.api.baseUrl`
// pointed here) drives didml unchanged. The routes are thin: HTTP Basic authentication, the
// parameters checked against Twilio's own schemas (grammar/rest/calls.json) and then
// call-params.ts, and the call service does the rest. https://www.twilio.com/docs/voice/api/call-resource
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallService } from '../../calls/service.js';
import type { CallFilter, CallRecord } from '../../state/types.js';
import type { AppTable } from '../../calls/routing.js';
import type { AdapterCapabilities, CallStatus } from '../../telephony/adapter.js';
import { callJson, callsPath } from './call-json.js';
import { placeCallRequest, updateCallRequest, type Form } from './call-params.js';
import { CODES, twilioError } from './errors.js';
import { REST_SCHEMA_ID } from './schemas.js';
import { time } from './list-dates.js';
import { sameSecret } from '../control-auth.js';

export interface CallsApiOptions {
  calls: CallService;
  accountSid: string;
  /** The token of HTTP Basic `AccountSid:AuthToken`; without one the API refuses every request. */
  authToken: string | undefined;
  capabilities: AdapterCapabilities;
  backend: string;
  apps: AppTable;
}

const ref = (name: string) => ({ $ref: `${REST_SCHEMA_ID}#/definitions/${name}` });
const DEFAULT_PAGE_SIZE = 50;


export async function callsApi(app: FastifyInstance, o: CallsApiOptions): Promise<void> {
  const prefix = '/2010-04-01/Accounts/:AccountSid';

  // Authentication first, for every route here, before the body is even looked at.
  app.addHook('onRequest', async (req: FastifyRequest<{ Params: { AccountSid?: string } }>, reply) => {
    const fail = (message: string) =>
      reply.code(401).header('www-authenticate', 'Basic realm="didml"').send(twilioError(401, CODES.authenticate, message));
    if (!o.authToken) return fail('Authenticate: this runtime has no authToken; set authToken in its configuration (or DIDML_AUTH_TOKEN) and use it with the AccountSid as HTTP Basic credentials');
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
    const [user, ...rest] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':') : [];
    if (!m || user === undefined) return fail('Authenticate: send HTTP Basic credentials, AccountSid:AuthToken');
    if (!sameSecret(user, o.accountSid) || !sameSecret(rest.join(':'), o.authToken)) return fail('Authenticate: the AccountSid or AuthToken is not the one configured');
    if (req.params.AccountSid !== undefined && req.params.AccountSid !== o.accountSid) {
      return reply.code(404).send(twilioError(404, CODES.notFound, `The requested resource /2010-04-01/Accounts/${req.params.AccountSid} was not found`));
    }
  });

  const notFound = (reply: FastifyReply, sid: string) =>
    reply.code(404).send(twilioError(404, CODES.notFound, `The requested resource ${callsPath(o.accountSid)}/${sid}.json was not found`));

  app.post<{ Body: Form }>(`${prefix}/Calls.json`, { schema: { body: ref('createCall') } }, async (req, reply) => {
    const request = placeCallRequest(req.body, { capabilities: o.capabilities, backend: o.backend, apps: o.apps });
    return reply.code(201).send(callJson(await o.calls.place(request)));
  });

  app.get<{ Params: { Sid: string } }>(`${prefix}/Calls/:Sid.json`, async (req, reply) => {
    const record = await o.calls.get(req.params.Sid);
    return record ? reply.send(callJson(record)) : notFound(reply, req.params.Sid);
  });

  app.post<{ Params: { Sid: string }; Body: Form }>(`${prefix}/Calls/:Sid.json`, { schema: { body: ref('updateCall') } }, async (req, reply) => {
    const change = updateCallRequest(req.body);
    return reply.send(callJson(await o.calls.update(req.params.Sid, change)));
  });

  app.delete<{ Params: { Sid: string } }>(`${prefix}/Calls/:Sid.json`, async (req, reply) => {
    const outcome = await o.calls.delete(req.params.Sid);
    if (outcome === 'unknown') return notFound(reply, req.params.Sid);
    if (outcome === 'live') {
      const status = (await o.calls.get(req.params.Sid))?.status ?? 'in progress';
      return reply.code(400).send(twilioError(400, CODES.notComplete, `Call ${req.params.Sid} is ${status}: only an ended call's record can be deleted; end it first with Status=completed`));
    }
    return reply.code(204).send();
  });

  app.get<{ Querystring: Form }>(`${prefix}/Calls.json`, { schema: { querystring: ref('listCalls') } }, async (req, reply) => {
    const q = req.query;
    const filter = listFilter(q);
    const pageSize = typeof q['PageSize'] === 'number' ? q['PageSize'] : DEFAULT_PAGE_SIZE;
    const page = typeof q['Page'] === 'number' ? q['Page'] : 0;
    const all = await o.calls.list(filter);
    // Twilio's tokens: PA<sid> is the page after that call, PB<sid> the page before it.
    const token = q['PageToken'] === undefined ? undefined : String(q['PageToken']);
    let start = page * pageSize;
    if (token !== undefined) {
      const at = /^P[AB]CA[0-9a-fA-F]{32}$/.test(token) ? all.findIndex((r) => r.sid === token.slice(2)) : -1;
      if (at < 0) return reply.code(400).send(twilioError(400, CODES.pageToken, `PageToken "${token}" is not one this list gave (or its call is no longer kept): start again from first_page_uri`));
      start = token.startsWith('PA') ? at + 1 : Math.max(0, at - pageSize);
    }
    const calls = all.slice(start, start + pageSize);
    const base = `${callsPath(o.accountSid)}.json`;
    const kept = Object.entries(q).filter(([k]) => k !== 'Page' && k !== 'PageSize' && k !== 'PageToken');
    const uri = (p: number, tok?: string) =>
      `${base}?${new URLSearchParams([...kept.map(([k, v]) => [k, String(v)]), ['PageSize', String(pageSize)], ['Page', String(p)], ...(tok ? [['PageToken', tok]] : [])]).toString()}`;
    const last = calls.at(-1);
    const first = calls[0];
    return reply.send({
      calls: calls.map(callJson),
      end: start + Math.max(calls.length - 1, 0),
      first_page_uri: uri(0),
      next_page_uri: last && start + calls.length < all.length ? uri(page + 1, `PA${last.sid}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: first && start > 0 ? uri(Math.max(page - 1, 0), `PB${first.sid}`) : null,
      start,
      uri: uri(page, token),
    });
  });
}

/**
 * Twilio's list filters. `StartTime>`/`StartTime<` are on-or-after / on-or-before (the query
 * `StartTime>=2026-12-07` reads as the key `StartTime>` with the value `2026-12-07`); a bare date
 * means that whole UTC day: `StartTime=2026-12-07` is the calls that started on it.
 */
function listFilter(q: Form): CallFilter {
  const f: CallFilter = {};
  const s = (k: string) => (q[k] === undefined ? undefined : String(q[k]));
  if (s('Status')) f.status = s('Status') as CallStatus;
  if (s('To')) f.to = s('To')!;
  if (s('From')) f.from = s('From')!;
  if (s('ParentCallSid')) f.parentCallSid = s('ParentCallSid')!;
  const range = (key: string, after: 'startedAfter' | 'endedAfter', before: 'startedBefore' | 'endedBefore') => {
    const on = s(key);
    const from = s(`${key}>`);
    const to = s(`${key}<`);
    if (on !== undefined) [f[after], f[before]] = [time(key, on, 'start'), time(key, on, 'end')];
    if (from !== undefined) f[after] = time(`${key}>`, from, 'start');
    if (to !== undefined) f[before] = time(`${key}<`, to, 'end');
  };
  range('StartTime', 'startedAfter', 'startedBefore');
  range('EndTime', 'endedAfter', 'endedBefore');
  return f;
}

export type { CallRecord };
