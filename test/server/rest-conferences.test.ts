// Twilio's Conferences and Participants resources on one `didml serve` (mock backend, in-process
// state, wall clock), driven by the real twilio helper library; every answer checked against
// Twilio's own schema of the resource (grammar/rest/calls.json, from Twilio's OpenAPI description).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/server/config.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { createLogger } from '../../src/log.js';
import { startApp, xml, type TestApp } from '../runtime/support.js';
import { until } from './cluster-support.js';

const ACCOUNT = 'AC' + '5678abcd'.repeat(4);
const TOKEN = 'rest-conference-token';
const root = join(import.meta.dirname, '../..');
const ajv = new Ajv({ allErrors: true, strict: false }).addSchema(JSON.parse(readFileSync(join(root, 'grammar/rest/calls.json'), 'utf8')) as object);
const conferenceSchema = ajv.getSchema('https://didml.dev/schema/rest/calls.json#/definitions/api.v2010.account.conference')!;
const participantSchema = ajv.getSchema('https://didml.dev/schema/rest/calls.json#/definitions/api.v2010.account.conference.participant')!;

let app: TestApp;
let rt: Runtime;
let client: twilio.Twilio;

beforeAll(async () => {
  app = await startApp({
    '/room': xml('<Dial action="/after"><Conference participantLabel="agent">support</Conference></Dial>'),
    '/plain': xml('<Dial action="/after"><Conference>support</Conference></Dial>'),
    '/alone-1': xml('<Dial><Conference>one</Conference></Dial>'),
    '/alone-2': xml('<Dial><Conference>two</Conference></Dial>'),
    '/after': xml('<Hangup/>'),
  });
  rt = await startRuntime(checkConfig({ http: { port: 0 }, app: { url: app.url('/room') }, accountSid: ACCOUNT, authToken: TOKEN, mock: { callees: { '*': { ring: 0.05, talk: 120 } } } }), { log: createLogger({ level: 'error' }) });
  client = twilio(ACCOUNT, TOKEN);
  client.api.baseUrl = rt.url;
});
afterAll(async () => {
  await rt?.close();
  await app?.close();
});

