// Scenario files: what a user typed (files, or folders searched for *.call.json), in a stable
// order, and a path that cannot be read reported rather than skipped.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { filesUnder } from '../files.js';

export const SCENARIO_SUFFIX = '.call.json';

/** Scenario files for what a user typed: files as given, folders searched for *.call.json. */
export function findScenarios(paths: readonly string[]): { files: string[]; problems: string[] } {
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
    const found = [...filesUnder(p, SCENARIO_SUFFIX)];
    if (!found.length) problems.push(`${p}: no *${SCENARIO_SUFFIX} files in this folder`);
    files.push(...found);
  }
  return { files, problems };
}

/** A scenario's default name: its file's, without .call.json. */
export const scenarioName = (file: string): string => basename(file).replace(/\.call\.json$/, '').replace(/\.json$/, '');
