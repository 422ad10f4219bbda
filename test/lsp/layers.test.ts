// Layers point one way: the CLI may import the language server, nothing else under src/ may
// import either of them.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\()\s*['"](\.[^'"]+)['"]/g)].map((m) => relative(src, join(file, '..', m[1] as string)));
}

describe('layers', () => {
  it('nothing under src/ but src/cli/ imports src/cli/ or src/lsp/; src/lsp/ imports no CLI', () => {
    const wrong: string[] = [];
    for (const file of files(src)) {
      const at = relative(src, file);
      for (const target of importsOf(file)) {
        const layer = target.split('/')[0];
        if (at.startsWith('cli/')) continue;
        if (layer === 'cli' || (layer === 'lsp' && !at.startsWith('lsp/'))) wrong.push(`${at} imports ${target}`);
      }
    }
    expect(wrong).toEqual([]);
    // The check sees the imports it is about.
    expect(importsOf(join(src, 'cli/lsp.ts'))).toContain('lsp/server.js');
  });
});
