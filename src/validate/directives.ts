// Inline directives in XML comments, as ESLint's in JavaScript comments:
//   <!-- didml-disable-next-line e164, say-empty -->   the line after the comment, and all of each element that starts there
//   <!-- didml-disable-line e164 -->                    the comment's line, and all of the elements beside it there
//   <!-- didml-disable url --> … <!-- didml-enable url -->   a stretch of the document
//   <!-- didml-disable -->                              before the root element, with no enable: the whole file
// No rule id means every rule; ids are separated by commas. A directive naming a rule didml does
// not have is itself reported (`directive`), and on request (reportUnused) so is one that
// silenced nothing. The directives' own reports cannot be silenced by directives. A line
// directive covers whole elements too, so that it still covers them once `didml fmt` has put
// each element (and each of its children) on a line of its own.
import type { Comment, Diagnostic, Document, Node, Severity, Span } from '../types.js';
import { walk } from './walk.js';
import { diagnostic } from './diagnostic.js';
import { lineIndex } from '../parse/positions.js';
import { knownRuleIds, namesRule } from './rule-ids.js';
import { nearest } from './schema.js';

type Kind = 'disable-next-line' | 'disable-line' | 'disable' | 'enable';

interface Directive {
  kind: Kind;
  /** Rule ids, or null for every rule. */
  ids: string[] | null;
  comment: Comment;
  line: number;
  endLine: number;
  /** For a line directive, the elements it covers beyond its line. */
  spans: Span[];
  /** Ids (or '*' for all) that silenced something, or for an enable, closed something. */
  used: Set<string>;
}

const SYNTAX = /^\s*didml-(disable-next-line|disable-line|disable|enable)(?:\s+([\s\S]*?))?\s*$/;
const OWN_RULES = new Set(['directive', 'unused-disable-directive']);

function read(doc: Document, comments: readonly Comment[]): { directives: Directive[]; problems: Diagnostic[] } {
  const lines = lineIndex(doc.source);
  const known = knownRuleIds();
  let nodes: Lines | undefined;
  const elements = () => (nodes ??= byLine(doc.root));
  const directives: Directive[] = [];
  const problems: Diagnostic[] = [];
  for (const comment of comments) {
    const m = SYNTAX.exec(comment.text);
    if (!m) continue;
    const kind = m[1] as Kind;
    const ids = m[2] ? m[2].split(',').map((s) => s.trim()) : null;
    if (ids?.some((id) => id === '')) {
      problems.push(diagnostic(doc, { rule: 'directive', severity: 'warning', span: comment.span, message: `didml-${kind}: separate rule ids with commas, one id between each two (${m[2]})` }));
    }
    const named = ids?.filter((id) => id !== '') ?? null;
    for (const id of named ?? []) {
      if (known.includes(id)) continue;
      const near = nearest(id, known);
      problems.push(diagnostic(doc, { rule: 'directive', severity: 'warning', span: comment.span, message: `didml-${kind}: "${id}" is not a didml rule${near ? ` (did you mean "${near}"?)` : ''}; it silences nothing` }));
    }
    const line = lines.position(comment.span.start).line;
    const endLine = lines.position(comment.span.end).line;
    directives.push({ kind, ids: named, comment, line, endLine, spans: covered(kind, comment, line, endLine, elements()), used: new Set() });
  }
  return { directives, problems };
}

/** The elements by the line they start on, and by the line they end on. */
interface Lines {
  starting: Map<number, Node[]>;
  ending: Map<number, Node[]>;
}

function byLine(root: Node | null): Lines {
  const starting = new Map<number, Node[]>();
  const ending = new Map<number, Node[]>();
  const add = (m: Map<number, Node[]>, line: number, n: Node) => {
    const list = m.get(line);
    if (list) list.push(n);
    else m.set(line, [n]);
  };
  for (const [n] of walk(root)) {
    add(starting, n.line, n);
    add(ending, n.endLine, n);
  }
  return { starting, ending };
}

/** The elements a line directive covers: those starting on the next line, or ending just before / starting just after the comment on its own. */
function covered(kind: Kind, c: Comment, line: number, endLine: number, nodes: Lines): Span[] {
  if (kind === 'disable-next-line') return (nodes.starting.get(endLine + 1) ?? []).map((n) => n.span);
  if (kind !== 'disable-line') return [];
  const before = (nodes.ending.get(line) ?? []).filter((n) => n.span.end <= c.span.start);
  const after = (nodes.starting.get(endLine) ?? []).filter((n) => n.span.start >= c.span.end);
  return [...before, ...after].map((n) => n.span);
}

/** The id of `d` that names `rule` ('*' for a directive of every rule), or undefined. */
const covers = (d: Directive, rule: string) => (d.ids === null ? '*' : d.ids.find((id) => namesRule(id, rule)));

export interface DirectiveOptions {
  /** Report directives that silenced nothing, at this severity. */
  reportUnused?: Severity | 'off';
}

