// Twilio's Queues and Members resources (API 2010-04-01) on didml: list and fetch the queues that
// <Enqueue> made, list and fetch their members, and dequeue one (`POST .../Members/Front.json` or
// `.../Members/{CallSid}.json` with a `Url`): it leaves the line and its call runs that document,
// whichever instance runs it (the call service's update). Read from the queue store, so with
// Redis every instance answers for every queue. Queues are made on first use by <Enqueue>, as the
// verb does on Twilio; creating, renaming or deleting one through the API is refused (20004).
// https://www.twilio.com/docs/voice/api/queue-resource, .../member-resource
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CallService } from '../../calls/service.js';
import { API_VERSION } from '../../runtime/params.js';
import { DEFAULT_MAX_QUEUE_SIZE } from '../../runtime/queues.js';
import type { QueueEntry, QueueInfo } from '../../state/queues.js';
import type { HttpMethod } from '../../webhook/types.js';
import { rfc2822 } from './call-json.js';
import type { Form } from './call-params.js';
import { CODES, twilioError } from './errors.js';
import { REST_SCHEMA_ID } from './schemas.js';

export interface QueuesApiOptions {
  calls: CallService;
  accountSid: string;
  /** Wall clock (ms): a member's wait_time. */
  now?: () => number;
}

const ref = (name: string) => ({ $ref: `${REST_SCHEMA_ID}#/definitions/${name}` });
const DEFAULT_PAGE_SIZE = 50;

