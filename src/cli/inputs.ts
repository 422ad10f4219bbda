// Turns the paths a user typed into documents to read: files as given, folders searched for
// *.xml, `-` for standard input. A path that cannot be read is reported, never skipped silently.
import { readFileSync } from 'node:fs';
import { resolvePaths } from '../files.js';

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
    const found = resolvePaths([p], '.xml');
    problems.push(...found.problems);
    for (const f of found.files) inputs.push({ file: f, read: () => readFileSync(f, 'utf8') });
  }
  return { inputs, problems };
}
