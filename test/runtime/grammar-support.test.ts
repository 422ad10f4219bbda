// The grammar's x-runtime marks and the runtime agree: every attribute of every element the
// runtime runs, set in a document and run on the mock backend, is either read by the runtime
// (honoured, no mark) or reported in the transcript as not honoured (marked). A mark on an
// attribute the runtime reads is stale; an attribute it neither reads nor reports is silently
// ignored. Both fail here, naming the element and attribute.
import { describe, expect, it, vi } from 'vitest';
import { DIALECTS, loadGrammar } from '../../src/grammar/index.js';
import type { AttributeSchema } from '../../src/grammar/index.js';
import type { DialectName } from '../../src/types.js';
import { notHonouredBecause } from '../../src/runtime/support.js';
import { compiled, placements, recordReads, runPlacement, type PlacementRun } from './grammar-support.js';

vi.mock('../../src/runtime/document.js', async (original) => {
  const m = await original<typeof import('../../src/runtime/document.js')>();
  return {
    ...m,
    compileDocument: (...args: Parameters<typeof m.compileDocument>) => {
      const doc = m.compileDocument(...args);
      if (!(doc instanceof Error)) {
        recordReads(doc.root);
        compiled.push(doc.root);
      }
      return doc;
    },
  };
});

/**
 * Honoured, but read only in a situation one generic call cannot set up, each with the test
 * that shows it honoured: a <Queue url> runs only once a caller waits in that queue.
 */
const READ_ONLY_WHEN: Record<string, string> = {
  'Queue@url': 'a caller waits in the queue (test/runtime/queue.test.ts)',
  'Queue@method': 'a caller waits in the queue (test/runtime/queue.test.ts)',
  'Dequeue@url': 'a caller waits in the queue (test/runtime/queue.test.ts)',
  'Dequeue@method': 'a caller waits in the queue (test/runtime/queue.test.ts)',
};

interface ElementRuns {
  ran: boolean;
  read: Set<string>;
  reported: Set<string>;
}

/** Each element's runs, merged over its placements (an attribute counts where its element ran). */
async function runDialect(dialect: DialectName): Promise<Map<string, ElementRuns>> {
  const out = new Map<string, ElementRuns>();
  for (const p of placements(dialect)) {
    const r: PlacementRun = await runPlacement(p);
    const e = out.get(p.element) ?? { ran: false, read: new Set<string>(), reported: new Set<string>() };
    if (!r.elementNotRun) {
      e.ran = true;
      r.read.forEach((a) => e.read.add(a));
      r.reported.forEach((a) => e.reported.add(a));
    }
    out.set(p.element, e);
  }
  return out;
}

/** Why the mock does not honour it; `backendOnly`: other backends do (the runtime reads it to hand to them). */
type MarkOf = (dialect: DialectName, element: string, attribute: string, schema: AttributeSchema) => { why: string; backendOnly: boolean } | undefined;
const grammarMark: MarkOf = (_d, _e, _a, schema) => notHonouredBecause(schema, 'mock');

/** Where the marks and what the runtime did disagree, in words. */
function disagreements(dialect: DialectName, runs: Map<string, ElementRuns>, markOf: MarkOf): string[] {
  const g = loadGrammar(dialect);
  const out: string[] = [];
  for (const [id, e] of runs) {
    if (!e.ran) continue;
    for (const [attribute, schema] of Object.entries(g.elements[id]!.attributes)) {
      const where = `${dialect} <${g.elements[id]!.tag} ${attribute}>`;
      const marked = markOf(dialect, id, attribute, schema);
      const mark = marked?.why;
      if (marked !== undefined) {
        if (!e.reported.has(attribute)) out.push(`${where} is marked not run ("${mark}") but the runtime did not report it`);
        // A mark for the mock alone: the runtime reads the value for the backends that honour it.
        if (e.read.has(attribute) && !marked.backendOnly) out.push(`${where} is marked not run ("${mark}") but the runtime reads it: remove the mark, or say why reading it is not honouring it`);
      } else if (!e.read.has(attribute) && !READ_ONLY_WHEN[`${id}@${attribute}`]) {
        out.push(`${where} is neither read nor reported by the runtime: honour it, or mark it "x-runtime" in the grammar`);
      }
      if (mark === undefined && e.reported.has(attribute)) out.push(`${where} is reported as not run but has no mark`);
    }
  }
  return out;
}

const runsByDialect = new Map<DialectName, Map<string, ElementRuns>>();
async function runsOf(dialect: DialectName): Promise<Map<string, ElementRuns>> {
  let r = runsByDialect.get(dialect);
  if (!r) runsByDialect.set(dialect, (r = await runDialect(dialect)));
  return r;
}

describe('the grammar says which attributes the runtime honours (x-runtime), and the runtime agrees', () => {
  for (const dialect of DIALECTS) {
    it(`${dialect}: every attribute of every element run is read, or marked and reported`, async () => {
      const runs = await runsOf(dialect);
      // The elements the runtime runs are many: a harness that ran none would agree with anything.
      expect([...runs.values()].filter((e) => e.ran).length).toBeGreaterThan(dialect === 'plivo' ? 5 : 30);
      expect(disagreements(dialect, runs, grammarMark)).toEqual([]);
    }, 120_000);
  }

  it('fails when a mark is missing, or when an attribute the runtime reads is marked', async () => {
    const runs = await runsOf('twiml');
    const withoutOne: MarkOf = (d, e, a, s) => (e === 'Gather' && a === 'partialResultCallback' ? undefined : grammarMark(d, e, a, s));
    expect(disagreements('twiml', runs, withoutOne)).toEqual([
      'twiml <Gather partialResultCallback> is neither read nor reported by the runtime: honour it, or mark it "x-runtime" in the grammar',
      'twiml <Gather partialResultCallback> is reported as not run but has no mark',
    ]);
    const oneTooMany: MarkOf = (d, e, a, s) => (e === 'Gather' && a === 'timeout' ? { why: 'pretend', backendOnly: false } : grammarMark(d, e, a, s));
    expect(disagreements('twiml', runs, oneTooMany)).toEqual([
      'twiml <Gather timeout> is marked not run ("pretend") but the runtime did not report it',
      'twiml <Gather timeout> is marked not run ("pretend") but the runtime reads it: remove the mark, or say why reading it is not honouring it',
    ]);
  }, 120_000);

  it('the transcription marks are per backend: honoured on the mock, not on drachtio', () => {
    const record = loadGrammar('twiml').elements['Record']!.attributes;
    expect(notHonouredBecause(record['transcribe'], 'mock')).toBeUndefined();
    expect(notHonouredBecause(record['transcribeCallback'], 'drachtio')).toEqual({ why: 'the drachtio backend has no speech-to-text for recordings', backendOnly: true });
    // TeXML spells it transcription/transcriptionCallback, which no backend runs yet.
    expect(notHonouredBecause(loadGrammar('texml').elements['Record']!.attributes['transcriptionCallback'], 'mock')?.backendOnly).toBe(false);
  });
});
