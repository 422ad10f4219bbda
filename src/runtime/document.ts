// A fetched body turned into something to run, as the dialect's engine would: a TwiML (cXML,
// TeXML, Plivo) document that is not well-formed fails like a failed request (12100, 12102 without
// its <Response>), while DIDforSale's lenient engine runs its own `</Say>`-closed <sip>, with a
// warning. `strictness` overrides the dialect either way. The result is typed and defaulted by
// the grammar.
import type { Projected } from '../grammar/index.js';
import { loadGrammar } from '../grammar/index.js';
import { lintDocument } from '../validate/lint.js';
import { parse, type BadByte } from '../parse/index.js';
import { knownTags } from '../validate/dialect.js';
import { DidmlError } from '../errors.js';
import type { DialectName, Diagnostic } from '../types.js';

/** Whether a recovery from malformed XML is fatal: as the dialect's engine does, or always, or never. */
export type Strictness = 'dialect' | 'strict' | 'lenient';

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
/** Twilio's "The root element must be Response". */
const ROOT_ERROR = 12102;

const cache = new Map<string, RunnableDocument | DidmlError>();
const CACHE_ENTRIES = 256;
/** Larger bodies are compiled each time: they are rare, and would crowd the cache. */
const CACHE_MAX_BODY = 16 * 1024;

export function compileDocument(
  body: string,
  dialect: DialectName | 'auto',
  maxBytes: number,
  strictness: Strictness = 'dialect',
  badByte?: BadByte,
): RunnableDocument | DidmlError {
  if (body.length > CACHE_MAX_BODY || badByte) return compile(body, dialect, maxBytes, strictness, badByte);
  const key = `${dialect}\u0000${strictness}\u0000${maxBytes}\u0000${body}`;
  let hit = cache.get(key);
  if (hit) {
    cache.delete(key);
  } else {
    hit = compile(body, dialect, maxBytes, strictness);
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, hit);
  return hit;
}

function compile(body: string, dialect: DialectName | 'auto', maxBytes: number, strictness: Strictness, badByte?: BadByte): RunnableDocument | DidmlError {
  const doc = parse(body, { maxBytes, knownTags: knownTags(dialect === 'auto' ? undefined : dialect), ...(badByte ? { badByte } : {}) });
  const r = lintDocument(doc, { dialect, rules: [], template: false, strict: strictness === 'strict', lenient: strictness === 'lenient' });
  // What the parser says is an error (not well-formed, or recovered where the dialect refuses
  // it), and a root that is not the dialect's.
  const fatal = r.diagnostics.find((d) => d.severity === 'error' && (d.rule.startsWith('xml/') || d.rule === 'root-element'));
  if (!r.projected || fatal) {
    const why = fatal ? `${fatal.line}:${fatal.column} ${fatal.message}` : 'it holds no element';
    return new DidmlError('DIDML_DOCUMENT_INVALID', `the document cannot be run: ${why}`, fatal?.code ? { twilioCode: fatal.code } : undefined);
  }
  const root = loadGrammar(r.dialect).root;
  if (r.projected.name !== root) {
    return new DidmlError('DIDML_DOCUMENT_INVALID', `the document's root is <${r.projected.name}>, not <${root}>`, { twilioCode: ROOT_ERROR });
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
