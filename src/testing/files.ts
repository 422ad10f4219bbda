// Scenario files: what a user typed (files, or folders searched for *.call.json), in a stable
// order, and a path that cannot be read reported rather than skipped.
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export const SCENARIO_SUFFIX = '.call.json';

function* scenariosUnder(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* scenariosUnder(path);
    else if (e.isFile() && e.name.endsWith(SCENARIO_SUFFIX)) yield path;
  }
}

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
    const found = [...scenariosUnder(p)];
    if (!found.length) problems.push(`${p}: no *${SCENARIO_SUFFIX} files in this folder`);
    files.push(...found);
  }
  return { files, problems };
}

/** A scenario's default name: its file's, without .call.json. */
export const scenarioName = (file: string): string => basename(file).replace(/\.call\.json$/, '').replace(/\.json$/, '');
