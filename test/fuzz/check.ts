// The properties every input must keep, whatever it is. `checkCase` runs one input through parse
// (as text and as UTF-8 bytes), lint (auto and each dialect), lintAndFix and fmt, and returns what
// went wrong, [] when nothing did. It never throws: an exception from didml is a violation.
//
// - no-throw: no stage throws, and parse never has to catch one (xml/internal-error)
// - bounded-work: a parse gives saxes at most MAX_ROUNDS + 3 chunks, none far longer than the input
// - positions: every diagnostic, fix edit and element span lies inside the document, nested in
//   its parent, with the line and column its offsets give
// - bytes-agree, chunks-agree: a text, its UTF-8 bytes, and either in chunks parse the same
// - fix-parses: lintAndFix adds no error that Twilio rejects (12100) and that was not there before
// - fix-keeps-verbs: lintAndFix keeps every element (names compared in any letter case)
// - fix-converges: fixing lintAndFix's output again changes nothing
// - fmt-same-tree, fmt-idempotent: fmt's output reads back as the same tree, and is its own format
// A document cut short (past a limit, too many problems) is not held to the fix properties; fmt
// refuses it anyway.
import { SaxesParser } from 'saxes';
import { parse, parseChunks, type ParseOptions } from '../../src/parse/index.js';
import { LineIndex } from '../../src/parse/positions.js';
import { MAX_ROUNDS } from '../../src/parse/rounds.js';
import { lint, type LintResult } from '../../src/validate/lint.js';
import { lintAndFix } from '../../src/validate/fix.js';
import { formatDocument } from '../../src/format/fmt.js';
import { DIALECTS } from '../../src/grammar/index.js';
import type { DialectName, Diagnostic, Document, Fix, Node } from '../../src/types.js';
import type { FuzzCase } from './mutate.js';

export interface Violation {
  /** Which property: `no-throw`, `positions`, `fix-keeps-verbs`… */
  property: string;
  /** Where (the stage) and what, in words. */
  detail: string;
}

export interface CheckOptions {
  /**
   * `all` (the long run): lint in every dialect and auto, and parse the text's bytes too. `one`
   * (the suite, to stay fast): auto, plus on every other case the dialect `pick` names, and the
   * bytes on every fourth; over a run, every dialect is checked.
   */
  dialects: 'all' | 'one';
  /** The case number. */
  pick?: number;
}

// ---------------------------------------------------------------------------------------------
// Counting the parser's work: every chunk handed to saxes, over all recovery rounds.

interface Work {
  writes: number;
  chars: number;
  largest: number;
}

const work: Work = { writes: 0, chars: 0, largest: 0 };
const METERED = Symbol.for('didml.fuzz.metered');
type Writable = { write(chunk: string | object | null): unknown; [METERED]?: boolean };

/** Wraps SaxesParser#write once per process so that each parse can be measured. */
function installMeter(): void {
  const proto = SaxesParser.prototype as unknown as Writable;
  if (proto[METERED]) return;
  const write = proto.write;
  proto.write = function (this: unknown, chunk: string | object | null) {
    if (typeof chunk === 'string') {
      work.writes++;
      work.chars += chunk.length;
      work.largest = Math.max(work.largest, chunk.length);
    }
    return write.call(this, chunk);
  };
  proto[METERED] = true;
}

function measured<T>(run: () => T): { value: T; work: Work } {
  installMeter();
  work.writes = 0;
  work.chars = 0;
  work.largest = 0;
  const value = run();
  return { value, work: { ...work } };
}

// ---------------------------------------------------------------------------------------------
// The properties.

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const at = e.stack?.split('\n').find((l) => l.includes('/src/'))?.trim();
    return `${e.name}: ${e.message}${at ? ` (${at})` : ''}`;
  }
  return String(e);
}

function checkEdits(v: Violation[], stage: string, source: string, d: Diagnostic, fixes: readonly Fix[]): void {
  for (const f of fixes) {
    for (const e of f.edits) {
      if (!(Number.isInteger(e.start) && Number.isInteger(e.end) && 0 <= e.start && e.start <= e.end && e.end <= source.length)) {
        v.push({ property: 'positions', detail: `${stage}: ${d.rule} has an edit ${e.start}-${e.end} outside 0-${source.length}` });
      }
    }
  }
}

