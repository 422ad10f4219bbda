// Helpers shared by the parser's tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, Node, TextEdit } from '../../src/types.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(REPO, 'fixtures/parse');
export const CORPUS = path.resolve(REPO, '../shared/corpus/real');

/** Applies every fix at once; they must not overlap (each recovery fixes its own text). */
export function applyAllFixes(source: string, diagnostics: readonly Diagnostic[]): string {
  const edits: TextEdit[] = diagnostics.flatMap((d) => d.fix?.edits ?? []);
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < edits.length; i++) {
    const prev = edits[i - 1] as TextEdit;
    const next = edits[i] as TextEdit;
    if (next.start < prev.end || (next.start === prev.start && next.end === prev.end)) {
      throw new Error(`overlapping fixes at ${prev.start}-${prev.end} and ${next.start}-${next.end}`);
    }
  }
  let out = source;
  for (const e of [...edits].reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

export interface Shape {
  tag: string;
  attributes: Record<string, string>;
  text: string;
  children: Shape[];
}

/** What a document means, without where it was written. */
export function shape(node: Node | null): Shape | null {
  if (!node) return null;
  return { tag: node.tag, attributes: { ...node.attributes }, text: node.text, children: node.children.map((c) => shape(c) as Shape) };
}

export function* walk(node: Node | null): Generator<Node> {
  if (!node) return;
  yield node;
  for (const child of node.children) yield* walk(child);
}

/** A small deterministic PRNG, so chunk sizes are random but reproducible. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

export async function* chunked<T extends string | Uint8Array>(input: T, size: () => number): AsyncGenerator<T> {
  for (let i = 0; i < input.length; ) {
    const n = Math.max(1, size());
    yield input.slice(i, i + n) as T;
    i += n;
  }
}

export function readFixtures(): Array<{ rule: string; name: string; file: string }> {
  return fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(FIXTURES, d.name))
        .filter((f) => f.endsWith('.xml'))
        .map((f) => ({ rule: `xml/${d.name}`, name: f, file: path.join(FIXTURES, d.name, f) })),
    );
}