/** Routes under `/2010-04-01/Accounts/:AccountSid`, in the scope whose hook has authenticated the request (rest/calls.ts). */
export async function queuesApi(app: FastifyInstance, o: QueuesApiOptions): Promise<void> {
  const prefix = '/2010-04-01/Accounts/:AccountSid';
  const store = o.calls.queues.store;
  const now = o.now ?? Date.now;
  const path = `/${API_VERSION}/Accounts/${o.accountSid}/Queues`;

  const queueJson = (q: QueueInfo) => ({
    sid: q.sid,
    friendly_name: q.name,
    current_size: q.size,
    average_wait_time: q.averageWaitTime,
    // No maximum of the queue's own: each <Enqueue>'s maxQueueSize applies (default 100, as Twilio's).
    max_size: DEFAULT_MAX_QUEUE_SIZE,
    account_sid: o.accountSid,
    date_created: rfc2822(q.dateCreated),
    date_updated: rfc2822(q.dateCreated),
    uri: `${path}/${q.sid}.json`,
  });
  const memberJson = (queueSid: string, m: QueueEntry, position: number) => ({
    call_sid: m.callSid,
    date_enqueued: rfc2822(m.enqueuedAt),
    position,
    wait_time: Math.max(0, Math.round((now() - m.enqueuedAt) / 1000)),
    queue_sid: queueSid,
    uri: `${path}/${queueSid}/Members/${m.callSid}.json`,
  });
  const missing = (reply: FastifyReply, what: string) => reply.code(404).send(twilioError(404, CODES.notFound, `The requested resource ${what} was not found`));
  const queueOf = async (sid: string): Promise<QueueInfo | undefined> => {
    const name = /^QU[0-9a-fA-F]{32}$/.test(sid) ? await store.nameOf(sid) : undefined;
    return name === undefined ? undefined : (await store.list()).find((q) => q.name === name);
  };
  /** Page/PageSize paging (a PageToken is refused: these lists give none). */
  const page = <T>(q: Form, all: T[], base: string) => {
    if (q['PageToken'] !== undefined) throw Object.assign(new Error('PageToken is not used by this list: page with Page and PageSize'), { statusCode: 400, twilioCode: CODES.pageToken });
    const size = typeof q['PageSize'] === 'number' ? q['PageSize'] : DEFAULT_PAGE_SIZE;
    const n = typeof q['Page'] === 'number' ? q['Page'] : 0;
    const start = n * size;
    const items = all.slice(start, start + size);
    const uri = (p: number) => `${base}?PageSize=${size}&Page=${p}`;
    return {
      items,
      meta: {
        end: start + Math.max(items.length - 1, 0),
        first_page_uri: uri(0),
        next_page_uri: start + items.length < all.length ? uri(n + 1) : null,
        page: n,
        page_size: size,
        previous_page_uri: n > 0 ? uri(n - 1) : null,
        start,
        uri: uri(n),
      },
    };
  };

  app.get<{ Querystring: Form }>(`${prefix}/Queues.json`, { schema: { querystring: ref('listPage') } }, async (req, reply) => {
    const { items, meta } = page(req.query, await store.list(), `${path}.json`);
    return reply.send({ queues: items.map(queueJson), ...meta });
  });

  app.get<{ Params: { Sid: string } }>(`${prefix}/Queues/:Sid.json`, async (req, reply) => {
    const q = await queueOf(req.params.Sid);
    return q ? reply.send(queueJson(q)) : missing(reply, `${path}/${req.params.Sid}.json`);
  });

  app.get<{ Params: { QueueSid: string }; Querystring: Form }>(`${prefix}/Queues/:QueueSid/Members.json`, { schema: { querystring: ref('listPage') } }, async (req, reply) => {
    const q = await queueOf(req.params.QueueSid);
    if (!q) return missing(reply, `${path}/${req.params.QueueSid}.json`);
    const members = (await store.members(q.name)).map((m, i) => memberJson(q.sid, m, i + 1));
    const { items, meta } = page(req.query, members, `${path}/${q.sid}/Members.json`);
    return reply.send({ queue_members: items, ...meta });
  });

  /** `Front` is the first in line; a CallSid that one caller. */
  const member = async (queueSid: string, callSid: string) => {
    const q = await queueOf(queueSid);
    if (!q) return undefined;
    const members = await store.members(q.name);
    const i = callSid === 'Front' ? 0 : members.findIndex((m) => m.callSid === callSid);
    const m = members[i];
    return m ? { q, m, position: i + 1 } : undefined;
  };

  app.get<{ Params: { QueueSid: string; CallSid: string } }>(`${prefix}/Queues/:QueueSid/Members/:CallSid.json`, async (req, reply) => {
    const found = await member(req.params.QueueSid, req.params.CallSid);
    return found ? reply.send(memberJson(found.q.sid, found.m, found.position)) : missing(reply, `${path}/${req.params.QueueSid}/Members/${req.params.CallSid}.json`);
  });

  app.post<{ Params: { QueueSid: string; CallSid: string }; Body: Form }>(`${prefix}/Queues/:QueueSid/Members/:CallSid.json`, { schema: { body: ref('updateMember') } }, async (req, reply) => {
    const url = String(req.body['Url']);
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      return reply.code(400).send(twilioError(400, CODES.callsResource, `Url "${url}" is not an absolute http(s) URL: the dequeued call runs the document there`));
    }
    const found = await member(req.params.QueueSid, req.params.CallSid);
    const where = `${path}/${req.params.QueueSid}/Members/${req.params.CallSid}.json`;
    if (!found) return missing(reply, where);
    // Out of line first (atomically: an agent taking it meanwhile wins, and this answers 404), then its call is redirected.
    const taken = await store.remove(found.q.name, found.m.callSid, now());
    if (!taken) return missing(reply, where);
    await o.calls.update(taken.callSid, { instructions: { url, method: (req.body['Method'] as HttpMethod | undefined) ?? 'POST' } });
    return reply.send(memberJson(found.q.sid, taken, found.position));
  });

  const refused = (_req: unknown, reply: FastifyReply) =>
    reply.code(405).send(twilioError(405, CODES.methodNotAllowed, 'queues are made by <Enqueue> on first use (its maxQueueSize is the limit); creating, changing or deleting a queue through the API is not supported by didml'));
  app.post(`${prefix}/Queues.json`, refused);
  app.post(`${prefix}/Queues/:Sid.json`, refused);
  app.delete(`${prefix}/Queues/:Sid.json`, refused);
}
