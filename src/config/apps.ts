// What `didml call` and `didml serve` take from the lint config: the dialect and
// strictness an app's documents are run with (and for serve the largest document), from the
// config of the app's folder, or of the working folder for an app at a URL. Only the top level:
// `overrides` and `rules` are about linting single files, and a call runs many.
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { ConfigLookup } from './lookup.js';
import type { Strictness } from './load.js';
import type { DialectName } from '../types.js';

export interface AppDefaults {
  configFile: string;
  dialect?: DialectName | 'auto';
  strictness?: Strictness;
  maxBytes?: number;
}

/** The folder whose config an app takes: a folder app's own (a file's folder), else the working folder. */
export function appFolder(app: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(app)) return resolve('.');
  const path = resolve(app);
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ? path : dirname(path);
}

/** The defaults for an app, or undefined when no config applies. Throws ConfigError for a bad one. */
export function appDefaults(app: string, lookup = new ConfigLookup()): AppDefaults | undefined {
  const config = lookup.configFor(appFolder(app));
  if (!config) return undefined;
  return {
    configFile: config.file,
    ...(config.dialect !== undefined ? { dialect: config.dialect } : {}),
    ...(config.strictness !== undefined ? { strictness: config.strictness } : {}),
    ...(config.maxBytes !== undefined ? { maxBytes: config.maxBytes } : {}),
  };
}
