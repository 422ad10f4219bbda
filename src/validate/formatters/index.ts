import type { Formatter } from './types.js';
import { stylish } from './stylish.js';
import { json } from './json.js';
import { sarif } from './sarif.js';
import { github } from './github.js';

export type FormatName = 'stylish' | 'json' | 'sarif' | 'github';

export function formatter(name: FormatName, color = false): Formatter {
  const table: Record<FormatName, Formatter> = { stylish: stylish(color), json, sarif, github };
  return table[name];
}

export const FORMATS: readonly FormatName[] = ['stylish', 'json', 'sarif', 'github'];
export type { FileReport, Formatter } from './types.js';
