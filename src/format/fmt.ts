// One canonical layout for a document, written with xmlbuilder2: the XML declaration, two-space
// indentation, one element per line, attribute values double-quoted and escaped, text trimmed.
// Content that mixes text and elements (SSML inside <Say>) is kept exactly as written: its
// white space is part of what is spoken. Comments stay where they are among the elements (the
// didml-disable directives among them), each on a line of its own unless it shares a line with
// the element before it (then it ends that line) or the one after it (then it starts it).
import { createRequire } from 'node:module';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { Comment, Document, Node } from '../types.js';
import { lineIndex } from '../parse/positions.js';

// xmlbuilder2 (with its DOM and YAML dependencies) takes longer to load than the rest of
// `didml lint` together: load it when a document is first formatted, not at every start.
let create: typeof import('xmlbuilder2').create | undefined;
const xmlbuilder = () => (create ??= (createRequire(import.meta.url)('xmlbuilder2') as typeof import('xmlbuilder2')).create);

export interface FormatResult {
  /** The formatted document, or null when it cannot be formatted without losing content. */
  output: string | null;
  /** Why not, when output is null. */
  reason?: string;
}

/** Text beside elements or comments: kept as written. */
const isMixed = (n: Node, comments: readonly Comment[]) => n.text.trim() !== '' && (n.children.length > 0 || comments.length > 0);

// xmlbuilder2 escapes `&`, but not one that already reads as a reference: text `&amp;` (written
// `&amp;amp;`) would come out as `&amp;` and read back as `&`. Every `&` is escaped here, which
// it then leaves alone; so are the characters a parser would normalize (CR in text; CR, LF and
// TAB in an attribute value, which read back as spaces).
const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/\r/g, '&#13;');
const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
// Private-use characters never appear in a valid document's markup: safe as placeholders.
const hole = (i: number) => `\uE000${i}\uE001`;
const commentHole = (i: number) => `\uE002${i}\uE003`;

type Attach = 'after' | 'before' | 'own';

/** Each comment's placeholder replaced by the comment, joined to the line before or after it where it was. */
function placeComments(pretty: string, placed: readonly Comment[], attach: readonly Attach[]): string {
  if (!placed.length) return pretty;
  // One pass for all (a page of comments must not cost a pass each); a comment that starts the
  // next line leaves a mark that a second pass joins to it.
  const joined = pretty.replace(/(\n *)?<!--\uE002(\d+)\uE003-->/g, (_, before: string | undefined, i: string) => {
    const n = Number(i);
    const written = `<!--${placed[n]!.text}-->`;
    if (attach[n] === 'after' && before) return ` ${written}`;
    return `${before ?? ''}${written}${attach[n] === 'before' ? '\uE004' : ''}`;
  });
  return joined.replace(/\uE004(?:\n *)?/g, '');
}

