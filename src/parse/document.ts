// From the kept pass to the public Document: the root (virtual when clear intent allows),
// text outside it, and every diagnostic moved onto the original source with line and column.
import type { Comment, Diagnostic, Document, Span } from '../types.js';
import type { EditedText } from './edits.js';
import type { Settings } from './options.js';
import type { Pass } from './pass.js';
import { MAX_DRAFTS } from './pass.js';
import { lineIndex } from './positions.js';
import * as problems from './problems.js';
import { empty, missingRoot, notXml, type Draft, type TopText } from './recover/index.js';
import { toOriginal } from './rounds.js';
import { firstNonSpace, hasNonSpace, isSpace } from './scan.js';
import { toNode, type El } from './tree.js';

function trimmedSpan(src: string, t: TopText): Span {
  let end = t.end;
  while (end > t.start && isSpace(src.charCodeAt(end - 1))) end--;
  return { start: firstNonSpace(src, t.start, end), end };
}

/** Drops the elements deeper than `maxDepth` (the root is 1); returns the first one dropped. */
function pruneBelow(root: El, maxDepth: number): El | undefined {
  let first: El | undefined;
  const todo: Array<[El, number]> = [[root, 1]];
  for (let item = todo.pop(); item; item = todo.pop()) {
    const [el, depth] = item;
    if (depth === maxDepth) {
      const dropped = el.children[0];
      if (dropped && (!first || dropped.start < first.start)) first = dropped;
      el.children = [];
    } else {
      for (const c of el.children) todo.push([c, depth + 1]);
    }
  }
  return first;
}

/**
 * The root element and the diagnostics that depend on the whole document. `alone`: the body is
 * plain text or blank, and its one diagnostic says all there is to say.
 */
function decideRoot(pass: Pass, settings: Settings): { root: El | null; drafts: Draft[]; alone: boolean } {
  const { tops, topTexts, src } = pass;
  const drafts: Draft[] = [];
  const first = tops[0];
  const last = tops[tops.length - 1];
  if (!first || !last) {
    const text = topTexts.find((t) => hasNonSpace(t.text));
    if (text) return { root: null, drafts: [notXml(text.text, trimmedSpan(src, text), settings.rootName)], alone: true };
    // Nothing but white space: saxes' "unexpected end" would only be noise.
    const blank = !hasNonSpace(src.charCodeAt(0) === 0xfeff ? src.slice(1) : src);
    return { root: null, drafts: [empty({ start: src.length, end: src.length }, settings.rootName)], alone: blank };
  }
  const before = topTexts.filter((t) => t.end <= first.start);
  const after = topTexts.filter((t) => t.start >= last.end);
  const between = topTexts.filter((t) => t.start >= first.start && t.end <= last.end);
  const stray = before.find((t) => hasNonSpace(t.text));
  if (stray) drafts.push(problems.syntax(`Text before <${first.tag}> is not allowed; remove it`, trimmedSpan(src, stray)));
  const trailing = after.find((t) => hasNonSpace(t.text));
  if (trailing) drafts.push(problems.syntax(`Text after the end of <${last.tag}> is not allowed; remove it`, trimmedSpan(src, trailing)));

  if (first.tag.toLowerCase() !== settings.rootName.toLowerCase()) {
    const wrapped = missingRoot(tops, between, settings.rootName, settings.knownTags, !pass.endedInMarkup);
    if (wrapped) {
      drafts.push(wrapped.diagnostic);
      // The made-up root is a level too: what it pushes below the depth limit goes, as it would
      // once the fix writes the root.
      const cut = pruneBelow(wrapped.root, settings.maxDepth);
      if (cut && !pass.tooDeepReported) drafts.push(problems.tooDeep(settings.maxDepth, { start: cut.start, end: cut.openEnd }));
      // Inside the root (where the fix puts it), text may not hold "]]>"; saxes checks only there.
      for (const t of between) {
        const text = src.slice(t.start, t.end);
        for (let at = text.indexOf(']]>'); at !== -1; at = text.indexOf(']]>', at + 3)) {
          drafts.push(problems.syntax(problems.readable('the string "]]>" is disallowed in char data.', ''), { start: t.start + at, end: t.start + at + 3 }));
        }
      }
      return { root: wrapped.root, drafts, alone: false };
    }
  }
  const inside = between.find((t) => hasNonSpace(t.text));
  if (inside) drafts.push(problems.syntax(`Text outside the root element is not allowed; remove it`, trimmedSpan(src, inside)));
  for (const extra of tops.slice(1)) {
    drafts.push(problems.syntax(`A document has one root element: move <${extra.tag}> inside <${first.tag}>`, { start: extra.start, end: extra.openEnd }));
  }
  return { root: first, drafts, alone: false };
}