const raw = async (path: string, init: { method?: string; form?: Record<string, string> } = {}) => {
  const res = await fetch(`${rt.url}/2010-04-01/Accounts/${ACCOUNT}/${path}`, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`, ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
};

describe("Twilio's Conferences and Participants resources (in-process)", () => {
  it('lists, fetches, pages; mutes, holds, removes and ends, with the answers in Twilio\'s shape', async () => {
    const agent = await client.calls.create({ to: '+14155550101', from: '+14155550100', url: app.url('/room') });
    const caller = await client.calls.create({ to: '+14155550102', from: '+14155550100', url: app.url('/plain') });
    const room = await until('the room in progress', async () => (await client.conferences.list({ friendlyName: 'support', status: 'in-progress' }))[0]);
    const fetched = await raw(`Conferences/${room.sid}.json`);
    // Twilio's OpenAPI types reason_conference_ended as its enum only, while its description says
    // "When a conference is in progress, will be `null`" (what didml answers): checked apart.
    const { reason_conference_ended: reason, ...rest } = fetched.body;
    expect(reason).toBeNull();
    expect(conferenceSchema(rest), JSON.stringify(conferenceSchema.errors)).toBe(true);
    expect(fetched.body).toMatchObject({ sid: room.sid, account_sid: ACCOUNT, status: 'in-progress', api_version: '2010-04-01', reason_conference_ended: null, subresource_uris: { participants: `/2010-04-01/Accounts/${ACCOUNT}/Conferences/${room.sid}/Participants.json` } });
    const list = await raw(`Conferences/${room.sid}/Participants.json`);
    const participants = list.body['participants'] as Record<string, unknown>[];
    expect(participants.map((p) => p['call_sid'])).toEqual([agent.sid, caller.sid]);
    for (const p of participants) expect(participantSchema(p), JSON.stringify(participantSchema.errors)).toBe(true);
    expect(participants[0]).toMatchObject({ label: 'agent', status: 'connected', muted: false, hold: false, start_conference_on_enter: true, end_conference_on_exit: false, conference_sid: room.sid });

    // By label or call sid; Muted and Hold change, and are read back.
    expect(await client.conferences(room.sid).participants('agent').update({ muted: true, hold: true })).toMatchObject({ callSid: agent.sid, muted: true, hold: true });
    expect(await client.conferences(room.sid).participants(agent.sid).update({ hold: false })).toMatchObject({ muted: true, hold: false });
    // What didml's rooms do not do is refused, naming it.
    const announce = await raw(`Conferences/${room.sid}/Participants/${agent.sid}.json`, { form: { AnnounceUrl: 'http://127.0.0.1:1/a' } });
    expect(announce).toMatchObject({ status: 400, body: { code: 20001, message: expect.stringContaining('AnnounceUrl') } });
    expect((await raw(`Conferences/${room.sid}.json`, { form: { Status: 'in-progress' } })).status).toBe(400);

    // Removed: its Dial ends and goes on to the action; the other stays.
    await client.conferences(room.sid).participants(caller.sid).remove();
    await until('the removed caller\'s Dial action', async () => app.to('/after').some((r) => r.params['CallSid'] === caller.sid));
    expect((await client.conferences(room.sid).participants.list()).map((p) => p.callSid)).toEqual([agent.sid]);
    expect((await raw(`Conferences/${room.sid}/Participants/${caller.sid}.json`, { method: 'DELETE' })).status).toBe(404);

    // Two more rooms, for paging (newest first, Calls.json's tokens).
    await client.calls.create({ to: '+14155550103', from: '+14155550100', url: app.url('/alone-1') });
    await until('room one', async () => (await client.conferences.list({ friendlyName: 'one' })).length === 1);
    await client.calls.create({ to: '+14155550104', from: '+14155550100', url: app.url('/alone-2') });
    await until('room two', async () => (await client.conferences.list({ friendlyName: 'two' })).length === 1);
    const page = await client.conferences.page({ pageSize: 2 });
    expect(page.instances.map((r) => r.friendlyName)).toEqual(['two', 'one']);
    const next = await page.nextPage();
    expect(next?.instances.map((r) => r.friendlyName)).toEqual(['support']);
    expect((await client.conferences.list({ pageSize: 1 })).map((r) => r.friendlyName)).toEqual(['two', 'one', 'support']);

    // Ended through the API: completed, the reason said, no participants left; the agent's document goes on.
    const ended = await client.conferences(room.sid).update({ status: 'completed' });
    const completed = await raw(`Conferences/${room.sid}.json`);
    expect(conferenceSchema(completed.body), JSON.stringify(conferenceSchema.errors)).toBe(true);
    expect(ended).toMatchObject({ status: 'completed', reasonConferenceEnded: 'conference-ended-via-api', callSidEndingConference: null });
    await until('the agent\'s Dial action', async () => app.to('/after').some((r) => r.params['CallSid'] === agent.sid));
    expect(await client.conferences(room.sid).participants.list()).toEqual([]);
    // One room of that name, kept once completed.
    expect((await client.conferences.list({ friendlyName: 'support' })).map((r) => r.status)).toEqual(['completed']);
  });

  it('answers 404 for an unknown room or participant and for another account, 405 for what only <Dial> does', async () => {
    expect(await raw(`Conferences/CF${'0'.repeat(32)}.json`)).toMatchObject({ status: 404, body: { code: 20404 } });
    expect(await raw('Conferences/not-a-sid.json')).toMatchObject({ status: 404 });
    expect(await raw(`Conferences/CF${'0'.repeat(32)}/Participants.json`)).toMatchObject({ status: 404 });
    expect(await raw('Conferences.json', { form: { FriendlyName: 'x' } })).toMatchObject({ status: 405, body: { code: 20004 } });
    expect(await raw('Conferences.json?Status=waiting')).toMatchObject({ status: 400 });
    expect(await raw('Conferences.json?DateCreated=yesterday')).toMatchObject({ status: 400, body: { message: expect.stringContaining('DateCreated') } });
    const other = twilio('AC' + 'f'.repeat(32), TOKEN);
    other.api.baseUrl = rt.url;
    await expect(other.conferences.list()).rejects.toMatchObject({ status: 401 });
  });
});
