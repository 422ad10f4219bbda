// The documents the fuzzer starts from: every fixture and example in the repository, and the
// real-world corpus beside it (../shared/corpus/real) when it is there.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const CORPUS = resolve(REPO, '../shared/corpus/real');

function xmlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? xmlFiles(join(dir, e.name)) : e.name.endsWith('.xml') ? [join(dir, e.name)] : []));
}

export interface Seeds {
  files: string[];
  texts: string[];
}

/** Sorted by path, so that a seed number names the same document on every machine. */
export function loadSeeds(): Seeds {
  const files = [...xmlFiles(join(REPO, 'fixtures')), ...xmlFiles(join(REPO, 'examples')), ...xmlFiles(CORPUS)];
  return { files, texts: files.map((f) => readFileSync(f, 'utf8')) };
}
