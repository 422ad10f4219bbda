// Turns the paths a user typed into documents to read: files as given, folders searched for
// *.xml, `-` for standard input. A path that cannot be read is reported, never skipped silently.
import { readFileSync, statSync } from 'node:fs';
import { filesUnder } from '../files.js';

export interface Input {
  file: string;
  read(): string;
}

export class InputError extends Error {
  readonly code = 'DIDML_INPUT';
}

export function expandPaths(paths: readonly string[]): { inputs: Input[]; problems: string[] } {
  const inputs: Input[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      inputs.push({ file: '<stdin>', read: () => readFileSync(0, 'utf8') });
      continue;
    }
    let stat;
    try {
      stat = statSync(p);
    } catch (err) {
      problems.push(`${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`);
      continue;
    }
    if (stat.isDirectory()) {
      const found = [...filesUnder(p, '.xml')];
      if (!found.length) problems.push(`${p}: no *.xml files in this folder`);
      for (const f of found) inputs.push({ file: f, read: () => readFileSync(f, 'utf8') });
    } else {
      inputs.push({ file: p, read: () => readFileSync(p, 'utf8') });
    }
  }
  return { inputs, problems };
}