export function formatDocument(doc: Document): FormatResult {
  if (!doc.root) return { output: null, reason: 'nothing to format: the document has no root element' };
  const fatal = doc.diagnostics.find((d) => d.severity === 'error' && !d.fix);
  if (fatal) return { output: null, reason: `line ${fatal.line}: ${fatal.message} (fix it first)` };
  // Past the limit, problems go unreported: one of them could be an error that has no fix.
  const unreported = doc.diagnostics.find((d) => d.rule === 'xml/too-many-problems');
  if (unreported) return { output: null, reason: `line ${unreported.line}: ${unreported.message} (fix them first: didml lint --fix)` };
  // A problem reported in one place can have its fix elsewhere too (one warning for a page of &):
  // every fix edit, by where it starts, with its diagnostic.
  const edits = doc.diagnostics.flatMap((d) => (d.fix?.edits ?? []).map((e) => [e.start, d] as const)).sort((a, b) => a[0] - b[0]);
  const fixedWithin = (start: number, end: number) => {
    let lo = 0;
    let hi = edits.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edits[mid] as readonly [number, unknown])[0] < start) lo = mid + 1;
      else hi = mid;
    }
    const hit = edits[lo];
    return hit && hit[0] <= end ? hit[1] : undefined;
  };
  const verbatim: string[] = [];
  const comments = doc.comments ?? [];
  const lines = comments.length ? lineIndex(doc.source) : undefined;
  const lineOf = (offset: number) => lines!.position(offset).line;
  const attach: Attach[] = [];
  const placed: Comment[] = [];
  /** Writes a comment, by placeholder: where it joins a line is settled in the printed text. */
  const comment = (parent: XMLBuilder, c: Comment, how: Attach) => {
    attach.push(how);
    parent.com(commentHole(attach.length - 1));
    placed.push(c);
  };
  /** The comments directly inside `node` (in its content, in none of its children), in order. */
  const inside = (node: Node): Comment[] => {
    if (!comments.length) return [];
    const start = node.openSpan.end;
    const end = node.closeSpan?.start ?? node.span.end;
    // Comments and children are both in document order: one walk through the node's content
    // (a page of comments costs each its depth, not the number of elements).
    let i = 0;
    for (let hi = comments.length; i < hi; ) {
      const mid = (i + hi) >>> 1;
      if (comments[mid]!.span.start < start) i = mid + 1;
      else hi = mid;
    }
    const out: Comment[] = [];
    let k = 0;
    for (; i < comments.length && comments[i]!.span.start < end; i++) {
      const c = comments[i]!;
      if (c.span.end > end) continue;
      while (k < node.children.length && node.children[k]!.span.end <= c.span.start) k++;
      const child = node.children[k];
      if (child && c.span.start >= child.span.start && c.span.end <= child.span.end) continue;
      out.push(c);
    }
    return out;
  };
  const xml = xmlbuilder()({ version: '1.0', encoding: 'UTF-8' });
  let refused: string | undefined;
  let at: Node = doc.root;
  const add = (parent: XMLBuilder, node: Node): void => {
    at = node;
    const el = parent.ele(node.tag);
    // One by one: a record of attributes would lose `__proto__="…"`.
    for (const a of node.attrs) el.att(a.name, escapeAttribute(a.value));
    const own = inside(node);
    if (isMixed(node, own)) {
      const start = node.openSpan.end;
      const end = node.closeSpan?.start ?? node.span.end;
      // Kept as written, so only when nothing written there needed a recovery: an element that
      // recovery closed (`1<Number>` with no end tag) would be copied open.
      const repaired = doc.diagnostics.find((d) => d.start <= end && d.end >= start) ?? fixedWithin(start, end);
      if (repaired) {
        refused ??= `line ${repaired.line}: ${repaired.message}, inside <${node.tag}>'s mix of text and elements (fix it first: didml lint --fix)`;
        return;
      }
      // A root that recovery made up (`<Say/>text<Play/>`, no <Response>) has no source to copy.
      if (node.children.some((c) => c.span.start < start || c.span.end > end)) {
        refused ??= `line ${node.line}: text beside the elements of a <${node.tag}> that is not written in the document (fix it first: didml lint --fix)`;
        return;
      }
      verbatim.push(doc.source.slice(start, end));
      el.txt(hole(verbatim.length - 1));
      return;
    }
    const text = node.text.trim();
    if (text) el.txt(escapeText(text));
    // Children and comments in document order; what comes just before or after a comment on its
    // line decides whether it joins that line.
    let previousEnd = node.openSpan.end;
    let ci = 0;
    for (let k = 0; k <= node.children.length; k++) {
      const child = node.children[k];
      for (; ci < own.length && (!child || own[ci]!.span.start < child.span.start); ci++) {
        const c = own[ci]!;
        // 'before' only when the next thing is the element (a comment then goes after this one).
        const nextIsChild = child !== undefined && !(own[ci + 1] && own[ci + 1]!.span.start < child.span.start);
        const how: Attach = lineOf(previousEnd) === lineOf(c.span.start) ? 'after' : nextIsChild && lineOf(child.span.start) === lineOf(c.span.end) ? 'before' : 'own';
        comment(el, c, how);
        previousEnd = c.span.end;
      }
      if (!child) break;
      add(el, child);
      previousEnd = child.span.end;
    }
  };
  let pretty: string;
  const root = doc.root;
  try {
    // Comments outside the root element, each on a line of its own.
    for (const c of comments) if (c.span.end <= root.span.start) comment(xml, c, 'own');
    add(xml, root);
    for (const c of comments) if (c.span.start >= root.span.end) comment(xml, c, 'own');
    pretty = xml.end({ prettyPrint: true, indent: '  ', newline: '\n' });
  } catch (e) {
    // A name or text that XML cannot hold (a lone surrogate from a JS string).
    return { output: null, reason: `line ${at.line}: <${at.tag}> cannot be written as XML: ${(e as Error).message}` };
  }
  if (refused) return { output: null, reason: refused };
  const output = placeComments(pretty, placed, attach).replace(/\uE000(\d+)\uE001/g, (_, i: string) => verbatim[Number(i)] ?? '');
  return { output: output + '\n' };
}
