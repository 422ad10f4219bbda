#!/usr/bin/env node
// Extracts the Calls resource (and the Queues and Members, Conferences and Participants resources) from Twilio's OpenAPI description of the 2010-04-01 API
// (twilio/twilio-oai, MIT; ../shared/reference/twilio-api-v2010-calls.openapi.json) into
// grammar/rest/calls.json: the request parameters of create, update and list, and the call
// resource, as plain JSON Schemas the REST routes check with ajv. Run it when the OpenAPI file
// changes; test/server/rest-schema.test.ts fails when the committed file is out of date.
//
//   node scripts/extract-rest-schema.mjs [path/to/openapi.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OPENAPI = join(root, '..', 'shared', 'reference', 'twilio-api-v2010-calls.openapi.json');
export const OUT = join(root, 'grammar', 'rest', 'calls.json');

/** OpenAPI 3.0 to JSON Schema draft-07: `nullable`, Twilio's own formats and x- keys go; `$ref`s point into this file. */
function toJsonSchema(node) {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-') || k === 'format' || k === 'nullable' || k === 'example') continue;
    if (k === '$ref') out[k] = v.replace('#/components/schemas/', '#/definitions/');
    else out[k] = toJsonSchema(v);
  }
  if (node.nullable && out.type) out.type = [out.type, 'null'];
  if (node.nullable && out.$ref) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
  return out;
}

/** A request's parameters; any other is refused (Twilio ignores unknown ones with warning 20001; didml never ignores one). */
const closed = (schema) => ({ ...schema, additionalProperties: false });
const form = (op) => closed(toJsonSchema(op.requestBody.content['application/x-www-form-urlencoded'].schema));

export function extract(openapi) {
  const calls = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Calls.json'];
  const call = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json'];
  const queues = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Queues.json'];
  const member = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Queues/{QueueSid}/Members/{CallSid}.json'];
  const conferences = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Conferences.json'];
  const conference = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Conferences/{Sid}.json'];
  const participants = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json'];
  const participant = openapi.paths['/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{CallSid}.json'];
  const queryOf = (op) => {
    const q = { type: 'object', properties: {} };
    for (const p of op.parameters.filter((p) => p.in === 'query')) q.properties[p.name] = { ...toJsonSchema(p.schema), description: p.description };
    return closed(q);
  };
  const paging = { type: 'object', properties: {} };
  for (const p of queues.get.parameters.filter((p) => p.in === 'query')) paging.properties[p.name] = { ...toJsonSchema(p.schema), description: p.description };
  const query = { type: 'object', properties: {} };
  for (const p of calls.get.parameters.filter((p) => p.in === 'query')) query.properties[p.name] = { ...toJsonSchema(p.schema), description: p.description };
  const schemas = openapi.components.schemas;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://didml.dev/schema/rest/calls.json',
    title: "Twilio's Calls, Queues and Members, Conferences and Participants resources (API 2010-04-01), as didml serves them",
    description:
      "Extracted by scripts/extract-rest-schema.mjs from Twilio's OpenAPI description (twilio/twilio-oai, MIT License, Copyright Twilio Inc.). Do not edit by hand.",
    definitions: {
      'api.v2010.account.call': toJsonSchema(schemas['api.v2010.account.call']),
      call_enum_status: toJsonSchema(schemas['call_enum_status']),
      call_enum_update_status: toJsonSchema(schemas['call_enum_update_status']),
      createCall: form(calls.post),
      updateCall: form(call.post),
      listCalls: closed(toJsonSchema(query)),
      listCallResponse: toJsonSchema(calls.get.responses['200'].content['application/json'].schema),
      'api.v2010.account.queue': toJsonSchema(schemas['api.v2010.account.queue']),
      'api.v2010.account.queue.member': toJsonSchema(schemas['api.v2010.account.queue.member']),
      /** Queues.json and Members.json take the same paging parameters. */
      listPage: closed(toJsonSchema(paging)),
      updateMember: form(member.post),
      'api.v2010.account.conference': toJsonSchema(schemas['api.v2010.account.conference']),
      conference_enum_status: toJsonSchema(schemas['conference_enum_status']),
      conference_enum_update_status: toJsonSchema(schemas['conference_enum_update_status']),
      conference_enum_reason_conference_ended: toJsonSchema(schemas['conference_enum_reason_conference_ended']),
      'api.v2010.account.conference.participant': toJsonSchema(schemas['api.v2010.account.conference.participant']),
      participant_enum_status: toJsonSchema(schemas['participant_enum_status']),
      listConferences: queryOf(conferences.get),
      updateConference: form(conference.post),
      listParticipants: queryOf(participants.get),
      updateParticipant: form(participant.post),
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const openapi = JSON.parse(readFileSync(process.argv[2] ?? OPENAPI, 'utf8'));
  writeFileSync(OUT, JSON.stringify(extract(openapi), null, 2) + '\n');
  console.log(`wrote ${OUT}`);
}
