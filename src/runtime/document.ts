// A fetched body turned into something to run: parsed leniently (DIDforSale's own `</Say>`-closed
// <sip> runs, with a warning), typed and defaulted by the grammar. A document that cannot be
// parsed, or whose root is not the dialect's root, is a failure like a failed request (12100).
import type { Projected } from '../grammar/index.js';
import { loadGrammar } from '../grammar/index.js';
import { lintDocument } from '../validate/lint.js';
import { parse } from '../parse/index.js';
import { knownTags } from '../validate/dialect.js';
import { DidmlError } from '../errors.js';
import type { DialectName, Diagnostic } from '../types.js';

export interface RunnableDocument {
  dialect: DialectName;
  root: Projected;
  /** Warnings and recoverable errors the app may want to know about (logged, not fatal). */
  diagnostics: Diagnostic[];
}

/**
 * Compiled documents by dialect and body: an app mostly serves the same bytes to every caller,
 * and a compiled document is never changed by the verbs that run it, so calls can share it.
 * Bounded, least recently used first out.
 */
const cache = new Map<string, RunnableDocument | DidmlError>();
const CACHE_ENTRIES = 256;
/** Larger bodies are compiled each time: they are rare, and would crowd the cache. */
const CACHE_MAX_BODY = 16 * 1024;

export function compileDocument(body: string, dialect: DialectName | 'auto', maxBytes: number): RunnableDocument | DidmlError {
  if (body.length > CACHE_MAX_BODY) return compile(body, dialect, maxBytes);
  const key = `${dialect}\u0000${maxBytes}\u0000${body}`;
  let hit = cache.get(key);
  if (hit) {
    cache.delete(key);
  } else {
    hit = compile(body, dialect, maxBytes);
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, hit);
  return hit;
}

function compile(body: string, dialect: DialectName | 'auto', maxBytes: number): RunnableDocument | DidmlError {
  const doc = parse(body, { maxBytes, knownTags: knownTags(dialect === 'auto' ? undefined : dialect) });
  const r = lintDocument(doc, { dialect, rules: [], template: false });
  const fatal = r.diagnostics.find((d) => d.severity === 'error' && d.code === 12100);
  if (!r.projected || fatal) {
    const why = fatal ? `${fatal.line}:${fatal.column} ${fatal.message}` : 'it holds no element';
    return new DidmlError('DIDML_DOCUMENT_INVALID', `the document cannot be run: ${why}`);
  }
  const root = loadGrammar(r.dialect).root;
  if (r.projected.name !== root) {
    return new DidmlError('DIDML_DOCUMENT_INVALID', `the document's root is <${r.projected.name}>, not <${root}>`);
  }
  return { dialect: r.dialect, root: r.projected, diagnostics: r.diagnostics.filter((d) => d.severity !== 'info') };
}

/**
 * A text/plain answer: "Twilio reads the content of the text out loud to the caller, and then
 * hangs up" (https://www.twilio.com/docs/api/twiml/your_response), i.e. a <Say> and a <Hangup>.
 */
export function plainTextDocument(body: string, dialect: DialectName): RunnableDocument {
  const verb = (name: string, text = ''): Projected => ({ name, attributes: {}, text, children: [] });
  const text = body.replace(/\s+/g, ' ').trim();
  const children = text ? [verb('Say', text), verb('Hangup')] : [verb('Hangup')];
  return { dialect, root: { name: loadGrammar(dialect).root, attributes: {}, text: '', children }, diagnostics: [] };
}
