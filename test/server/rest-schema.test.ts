// grammar/rest/calls.json is what scripts/extract-rest-schema.mjs makes of Twilio's OpenAPI
// description in shared/reference: the route schemas and the response checks of the REST tests
// are Twilio's own, and stay so when that file changes.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, no types
import { extract, OPENAPI, OUT } from '../../scripts/extract-rest-schema.mjs';

const have = existsSync(OPENAPI as string);
if (!have) console.warn(`test/server/rest-schema.test.ts: skipped, no ${String(OPENAPI)} beside the repository`);

describe.skipIf(!have)('the REST schemas', () => {
  it('are the ones extracted from Twilio\'s OpenAPI description (run node scripts/extract-rest-schema.mjs after it changes)', () => {
    const openapi = JSON.parse(readFileSync(OPENAPI as string, 'utf8')) as unknown;
    const committed = JSON.parse(readFileSync(OUT as string, 'utf8')) as unknown;
    expect(committed).toEqual((extract as (o: unknown) => unknown)(openapi));
  });

  it('take every request parameter Twilio documents for create, and refuse any other', () => {
    const committed = JSON.parse(readFileSync(OUT as string, 'utf8')) as { definitions: Record<string, { properties: object; additionalProperties: boolean }> };
    const create = committed.definitions['createCall']!;
    expect(Object.keys(create.properties)).toEqual(expect.arrayContaining(['To', 'From', 'Url', 'Twiml', 'Method', 'FallbackUrl', 'StatusCallback', 'StatusCallbackEvent', 'Timeout', 'TimeLimit', 'SendDigits', 'SipAuthUsername', 'SipAuthPassword', 'Record', 'MachineDetection']));
    expect(create.additionalProperties).toBe(false);
  });
});