/** The diagnostics the document's directives leave, with the directives' own problems. */
export function applyDirectives(doc: Document, diagnostics: Diagnostic[], options: DirectiveOptions = {}): Diagnostic[] {
  const comments = doc.comments ?? [];
  if (!comments.some((c) => /didml-(?:disable|enable)/.test(c.text))) return diagnostics;
  const { directives, problems } = read(doc, comments);
  // Before the root element (or with none), a disable is about the whole file, from its first character.
  const rootStart = doc.root?.span.start ?? Infinity;
  const from = (d: Directive) => (d.kind === 'disable' && d.comment.span.start < rootStart ? 0 : d.comment.span.end);
  const blocks = directives.filter((d) => d.kind === 'disable' || d.kind === 'enable').sort((a, b) => from(a) - from(b));
  const kept: Diagnostic[] = [];
  const sorted = [...diagnostics].sort((a, b) => a.start - b.start);
  // A sweep through the document: which block disables are open at each diagnostic.
  let all: Directive | null = null;
  const allExcept = new Set<string>();
  const byRule = new Map<string, Directive>();
  const step = (b: Directive) => {
    if (b.kind === 'disable') {
      if (b.ids === null) {
        all = b;
        allExcept.clear();
      } else for (const id of b.ids) byRule.set(id, b);
    } else if (b.ids === null) {
      if (all || byRule.size) b.used.add('*');
      all = null;
      byRule.clear();
    } else {
      for (const id of b.ids) {
        if (byRule.delete(id) || (all && !allExcept.has(id))) b.used.add(id);
        if (all) allExcept.add(id);
      }
    }
  };
  let next = 0;
  for (const d of sorted) {
    for (; next < blocks.length && from(blocks[next]!) <= d.start; next++) step(blocks[next]!);
    if (OWN_RULES.has(d.rule)) {
      kept.push(d);
      continue;
    }
    const silencer = silencedBy(d, directives, byRule, all, allExcept);
    if (silencer) silencer.directive.used.add(silencer.id);
    else kept.push(d);
  }
  // Enables after the last diagnostic still close what is open (or are unused).
  for (; next < blocks.length; next++) step(blocks[next]!);
  const out = [...kept, ...problems];
  if (options.reportUnused && options.reportUnused !== 'off') out.push(...unused(doc, directives, options.reportUnused));
  return out;
}

function silencedBy(d: Diagnostic, directives: readonly Directive[], byRule: Map<string, Directive>, all: Directive | null, allExcept: Set<string>): { directive: Directive; id: string } | undefined {
  // The nearest says it: a line directive before a block one.
  for (const x of directives) {
    if (x.kind !== 'disable-next-line' && x.kind !== 'disable-line') continue;
    const onLine = x.kind === 'disable-next-line' ? d.line === x.endLine + 1 : d.line === x.line;
    if (!onLine && !x.spans.some((s) => d.start >= s.start && d.start < s.end)) continue;
    const id = covers(x, d.rule);
    if (id !== undefined) return { directive: x, id };
  }
  for (const [id, x] of byRule) if (namesRule(id, d.rule)) return { directive: x, id };
  if (all && ![...allExcept].some((id) => namesRule(id, d.rule))) return { directive: all, id: '*' };
  return undefined;
}

function unused(doc: Document, directives: readonly Directive[], severity: Severity): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const x of directives) {
    const idle = x.ids === null ? (x.used.has('*') ? [] : ['*']) : x.ids.filter((id) => !x.used.has(id));
    if (!idle.length) continue;
    const whole = x.ids === null || idle.length === x.ids.length;
    const what = x.ids === null ? '' : ` ${idle.join(', ')}`;
    const message =
      x.kind === 'enable'
        ? `didml-enable${what} enables nothing: no didml-disable${what} is in force here`
        : `didml-${x.kind}${what} silences nothing: no problem${x.ids === null ? '' : ` of ${idle.length === 1 ? 'that rule' : 'those rules'}`} is reported ${x.kind === 'disable' ? 'after it' : x.kind === 'disable-line' ? 'on its line' : 'on the next line'}`;
    out.push(
      diagnostic(doc, {
        rule: 'unused-disable-directive',
        severity,
        span: x.comment.span,
        message: whole ? `${message}; remove it` : `${message}; take ${idle.length === 1 ? 'it' : 'them'} out of the comment`,
        ...(whole ? { fix: { description: 'remove the directive', edits: [removal(doc.source, x.comment)] } } : {}),
      }),
    );
  }
  return out;
}

/** The comment, and its line when nothing else is on it. */
function removal(source: string, c: Comment): { start: number; end: number; text: string } {
  let start = c.span.start;
  while (start > 0 && (source[start - 1] === ' ' || source[start - 1] === '\t')) start--;
  let end = c.span.end;
  while (end < source.length && (source[end] === ' ' || source[end] === '\t')) end++;
  const lineBefore = start === 0 || source[start - 1] === '\n';
  const eol = source.startsWith('\r\n', end) ? 2 : source[end] === '\n' ? 1 : source.length === end ? 0 : -1;
  if (lineBefore && eol >= 0) return { start, end: end + eol, text: '' };
  return { start: c.span.start, end: c.span.end, text: '' };
}
