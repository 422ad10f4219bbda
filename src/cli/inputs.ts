// Turns the paths a user typed into documents to read: files as given, folders searched for
// *.xml, `-` for standard input. A path that cannot be read is reported, never skipped silently.
import { readFileSync } from 'node:fs';
import { resolvePaths } from '../files.js';
import { decodeBytes } from '../parse/index.js';

export interface Input {
  file: string;
  /** The bytes as they are: decoding is the parser's, which reports a byte it cannot read. */
  read(): Buffer;
}

/**
 * The text of a file that is to be rewritten (--fix, fmt --write), or why it may not be: a
 * rewrite is UTF-8, so a file in another encoding, or with bytes its encoding does not have,
 * would lose them.
 */
export function rewritable(bytes: Buffer): { text: string } | { refused: string } {
  const d = decodeBytes(bytes);
  if (d.bad) return { refused: `byte ${d.bad.byte} is not valid ${d.encoding === 'utf-8' ? 'UTF-8' : d.encoding}, and rewriting the file would replace it` };
  if (d.encoding !== 'utf-8') return { refused: `it is in ${d.encoding}, and didml writes files in UTF-8 only` };
  return { text: d.text };
}

export class InputError extends Error {
  readonly code = 'DIDML_INPUT';
}

export function expandPaths(paths: readonly string[]): { inputs: Input[]; problems: string[] } {
  const inputs: Input[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      inputs.push({ file: '<stdin>', read: () => readFileSync(0) });
      continue;
    }
    const found = resolvePaths([p], '.xml');
    problems.push(...found.problems);
    for (const f of found.files) inputs.push({ file: f, read: () => readFileSync(f) });
  }
  return { inputs, problems };
}
