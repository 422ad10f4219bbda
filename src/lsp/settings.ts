// What the server lints each document with. Settings come from the client (initializationOptions,
// then workspace/didChangeConfiguration under "didml") or from `didml lsp`'s own flags; a bad one
// is refused by name, never dropped. `lintOptionsFor` is the one place that decides a document's
// options: a config file found from the document's folder (issue 16) plugs in there.
import type { LintOptions } from '../validate/lint.js';
import { DIALECTS, isDialect } from '../grammar/index.js';

export interface Settings {
  dialect: NonNullable<LintOptions['dialect']>;
  /** Every recovery from malformed XML is an error, even in DIDML. */
  strict: boolean;
  /** Every recovery is a warning, even where the platform refuses the document. */
  lenient: boolean;
  maxBytes?: number;
}

export const DEFAULT_SETTINGS: Settings = { dialect: 'auto', strict: false, lenient: false };

/** Gives the lint options for a document, by its URI. */
export type LintOptionsFor = (uri: string) => LintOptions;

type Check = (value: unknown) => string | null;

const CHECKS: Record<keyof Settings, Check> = {
  dialect: (v) => (typeof v === 'string' && (v === 'auto' || isDialect(v)) ? null : `must be one of ${['auto', ...DIALECTS].join(', ')}`),
  strict: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  lenient: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  maxBytes: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? null : 'must be a whole number of bytes, 0 or more'),
};

/** The settings a client may give, by name (editors' extensions list the same). */
export const SETTING_NAMES = Object.keys(CHECKS) as (keyof Settings)[];

export class SettingsError extends Error {}

/** Checks settings given by a client (`where` names them in the message); null or undefined keeps `base`. */
export function checkSettings(value: unknown, where: string, base: Settings = DEFAULT_SETTINGS): Settings {
  if (value === undefined || value === null) return base;
  if (typeof value !== 'object' || Array.isArray(value)) throw new SettingsError(`${where}: must be an object such as {"dialect": "auto"}`);
  const out: Settings = { ...base };
  for (const [key, v] of Object.entries(value)) {
    const check = (CHECKS as Record<string, Check | undefined>)[key];
    if (!check || !Object.hasOwn(CHECKS, key)) {
      throw new SettingsError(`${where}.${key}: not a didml setting (known: ${SETTING_NAMES.join(', ')})`);
    }
    const problem = check(v);
    if (problem) throw new SettingsError(`${where}.${key}: ${problem}`);
    (out as unknown as Record<string, unknown>)[key] = v;
  }
  if (out.strict && out.lenient) throw new SettingsError(`${where}: strict and lenient cannot both be true (strict makes every recovery an error, lenient a warning)`);
  return out;
}

export function lintOptionsOf(settings: Settings): LintOptions {
  return {
    dialect: settings.dialect,
    strict: settings.strict,
    lenient: settings.lenient,
    ...(settings.maxBytes !== undefined ? { maxBytes: settings.maxBytes } : {}),
  };
}
