// One canonical layout for a document, written with xmlbuilder2: the XML declaration, two-space
// indentation, one element per line, attribute values double-quoted and escaped, text trimmed.
// Content that mixes text and elements (SSML inside <Say>) is kept exactly as written: its
// white space is part of what is spoken.
import { createRequire } from 'node:module';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { Document, Node } from '../types.js';

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

const isMixed = (n: Node) => n.children.length > 0 && n.text.trim() !== '';

// xmlbuilder2 escapes `&`, but not one that already reads as a reference: text `&amp;` (written
// `&amp;amp;`) would come out as `&amp;` and read back as `&`. Every `&` is escaped here, which
// it then leaves alone; so are the characters a parser would normalize (CR in text; CR, LF and
// TAB in an attribute value, which read back as spaces).
const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/\r/g, '&#13;');
const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
// Private-use characters never appear in a valid document's markup: safe as placeholders.
const hole = (i: number) => `\uE000${i}\uE001`;

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
  const xml = xmlbuilder()({ version: '1.0', encoding: 'UTF-8' });
  let refused: string | undefined;
  let at: Node = doc.root;
  const add = (parent: XMLBuilder, node: Node): void => {
    at = node;
    const el = parent.ele(node.tag);
    // One by one: a record of attributes would lose `__proto__="…"`.
    for (const a of node.attrs) el.att(a.name, escapeAttribute(a.value));
    if (isMixed(node)) {
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
    for (const c of node.children) add(el, c);
  };
  let pretty: string;
  try {
    add(xml, doc.root);
    pretty = xml.end({ prettyPrint: true, indent: '  ', newline: '\n' });
  } catch (e) {
    // A name or text that XML cannot hold (a lone surrogate from a JS string).
    return { output: null, reason: `line ${at.line}: <${at.tag}> cannot be written as XML: ${(e as Error).message}` };
  }
  if (refused) return { output: null, reason: refused };
  const output = pretty.replace(/\uE000(\d+)\uE001/g, (_, i: string) => verbatim[Number(i)] ?? '');
  return { output: output + '\n' };
}