const ORDER = { error: 0, warning: 1, info: 2 } as const;

export interface Extras {
  invalidUtf8?: { offset: number; byte: number; encoding?: string } | undefined;
  loneSurrogate?: number | undefined;
}

/**
 * UTF-16 read as UTF-8: its byte order mark (FF FE or FE FF) reads as two U+FFFD, and every
 * ASCII character comes with a NUL (`<\0R\0…` little-endian, `\0<\0R…` big-endian).
 */
function utf16(source: string): Draft | undefined {
  const bom = source.startsWith('\uFFFD\uFFFD');
  const head = source.slice(bom ? 2 : 0, (bom ? 2 : 0) + 8);
  if (!/^(?:[^\0]\0){4}$|^(?:\0[^\0]){4}$/.test(head)) return undefined;
  const how = bom ? 'it starts with a UTF-16 byte order mark' : 'every other byte is 0';
  return problems.syntax(`The document is UTF-16 (${how}), not UTF-8; save it as UTF-8`, { start: 0, end: bom ? 2 : 1 });
}

export function buildDocument(source: string, pass: Pass, work: EditedText, recovered: Draft[], settings: Settings, extras: Extras): Document {
  const wrongEncoding = utf16(source);
  if (wrongEncoding) return { source, root: null, diagnostics: toDiagnostics(source, [wrongEncoding], settings.strict) };
  const decided = decideRoot(pass, settings);
  let drafts: Draft[];
  if (decided.alone) {
    // Plain text or a blank body: whatever else saxes said about it is noise.
    drafts = decided.drafts.map((d) => toOriginal(work, d));
  } else {
    drafts = [...recovered, ...[...pass.drafts, ...decided.drafts].map((d) => toOriginal(work, d))];
  }
  if (extras.invalidUtf8) {
    const at = Math.min(extras.invalidUtf8.offset, source.length);
    drafts.push(problems.invalidUtf8(extras.invalidUtf8.byte, { start: at, end: Math.min(at + 1, source.length) }, extras.invalidUtf8.encoding));
  }
  if (extras.loneSurrogate !== undefined) {
    const at = Math.min(extras.loneSurrogate, source.length);
    drafts.push(problems.loneSurrogate({ start: at, end: Math.min(at + 1, source.length) }));
  }
  const stoppedAt = pass.stoppedAt >= 0 ? work.toOriginal(pass.stoppedAt) : -1;
  if (pass.dropped > 0 || drafts.length > MAX_DRAFTS || stoppedAt >= 0) {
    // Errors first: hundreds of warnings (a page of bare &) must not hide why a document fails.
    drafts.sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.span.start - b.span.start);
    const cut = drafts.slice(MAX_DRAFTS);
    drafts = drafts.slice(0, MAX_DRAFTS);
    const at = stoppedAt >= 0 ? stoppedAt : cut.reduce((min, d) => Math.min(min, d.span.start), source.length);
    drafts.push(problems.tooManyProblems(MAX_DRAFTS, { start: at, end: at }, stoppedAt >= 0));
  }
  return {
    source,
    root: decided.root ? toNode(decided.root, work, lineIndex(source)) : null,
    diagnostics: toDiagnostics(source, drafts, settings.strict),
    comments: commentsOf(source, pass, work),
  };
}

/** The pass's comments on the original source; one that is not whole there (a recovery's) is not the user's. */
function commentsOf(source: string, pass: Pass, work: EditedText): Comment[] {
  const out: Comment[] = [];
  for (const c of pass.comments) {
    const start = work.toOriginal(c.start, true);
    const end = Math.min(source.length, work.toOriginal(c.end));
    if (!source.startsWith('<!--', start) || !source.startsWith('-->', end - 3)) continue;
    out.push({ text: source.slice(start + 4, end - 3), span: { start, end } });
  }
  return out;
}

export function toDiagnostics(source: string, drafts: readonly Draft[], strict: boolean): Diagnostic[] {
  const lines = lineIndex(source);
  const out = drafts.map((d): Diagnostic => {
    const start = Math.max(0, Math.min(d.span.start, source.length));
    const end = Math.max(start, Math.min(d.span.end, source.length));
    const diagnostic: Diagnostic = {
      rule: d.rule,
      severity: strict ? 'error' : d.severity,
      message: d.message,
      ...lines.rangeOf({ start, end }),
      start,
      end,
    };
    if (d.code !== undefined) diagnostic.code = d.code;
    if (d.fix) diagnostic.fix = d.fix;
    if (d.suggestions?.length) diagnostic.suggestions = d.suggestions;
    return diagnostic;
  });
  out.sort((a, b) => a.start - b.start || ORDER[a.severity] - ORDER[b.severity] || a.rule.localeCompare(b.rule));
  return out;
}
