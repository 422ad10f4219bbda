// Completion of what may stand at the cursor, read from the text around it (the user is
// mid-typing, so the tag under the cursor is seldom well-formed) and from the parsed tree (which
// element it is in): elements the parent allows, attributes the element does not have yet, and
// the values an attribute takes.
import {
  CompletionItemKind,
  CompletionItemTag,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type Range as LspRange,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { loadGrammar, type AttributeSchema, type ElementDef, type Grammar } from '../grammar/index.js';
import type { LintResult } from '../validate/lint.js';
import type { Node } from '../types.js';
import { attributeName, elementDef, pathAt } from './locate.js';
import { toRange } from './convert.js';
import { attributeLines, elementLines, renderLines } from './hover.js';

export interface CompletionCaps {
  snippets: boolean;
  markup: MarkupKind;
}

const NAME = /^[A-Za-z_][\w.:-]*/;

/** The element a tag starting at `at` would be a child of: the deepest one whose start tag ends before it. */
function parentAt(root: Node | null, at: number): Node | undefined {
  return pathAt(root, at).filter((n) => n.openSpan.end <= at).at(-1);
}

/** DIDML is written in lower case (`<dial><sip>`): completions follow the document's habit. */
function lowerCaseHabit(grammar: Grammar, root: Node | null): boolean {
  if (grammar.caseSensitive || !root) return false;
  const stack = [root];
  while (stack.length) {
    const n = stack.pop() as Node;
    const def = elementDef(grammar, n)?.def;
    if (def && n.tag !== def.tag && n.tag === n.tag.toLowerCase()) return true;
    stack.push(...n.children);
  }
  return false;
}

/** What may nest at this place: the parent's children, or the root element at the top. */
function allowedElements(grammar: Grammar, parent: Node | undefined): ElementDef[] {
  if (!parent) {
    const root = grammar.elements[grammar.root];
    return root ? [root] : [];
  }
  const def = elementDef(grammar, parent)?.def;
  if (!def || def.anyChildren) return [];
  const seen = new Set<string>();
  return def.children.flatMap((id) => {
    const d = grammar.elements[id];
    if (!d || seen.has(d.tag)) return [];
    seen.add(d.tag);
    return [d];
  });
}

function valuesOf(schema: AttributeSchema): unknown[] {
  if (schema.enum) return [...schema.enum];
  if (schema['x-list']) return [...schema['x-list']];
  if (schema.const !== undefined) return [schema.const];
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.includes('boolean') ? [true, false] : [];
}

/** The start tag from `<` at `lt` to its end (or to where the next tag begins): its attribute names. */
function writtenAttributes(text: string, lt: number): Set<string> {
  let end = lt + 1;
  let quote = '';
  for (; end < text.length; end++) {
    const c = text[end];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>' || c === '<') break;
  }
  const names = new Set<string>();
  for (const m of text.slice(lt + 1, end).matchAll(/\s([^\s=/<>"']+)\s*=/g)) names.add((m[1] as string).toLowerCase());
  return names;
}

type TagContext =
  | { kind: 'element'; from: number }
  | { kind: 'close'; from: number }
  | { kind: 'attribute'; tag: string; from: number }
  | { kind: 'value'; tag: string; attribute: string; from: number; quote: string }
  | { kind: 'none' };

/** Where in a start tag the cursor is, from the tag's text up to it. */
function tagContext(text: string, lt: number, offset: number): TagContext {
  const head = text.slice(lt + 1, offset);
  if (head.startsWith('/')) return /^\/[\w.:-]*$/.test(head) ? { kind: 'close', from: lt + 1 } : { kind: 'none' };
  if (head.startsWith('!') || head.startsWith('?')) return { kind: 'none' };
  const tag = NAME.exec(head)?.[0] ?? '';
  if (tag.length === head.length) return { kind: 'element', from: lt + 1 };
  if (!tag) return { kind: 'none' };
  // Walk the attributes written so far, keeping track of quotes.
  let i = tag.length;
  let lastName = '';
  let sawEquals = false;
  while (i < head.length) {
    const c = head[i] as string;
    if (c === '"' || c === "'") {
      const close = head.indexOf(c, i + 1);
      if (close === -1) return { kind: 'value', tag, attribute: lastName, from: lt + 1 + i + 1, quote: '' };
      i = close + 1;
      lastName = '';
      sawEquals = false;
    } else if (c === '=') {
      sawEquals = true;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      const name = /^[^\s=/<>"']+/.exec(head.slice(i))?.[0] ?? c;
      if (sawEquals) {
        // An unquoted value: the cursor may be in it.
        if (i + name.length === head.length) return { kind: 'value', tag, attribute: lastName, from: lt + 1 + i, quote: '' };
        lastName = '';
        sawEquals = false;
      } else {
        lastName = name;
        if (i + name.length === head.length) return { kind: 'attribute', tag, from: lt + 1 + i };
      }
      i += name.length;
    }
  }
  if (sawEquals && lastName) return { kind: 'value', tag, attribute: lastName, from: offset, quote: '"' };
  return /\s$/.test(head) ? { kind: 'attribute', tag, from: offset } : { kind: 'none' };
}

export function complete(doc: TextDocument, result: LintResult, offset: number, caps: CompletionCaps): CompletionItem[] {
  const text = doc.getText();
  const grammar = loadGrammar(result.dialect);
  const root = result.document.root;
  const lower = lowerCaseHabit(grammar, root);
  const spell = (tag: string) => (lower ? tag.toLowerCase() : tag);
  const docs = (lines: ReturnType<typeof elementLines>) => renderLines(lines, caps.markup);
  const rangeFrom = (from: number): LspRange => toRange(doc, { start: from, end: offset });

  // Nothing is markup inside a comment or a CDATA section.
  const within = (open: string, close: string) => {
    const at = offset > 0 ? text.lastIndexOf(open, offset - 1) : -1;
    if (at === -1 || at + open.length > offset) return false;
    const end = text.indexOf(close, at + open.length);
    return end === -1 || end + close.length > offset;
  };
  if (within('<!--', '-->') || within('<![CDATA[', ']]>')) return [];
  // (lastIndexOf from -1 would still look at offset 0.)
  const lt = offset > 0 ? text.lastIndexOf('<', offset - 1) : -1;
  const gt = offset > 0 ? text.lastIndexOf('>', offset - 1) : -1;
  if (lt <= gt) {
    // In content: whole elements, where one may begin (not amid the words of a <Say>).
    if (text.slice(gt + 1, offset).trim() !== '') return [];
    return allowedElements(grammar, parentAt(root, offset)).map((def) => {
      const tag = spell(def.tag);
      const empty = !def.text && !def.children.length && !def.anyChildren;
      const body = empty ? `<${tag}/>` : caps.snippets ? `<${tag}>$0</${tag}>` : `<${tag}></${tag}>`;
      return {
        label: `<${tag}>`,
        kind: CompletionItemKind.Class,
        detail: def.description,
        documentation: docs(elementLines(grammar, def)),
        filterText: `<${tag}`,
        insertText: body,
        insertTextFormat: caps.snippets && !empty ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      };
    });
  }
  const ctx = tagContext(text, lt, offset);
  if (ctx.kind === 'element') {
    return allowedElements(grammar, parentAt(root, lt)).map((def) => ({
      label: spell(def.tag),
      kind: CompletionItemKind.Class,
      detail: def.description,
      documentation: docs(elementLines(grammar, def)),
      textEdit: { range: rangeFrom(ctx.from), newText: spell(def.tag) },
    }));
  }
  if (ctx.kind === 'close') {
    const parent = parentAt(root, lt);
    if (!parent) return [];
    return [{ label: `/${parent.tag}`, kind: CompletionItemKind.Class, textEdit: { range: rangeFrom(ctx.from), newText: `/${parent.tag}>` } }];
  }
  if (ctx.kind === 'none') return [];
  const parent = parentAt(root, lt);
  const parentDef = parent ? elementDef(grammar, parent)?.def : undefined;
  const id = parentDef ? parentDef.childTags[ctx.tag.toLowerCase()] : parent ? undefined : grammar.root;
  const def = (id ? grammar.elements[id] : undefined) ?? grammar.elements[grammar.tags[ctx.tag.toLowerCase()]?.[0] ?? ''];
  if (!def) return [];
  if (ctx.kind === 'attribute') {
    // As the grammar names them: DIDML's `timout` is its `timeout`, already set.
    const written = new Set([...writtenAttributes(text, lt)].map((n) => (attributeName(grammar, def, n) ?? n).toLowerCase()));
    return Object.entries(def.attributes)
      .filter(([name]) => !written.has(name.toLowerCase()))
      .map(([name, schema]) => {
        const item: CompletionItem = {
          label: name,
          kind: CompletionItemKind.Property,
          documentation: docs(attributeLines(def, name, schema)),
          textEdit: { range: rangeFrom(ctx.from), newText: caps.snippets ? `${name}="$1"` : `${name}=""` },
          insertTextFormat: caps.snippets ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
          // Deprecated ones last.
          sortText: `${schema['x-deprecated'] ? 1 : 0}${name}`,
        };
        if (schema.description) item.detail = schema.description;
        if (schema['x-deprecated']) item.tags = [CompletionItemTag.Deprecated];
        return item;
      });
  }
  const name = attributeName(grammar, def, ctx.attribute);
  const schema = name ? def.attributes[name] : undefined;
  if (!schema) return [];
  // In a list (input="dtmf speech") the value being typed is the last word, and the words
  // before it are not offered again.
  const from = schema['x-list'] ? Math.max(ctx.from, text.lastIndexOf(' ', offset - 1) + 1) : ctx.from;
  const listed = new Set(schema['x-list'] ? text.slice(ctx.from, from).split(/\s+/) : []);
  return valuesOf(schema).filter((v) => !listed.has(String(v))).map((v, i) => ({
    label: String(v),
    kind: CompletionItemKind.EnumMember,
    ...(v === schema.default ? { detail: 'default' } : {}),
    sortText: String(i).padStart(4, '0'),
    textEdit: { range: rangeFrom(from), newText: `${ctx.quote}${String(v)}${ctx.quote}` },
  }));
}
