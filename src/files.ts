// The files a user typed for `lint` and `test`: files as given, folders searched for a given
// ending in a stable order (node_modules and dot-folders never), and a path that cannot be read
// reported rather than skipped.
import { readdirSync, statSync } from 'node:fs';
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

/** Files for the paths given, in their order: files as they are, folders searched for `suffix`.
 *  Each path that is missing, unreadable or an empty folder becomes a problem naming it. */
export function resolvePaths(paths: readonly string[], suffix: string): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch (err) {
      problems.push(`${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`);
      continue;
    }
    if (!stat.isDirectory()) {
      files.push(p);
      continue;
    }
    const found = [...filesUnder(p, suffix)];
    if (!found.length) problems.push(`${p}: no *${suffix} files in this folder`);
    files.push(...found);
  }
  return { files, problems };
}
