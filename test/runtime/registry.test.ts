// The grammar, the runtime's verb registry and the documents agree on what a verb is: every
// verb of every dialect that didml runs has a module (or a module that says it is unsupported),
// and every module runs something the grammar has. Guards against lists drifting apart.
import { describe, expect, it } from 'vitest';
import { DIALECTS, loadGrammar } from '../../src/grammar/index.js';
import { verbByName, verbs } from '../../src/runtime/verbs/index.js';

const RUN = ['twiml', 'didml'] as const;

describe('verb registry', () => {
  it.each(RUN)('has a module for every verb of %s', (dialect) => {
    const g = loadGrammar(dialect);
    const root = g.elements[g.root]!;
    const missing = root.children.filter((id) => !verbByName.has(id));
    expect(missing).toEqual([]);
  });

  it('registers only names the grammar knows, each once', () => {
    const known = new Set(DIALECTS.flatMap((d) => Object.keys(loadGrammar(d).elements)));
    const names = verbs.flatMap((v) => v.names);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
  });
});
