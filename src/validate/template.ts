// Lint knows Mustache templates: a folder app's documents are rendered with each request's
// parameters before they run, as TwiML Bins are (src/webhook/template.ts). The evidence is cheap:
// a `{{` in the source makes a document a template (LintOptions.template overrides it; the runtime,
// which lints rendered documents, says false). Then a tag that cannot be read is an error where it
// is, and what rendering removes is not judged as XML: section tags between elements are not
// text, and a verb after a <Redirect> in another section is not dead code. Values with a
// placeholder (`<Dial>{{To}}</Dial>`) are left alone by every check already (isTemplated, rules/rule.ts):
// the rendered document is checked when the call runs.
import type { Diagnostic, Document } from '../types.js';
import { hasMustacheTag, parseTemplate } from '../mustache.js';
import { diagnostic } from './diagnostic.js';

const templates = new WeakSet<Document>();

/**
 * Whether `doc` is a template (`template`, or when undefined a `{{` in it), remembered for the
 * checks below; and the problem of its Mustache, if any, as a `template` error.
 */
export function checkTemplate(doc: Document, template: boolean | undefined): Diagnostic[] {
  if (template === false || (template === undefined && !hasMustacheTag(doc.source))) return [];
  templates.add(doc);
  const parsed = parseTemplate(doc.source);
  if (!('problem' in parsed)) return [];
  const { message, start, end } = parsed.problem;
  return [diagnostic(doc, { rule: 'template', severity: 'error', message, span: { start, end } })];
}

export function isTemplate(doc: Document): boolean {
  return templates.has(doc);
}

// Tags that render no text of their own: sections, inverted sections, their ends, comments,
// delimiter changes.
const STRUCTURE_TAG = /\{\{\s*[#^/!=][^}]*\}\}/g;

/** Text of a template that is nothing but section (or comment) tags: rendering leaves none of it. */
export function isTemplateMarkup(doc: Document, text: string): boolean {
  return templates.has(doc) && text.includes('{{') && text.replace(STRUCTURE_TAG, '').trim() === '';
}

/**
 * Whether a section the text at `from` is in ends before `to`: then what lies on either side
 * may render without the other (`{{#Digits}}<Redirect/>{{/Digits}}{{^Digits}}<Gather/>…`).
 */
export function leavesSection(doc: Document, from: number, to: number): boolean {
  if (!templates.has(doc)) return false;
  let depth = 0;
  for (const [tag] of doc.source.slice(from, to).matchAll(/\{\{\s*[#^/]/g)) {
    if (!tag.endsWith('/')) depth++;
    else if (depth-- === 0) return true;
  }
  return false;
}