/** Every diagnostic inside the document, its line/column where its offsets say. */
export function checkDiagnostics(v: Violation[], stage: string, source: string, diagnostics: readonly Diagnostic[]): void {
  const lines = new LineIndex(source);
  for (const d of diagnostics) {
    const where = `${stage}: ${d.rule} at ${d.start}-${d.end} (${d.line}:${d.column}-${d.endLine}:${d.endColumn})`;
    if (!(Number.isInteger(d.start) && Number.isInteger(d.end) && 0 <= d.start && d.start <= d.end && d.end <= source.length)) {
      v.push({ property: 'positions', detail: `${where} is outside 0-${source.length}` });
      continue;
    }
    if (!(d.line >= 1 && d.column >= 1 && d.endLine >= d.line)) v.push({ property: 'positions', detail: `${where} has no valid line/column` });
    const r = lines.rangeOf(d);
    if (r.line !== d.line || r.column !== d.column || r.endLine !== d.endLine || r.endColumn !== d.endColumn) {
      v.push({ property: 'positions', detail: `${where} should be ${r.line}:${r.column}-${r.endLine}:${r.endColumn}` });
    }
    if (!d.message || !d.rule) v.push({ property: 'positions', detail: `${where} has no message or rule` });
    checkEdits(v, stage, source, d, [...(d.fix ? [d.fix] : []), ...(d.suggestions ?? [])]);
  }
}

function* nodes(root: Node | null): Generator<Node> {
  const todo = root ? [root] : [];
  for (let n = todo.pop(); n; n = todo.pop()) {
    yield n;
    for (let i = n.children.length - 1; i >= 0; i--) todo.push(n.children[i] as Node);
  }
}

/** Every element's spans inside the document, nested in its parent's. */
function checkNodes(v: Violation[], stage: string, doc: Document): void {
  const n = doc.source.length;
  const lines = new LineIndex(doc.source);
  const inside = (s: { start: number; end: number } | undefined) => !s || (0 <= s.start && s.start <= s.end && s.end <= n);
  for (const node of nodes(doc.root)) {
    const bad = [node.span, node.openSpan, node.closeSpan, node.textSpan, ...node.attrs.flatMap((a) => [a.span, a.nameSpan, a.valueSpan])].some((s) => !inside(s));
    if (bad) v.push({ property: 'positions', detail: `${stage}: <${node.tag}> at ${node.span.start} has a span outside 0-${n}` });
    const r = lines.rangeOf(node.span);
    if (r.line !== node.line || r.column !== node.column || r.endLine !== node.endLine || r.endColumn !== node.endColumn) {
      v.push({ property: 'positions', detail: `${stage}: <${node.tag}> at ${node.span.start} has line/column ${node.line}:${node.column}, not ${r.line}:${r.column}` });
    }
    for (const c of node.children) {
      if (c.span.start < node.span.start || (c.span.end > node.span.end && node.span.end > node.span.start)) {
        v.push({ property: 'positions', detail: `${stage}: <${c.tag}> ${c.span.start}-${c.span.end} is not inside its parent <${node.tag}> ${node.span.start}-${node.span.end}` });
        break;
      }
    }
  }
}

/** Lower-cased element names with their counts. */
function elementCounts(root: Node | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of nodes(root)) counts.set(n.tag.toLowerCase(), (counts.get(n.tag.toLowerCase()) ?? 0) + 1);
  return counts;
}

/**
 * Errors that make Twilio refuse a document (12100), by rule. Not didml's own limits: a fix may
 * rightly cross one (the missing root adds a level; &amp; for & adds bytes). "No elements" is one
 * problem, whether the body holds text (not-xml) or nothing (empty).
 */
const LIMITS = new Set(['xml/too-deep', 'xml/too-large', 'xml/too-many-attributes']);
function parseErrors(r: LintResult): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of r.diagnostics) {
    if (d.severity !== 'error' || d.code !== 12100 || LIMITS.has(d.rule)) continue;
    const rule = d.rule === 'xml/empty' ? 'xml/not-xml' : d.rule;
    counts.set(rule, (counts.get(rule) ?? 0) + 1);
  }
  return counts;
}

