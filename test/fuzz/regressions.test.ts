// Inputs the fuzzer once failed on, shrunk and kept as fixtures/fuzz/<what went wrong>.xml: each
// must now keep every property (check.ts). A file that is not valid UTF-8 is given as bytes;
// `<name>.json` beside it may give limits ({"maxBytes": 100}).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCase } from './check.js';
import type { FuzzCase } from './mutate.js';

const dir = join(import.meta.dirname, '../../fixtures/fuzz');
const files = readdirSync(dir).filter((f) => f.endsWith('.xml')).sort();

function load(name: string): FuzzCase {
  const bytes = readFileSync(join(dir, name));
  let input: string | Uint8Array;
  try {
    input = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    input = new Uint8Array(bytes);
  }
  const limits = join(dir, name.replace(/\.xml$/, '.json'));
  return { recipe: [name], input, ...(existsSync(limits) ? (JSON.parse(readFileSync(limits, 'utf8')) as Partial<FuzzCase>) : {}) };
}

describe('fuzz regressions', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s keeps every property', (name) => {
    expect(checkCase(load(name), { dialects: 'all' })).toEqual([]);
  });
});
