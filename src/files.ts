// Files below a folder with a given ending, in a stable order (what `lint` and `test` search
// folders for). node_modules and dot-folders are never searched.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function* filesUnder(dir: string, suffix: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* filesUnder(path, suffix);
    else if (e.isFile() && e.name.toLowerCase().endsWith(suffix)) yield path;
  }
}
