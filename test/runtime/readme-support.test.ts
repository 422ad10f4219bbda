// The README's list of attributes the runtime does not run yet says what the grammar says: each
// one it names is marked x-runtime (and so reported when a document sets it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { loadGrammar } from '../../src/grammar/index.js';
import { notHonouredBecause } from '../../src/runtime/support.js';

const readme = readFileSync(join(fileURLToPath(new URL('../..', import.meta.url)), 'README.md'), 'utf8');

it("every attribute the README's \"Not run yet\" names is marked not run in the grammar", () => {
  const bullet = (/- \*\*Not run yet\*\*[\s\S]*?\n(?=- \*\*|\n)/.exec(readme)?.[0] ?? '').replace(/\s+/g, ' ');
  const among = bullet.slice(bullet.indexOf('Among them:'));
  expect(among.length, 'the README lists some attributes not run yet').toBeGreaterThan(20);
  const twiml = loadGrammar('twiml');
  const named: string[] = [];
  for (const part of among.split(';')) {
    const elements = [...part.matchAll(/`<([A-Za-z]+)>`/g)].map((m) => m[1]!);
    const attributes = [...part.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]!);
    for (const e of elements) for (const a of attributes) named.push(`${e}@${a}`);
  }
  expect(named.length).toBeGreaterThan(10);
  const unmarked = named.filter((n) => {
    const [e, a] = n.split('@') as [string, string];
    const schema = twiml.elements[e]?.attributes[a];
    return !schema || !notHonouredBecause(schema, 'drachtio');
  });
  expect(unmarked).toEqual([]);
});