/**
 * Not all of the document was read, or not every problem was reported: a limit left elements or
 * attributes out (so the rules saw part of them), reading stopped, or problems went unreported.
 * Before and after fixing cannot be compared.
 */
const CUT = new Set([...LIMITS, 'xml/too-many-problems']);
const truncated = (r: LintResult) => r.diagnostics.some((d) => CUT.has(d.rule));

interface Shape {
  tag: string;
  attributes: Array<[string, string]>;
  text: string;
  children: Shape[];
}

/** What fmt must keep: names, attributes in order, text (trimmed, unless mixed with elements). */
export function shapeOf(node: Node): Shape {
  const mixed = node.children.length > 0 && node.text.trim() !== '';
  return {
    tag: node.tag,
    attributes: node.attrs.map((a) => [a.name, a.value]),
    text: mixed ? node.text : node.text.trim(),
    children: node.children.map(shapeOf),
  };
}

function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path || '.'}: ${JSON.stringify(a)?.slice(0, 80)} became ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`);
    if (d) return d;
  }
  return undefined;
}

function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Runs `fn`; an exception is a `no-throw` violation and gives undefined. */
function guard<T>(v: Violation[], stage: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    v.push({ property: 'no-throw', detail: `${stage} threw ${describeError(e)}` });
    return undefined;
  }
}

export function checkCase(c: FuzzCase, options: CheckOptions = { dialects: 'all' }): Violation[] {
  const v: Violation[] = [];
  const lintOptions = c.maxBytes !== undefined ? { maxBytes: c.maxBytes } : {};
  const parseOptions: ParseOptions = { ...lintOptions };
  if (c.maxDepth !== undefined) parseOptions.maxDepth = c.maxDepth;
  if (c.maxAttributes !== undefined) parseOptions.maxAttributes = c.maxAttributes;

  // parse: no exception (parse turns one into xml/internal-error), bounded work, valid positions.
  const parsed = guard(v, 'parse', () => measured(() => parse(c.input, parseOptions)));
  if (!parsed) return v;
  const doc = parsed.value;
  const { writes, largest } = parsed.work;
  // One pass per recovery round; a pass reads the working copy, which recoveries grow by a
  // bounded factor (&amp; for &, a close tag's name for another).
  if (writes === 0 && doc.source.length > 0 && doc.diagnostics[0]?.rule !== 'xml/too-large') {
    v.push({ property: 'bounded-work', detail: 'parse: the meter on saxes saw no work (is it another copy of saxes?)' });
  }
  if (writes > MAX_ROUNDS + 3 || largest > 25 * doc.source.length + 1000) {
    v.push({ property: 'bounded-work', detail: `parse: ${writes} writes to saxes, the largest ${largest} characters, for ${doc.source.length} characters` });
  }
  checkDiagnostics(v, 'parse', doc.source, doc.diagnostics);
  checkNodes(v, 'parse', doc);

  const pick = options.pick ?? 0;
  const all = options.dialects === 'all';
  // The same text as UTF-8 bytes parses the same.
  if (typeof c.input === 'string' && !hasLoneSurrogate(c.input) && (all || pick % 4 === 0)) {
    const fromBytes = guard(v, 'parse(bytes)', () => parse(new TextEncoder().encode(c.input as string), parseOptions));
    const d = fromBytes && firstDifference(doc, fromBytes);
    if (d) v.push({ property: 'bytes-agree', detail: `parse of the text and of its UTF-8 bytes differ at ${d}` });
  }

  // The same input in chunks (as a webhook body streams in) parses the same: nothing may look
  // past what has arrived. Sizes 1, 2, 3, 5, 8… then again, so chunks end at every kind of place.
  if (all || pick % 4 === 2) {
    const chunks: Array<string | Uint8Array> = [];
    const sizes = [1, 2, 3, 5, 8, 13, 21, 34];
    for (let at = 0, k = pick; at < c.input.length; k++) {
      const size = sizes[k % sizes.length] as number;
      chunks.push(c.input.slice(at, at + size));
      at += size;
    }
    const streamed = guard(v, 'parse(chunks)', () => parseChunks(chunks, parseOptions));
    const d = streamed && firstDifference(doc, streamed);
    if (d) v.push({ property: 'chunks-agree', detail: `parse of the whole and of it in chunks differ at ${d}` });
  }

  // lint, in every dialect and auto.
  const dialects: Array<DialectName | 'auto'> = all
    ? ['auto', ...DIALECTS]
    : pick % 2 === 0
      ? ['auto', DIALECTS[(pick / 2) % DIALECTS.length] as DialectName]
      : ['auto'];
  let auto: LintResult | undefined;
  for (const dialect of dialects) {
    const r = guard(v, `lint(${dialect})`, () => lint(c.input, { ...lintOptions, dialect }));
    if (!r) continue;
    if (dialect === 'auto') auto = r;
    checkDiagnostics(v, `lint(${dialect})`, r.document.source, r.diagnostics);
  }
  for (const d of [...doc.diagnostics, ...(auto?.diagnostics ?? [])]) {
    if (d.rule === 'xml/internal-error') v.push({ property: 'no-throw', detail: `parse caught an exception: ${d.message}` });
  }
  if (!auto) return v;
  const source = auto.document.source;

  // lint --fix: the output parses (no new 12100 errors) and keeps every element.
  const fixed = guard(v, 'lintAndFix', () => lintAndFix(source, lintOptions));
  if (fixed) {
    // Against what was read of the output: past the size limit that is less than all of it.
    checkDiagnostics(v, 'lintAndFix', fixed.result.document.source, fixed.result.diagnostics);
    if (fixed.output !== source) {
      if (!truncated(auto) && !truncated(fixed.result)) {
        const before = parseErrors(auto);
        for (const [rule, n] of parseErrors(fixed.result)) {
          if (n > (before.get(rule) ?? 0)) v.push({ property: 'fix-parses', detail: `lintAndFix: ${rule} ${before.get(rule) ?? 0} → ${n} errors after fixing` });
        }
      }
      // Done is done: fixing the output again changes nothing (a fix that reappears where it was
      // applied would be applied again and again).
      if (!truncated(fixed.result)) {
        const again = guard(v, 'lintAndFix(output)', () => lintAndFix(fixed.output, { ...lintOptions, dialect: fixed.result.dialect }));
        if (again && again.output !== fixed.output) {
          const left = fixed.result.diagnostics.find((d) => d.fix);
          v.push({ property: 'fix-converges', detail: `lintAndFix: fixing its output again changes it${left ? ` (${left.rule} at ${left.start}: ${left.message})` : ''}` });
        }
      }
      if (!truncated(auto) && !truncated(fixed.result)) {
        const before = elementCounts(auto.document.root);
        const after = elementCounts(fixed.result.document.root);
        for (const [tag, n] of before) {
          if ((after.get(tag) ?? 0) < n) v.push({ property: 'fix-keeps-verbs', detail: `lintAndFix: <${tag}> ×${n} became ×${after.get(tag) ?? 0}` });
        }
      }
    }
  }

  // fmt: the output re-parses to the same tree, and formatting it again changes nothing.
  const formatted = guard(v, 'fmt', () => formatDocument(auto.document));
  if (formatted?.output != null && auto.document.root) {
    const output = formatted.output;
    // Read back without the size limit: escaping a page of bare & may take it past 64 KiB.
    const again = guard(v, 'lint(fmt output)', () => lint(output, { dialect: auto.dialect, maxBytes: Infinity }));
    if (again) {
      checkDiagnostics(v, 'lint(fmt output)', output, again.diagnostics);
      const d = again.document.root ? firstDifference(shapeOf(auto.document.root), shapeOf(again.document.root)) : 'no root';
      if (d) v.push({ property: 'fmt-same-tree', detail: `fmt: the formatted document differs at ${d}` });
      const twice = guard(v, 'fmt(fmt output)', () => formatDocument(again.document));
      if (twice && twice.output !== output) {
        v.push({ property: 'fmt-idempotent', detail: twice.output === null ? `fmt refuses its own output: ${twice.reason}` : 'formatting the output again changes it' });
      }
    }
  }
  return v;
}
