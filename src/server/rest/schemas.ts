// The JSON Schemas the HTTP side checks requests with, and the ajv instances that check them:
// Twilio's Calls resource (grammar/rest/calls.json, form parameters: every value arrives as text,
// so types are coerced as Twilio's own API reads them) and the mock's call scripts
// (grammar/scenario.schema.json, JSON bodies: nothing coerced, nothing removed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type Options } from 'ajv';
import { packageRoot } from '../../paths.js';

export const REST_SCHEMA_ID = 'https://didml.dev/schema/rest/calls.json';
export const SCENARIO_SCHEMA_ID = 'https://didml.dev/schema/scenario.json';

const read = (path: string): object => JSON.parse(readFileSync(join(packageRoot, 'grammar', path), 'utf8')) as object;

let schemas: { rest: object; scenario: object } | undefined;
export function loadSchemas(): { rest: object; scenario: object } {
  return (schemas ??= { rest: read('rest/calls.json'), scenario: read('scenario.schema.json') });
}

// verbose: the errors carry their schema, so their words can use its x-hint (schema-errors.ts).
const COMMON: Options = { allErrors: true, verbose: true, strict: false, removeAdditional: false, useDefaults: false };

/** For form parameters: `Timeout=30` is the integer 30, `Record=true` the boolean, one `StatusCallbackEvent` a list of one. */
export function formAjv(): Ajv {
  return new Ajv({ ...COMMON, coerceTypes: 'array' }).addSchema(loadSchemas().rest);
}

/** For JSON bodies: `"hangupAfter": "abc"` is a string, and wrong. */
export function jsonAjv(): Ajv {
  return new Ajv({ ...COMMON, coerceTypes: false }).addSchema(loadSchemas().scenario);
}
