// Reads one lint configuration: didml.config.json, or the "didml" key of a package.json. It is
// checked against grammar/didml.config.schema.json (the schema editors complete from), and a
// mistake is an error naming the file and the key: a config is never half-applied.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { packageRoot } from '../paths.js';
import { explainErrors } from '../schema-errors.js';
import type { Severity } from '../types.js';
import type { DialectName } from '../types.js';

export type RuleSetting = Severity | 'off';
export type Strictness = 'dialect' | 'strict' | 'lenient';

/** What a config (or one of its overrides) may set. */
export interface LintSettings {
  dialect?: DialectName | 'auto';
  strictness?: Strictness;
  maxBytes?: number;
  rules?: Record<string, RuleSetting>;
  reportUnusedDisableDirectives?: RuleSetting;
}

export interface LintConfig extends LintSettings {
  /** The file it was read from (`…/package.json` for the "didml" key). */
  file: string;
  /** Where its globs start: the file's folder. */
  dir: string;
  ignores: string[];
  overrides: (LintSettings & { files: string[] })[];
}

export const CONFIG_FILE = 'didml.config.json';
export { CONFIG_SCHEMA_FILE as SCHEMA_FILE } from '../validate/rule-ids.js';
import { CONFIG_SCHEMA_FILE as SCHEMA_FILE } from '../validate/rule-ids.js';

export class ConfigError extends Error {
  readonly code = 'DIDML_CONFIG';
}

let validate: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // Loaded when a config is first read: every command would pay for ajv at start otherwise.
  // verbose: explainErrors reads each error's schema; strict off: descriptions beside $ref.
  const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
  validate ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(JSON.parse(readFileSync(join(packageRoot, SCHEMA_FILE), 'utf8')) as object);
  return validate;
}

export { knownRuleIds } from '../validate/rule-ids.js';

/** Checks config data read from `file` (`where` names the key it sits under, for package.json). */
export function checkConfig(data: unknown, file: string, dir: string, where = ''): LintConfig {
  const v = validator();
  if (!v(data)) {
    // Under package.json's "didml" key, each key's path starts there.
    const named = (p: string) => (!where ? p : p.startsWith('(top level)') ? where + p.slice('(top level)'.length) : `${where}${p.startsWith('[') ? '' : '.'}${p}`);
    const problems = explainErrors(v.errors ?? [], data).map(named);
    throw new ConfigError(`${file}: ${problems.join('; ')} (schema: ${SCHEMA_FILE})`);
  }
  const c = data as LintSettings & { ignores?: string[]; overrides?: (LintSettings & { files: string[] })[] };
  const { ignores, overrides, ...settings } = c as typeof c & { $schema?: string };
  delete (settings as { $schema?: string }).$schema;
  return { ...settings, file, dir, ignores: ignores ?? [], overrides: overrides ?? [] };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Reads a config file: a package.json gives its "didml" key (undefined when it has none), any
 * other file is the config itself.
 */
export function readConfigFile(file: string, dir: string): LintConfig | undefined {
  const data = readJson(file);
  if (/(^|[\\/])package\.json$/.test(file)) {
    const own = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>)['didml'] : undefined;
    return own === undefined ? undefined : checkConfig(own, file, dir, 'didml');
  }
  return checkConfig(data, file, dir);
}
