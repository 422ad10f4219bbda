// The rule ids a config or a directive may name: the ones grammar/didml.config.schema.json lists
// (a test checks that it lists every id the linter reports), `xml/*` included.
import { createRequire } from 'node:module';

export const CONFIG_SCHEMA_FILE = 'grammar/didml.config.schema.json';

let ids: readonly string[] | undefined;
export function knownRuleIds(): readonly string[] {
  // By a fixed name, beside src/ and dist/ alike (no file is read on a document's behalf).
  ids ??= Object.keys(
    (createRequire(import.meta.url)('../../grammar/didml.config.schema.json') as { $defs: { rules: { properties: Record<string, unknown> } } }).$defs.rules.properties,
  );
  return ids;
}

/** Whether a config's or directive's id names this rule (`xml/*`: every xml/ rule). */
export const namesRule = (id: string, rule: string) => id === rule || (id === 'xml/*' && rule.startsWith('xml/'));
