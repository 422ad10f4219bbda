// One saxes pass over the working copy, building elements as events arrive. saxes events carry
// no positions: each handler reads `parser.position` (UTF-16 offset just past what the event
// reports) and finds where things start by looking back in the text it holds.
//
// When saxes' own recovery would lose the rest of the document, the pass stops with a trigger:
// the parse driver runs that recovery on the whole working copy and parses again.
import { SaxesParser, type SaxesAttribute, type SaxesTag } from 'saxes';
import type { EditedText } from './edits.js';
import type { Settings } from './options.js';
import * as problems from './problems.js';
import {
  ampersandAt,
  findBareAmpersand,
  findSelfClosingEndTag,
  isTypographicQuote,
  mismatchedCloseTag,
  selfClosingEndTag,
  smartQuotes,
  strayCloseTag,
  unclosedTag,
  unescapedAmpersand,
  unfinishedCloseTag,
  unquotedAttribute,
  unquotedBeforeSlash,
  leadingWhitespace,
  duplicateDeclaration,
  type Draft,
  type Outcome,
  type TopText,
} from './recover/index.js';
import { newEl, type El } from './tree.js';
import { bareAttr, closeTagName, hasNonSpace, isSpace, quotedAttr, skipSpacesBack, tagStart, unquotedAttr } from './scan.js';

/** A destructive recovery waiting for the whole working copy. */
export interface Trigger {
  /** Stable across rounds (original offsets), so that a recovery that declines is not asked again. */
  key: string;
  /** Where, in the original. */
  at: number;
  run(text: string): Outcome | undefined;
}

/** Past this, problems are counted but not reported (hostile input can have one per byte). */
export const MAX_DRAFTS = 200;

/**
 * Past this many errors from saxes, a pass stops reading: the tree ends there. Each error costs
 * saxes and the pass some work, and a recovery round parses the whole document again, so this
 * bounds the work on a page of hostile bytes (no real document comes near it).
 */
export const MAX_ERRORS = 10 * MAX_DRAFTS;

const ABORT = Symbol('abort');

// saxes messages that the pass answers from structure rather than from the message.
const STRUCTURAL = new Set([
  'text data outside of root node.',
  'document must contain a root element.',
  'unexpected close tag.',
  'documents may contain only one root.',
]);

const ENTITY_ERRORS = new Set([
  'undefined entity.',
  'malformed character entity.',
  'empty entity name.',
  'disallowed character in entity name.',
]);

/** What the input ended inside of, said so that a user knows what to close. */
function unfinished(src: string, inTag: boolean): string {
  const open = (start: string, end: string): boolean => {
    const at = src.lastIndexOf(start);
    return at !== -1 && src.indexOf(end, at + start.length) === -1;
  };
  if (!inTag && open('<!--', '-->')) return 'The document ends inside a comment; close it with -->';
  if (!inTag && open('<![CDATA[', ']]>')) return 'The document ends inside a CDATA section; close it with ]]>';
  return problems.readable('unexpected end.', '');
}

export class Pass {
  src = '';
  readonly drafts: Draft[] = [];
  /** Problems beyond MAX_DRAFTS. */
  dropped = 0;
  /** Where reading stopped after MAX_ERRORS errors (working copy), or -1. */
  stoppedAt = -1;
  private errors = 0;
  /** Drafts kept that are not errors. */
  private notErrors = 0;
  readonly tops: El[] = [];
  readonly topTexts: TopText[] = [];
  /** Comments, in working-copy offsets. */
  readonly comments: { start: number; end: number }[] = [];
  trigger: Trigger | undefined;

  private readonly parser = new SaxesParser({ position: false });
  private readonly stack: El[] = [];
  private opening: El | undefined;
  /** End of the last thing an event accounted for. */
  private cursor = 0;
  private ending = false;
  private stopped = false;
  private closeDecidedAt = -1;
  private pendingUnquoted = -1;
  private pendingNoValueAt = -1;
  private ampResume = 0;
  /** An `&` whose reference (or not) runs to the end of what has arrived; -1 for none. */
  private ampPending = -1;
  private declSeen = false;
  private inMisplacedDecl = false;
  /** An element was left out for being too deep (said once). */
  tooDeepReported = false;
  private attrCount = 0;
  private lastErrorAt = -1;
  /** The input ended inside markup (a tag, comment, reference…): nothing can be appended safely. */
  endedInMarkup = false;
  /** A `<` inside a start tag (a comment, another tag): saxes reads on as more of the tag, up to a `>`. */
  private tagComment: { el: El; at: number } | undefined;
  /** The last event was a comment, whose `>` saxes reads after it. */
  private commentEnd = false;
  /** Start of a close tag with a disallowed character in it (-1 for none yet). */
  private badCloseStart = -1;

  constructor(
    private readonly settings: Settings,
    private readonly work: EditedText,
    /** Triggers that declined before: let saxes handle those places. */
    private readonly skip: ReadonlySet<string>,
    /** No triggers at all (the last round). */
    private readonly noAbort = false,
  ) {
    const p = this.parser;
    p.on('opentagstart', (tag) => this.onOpenTagStart(tag.name));
    p.on('attribute', (attr) => this.onAttribute(attr));
    p.on('opentag', (tag) => this.onOpenTag(tag));
    p.on('closetag', (tag) => this.onCloseTag(tag));
    p.on('text', (text) => this.onText(text));
    p.on('cdata', (text) => this.onCData(text));
    p.on('comment', () => this.onComment());
    p.on('processinginstruction', () => this.onSkipped());
    p.on('doctype', (body) => this.onDoctype(body));
    p.on('xmldecl', () => this.onXmlDecl());
    p.on('error', (err) => this.onError(err.message));
  }

  write(chunk: string): void {
    // The text is kept even once reading stopped: what the document says about itself (that it
    // is blank, where it ends) is about all of it, however it arrived.
    this.src += chunk;
    if (this.stopped) return;
    this.run(() => {
      this.settleAmpersand(false);
      this.parser.write(chunk);
    });
  }

  end(): void {
    if (this.stopped) return;
    this.ending = true;
    this.run(() => {
      this.settleAmpersand(true);
      this.parser.close();
      this.closeAtEnd();
    });
    this.stopped = true;
  }

  /**
   * An `&` that a chunk ended too soon to judge (`charge&mount` | `=""`) is judged once more
   * text has come, as it would have been had it all come at once.
   */
  private settleAmpersand(complete: boolean): void {
    if (this.ampPending < 0 || this.noAbort) return;
    const kind = ampersandAt(this.src, this.ampPending, complete);
    if (kind === 'unknown') return;
    const at = this.ampPending;
    this.ampPending = -1;
    if (kind === 'bare') this.abort('xml/unescaped-ampersand', at, (text) => unescapedAmpersand(text), true);
  }

  private run(step: () => void): void {
    // saxes makes an Error for every problem; hostile input has one per byte, and capturing a
    // stack trace for each would dominate. Restored before anything else can run.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      step();
    } catch (e) {
      if (e !== ABORT) throw e;
      this.stopped = true;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  private pos(): number {
    return Math.min(this.parser.position, this.src.length);
  }

  private report(d: Draft): void {
    if (this.drafts.length < MAX_DRAFTS) {
      this.drafts.push(d);
      if (d.severity !== 'error') this.notErrors++;
      return;
    }
    this.dropped++;
    // Full: an error still takes the place of the last warning, so that hundreds of warnings
    // cannot hide why a document fails.
    if (d.severity !== 'error' || this.notErrors === 0) return;
    for (let i = this.drafts.length - 1; i >= 0; i--) {
      if ((this.drafts[i] as Draft).severity !== 'error') {
        this.drafts[i] = d;
        this.notErrors--;
        return;
      }
    }
  }

  /**
   * Stops the pass for a destructive recovery; returns (false) when that place is to be left to
   * saxes. `anywhere`: the recovery reads the whole document, so once it declines it declines
   * everywhere (not once per place, a round each).
   */
  private abort(rule: string, at: number, run: (text: string) => Outcome | undefined, anywhere = false): false {
    const original = this.work.toOriginal(at, true);
    const key = anywhere ? rule : `${rule}@${original}`;
    if (this.noAbort || this.skip.has(key)) return false;
    this.trigger = { key, at: original, run };
    throw ABORT;
  }

  private onOpenTagStart(name: string): void {
    const pos = this.pos();
    this.commentEnd = false;
    const start = tagStart(this.src, pos);
    this.opening = newEl(name, start);
    this.cursor = Math.min(pos, start + 1 + name.length);
    this.pendingUnquoted = -1;
    this.attrCount = 0;
    this.inMisplacedDecl = false;
  }

  private onAttribute(attr: SaxesAttribute): void {
    const el = this.opening;
    if (!el) return;
    const { src } = this;
    const pos = this.pos();
    // Words of a comment written inside the tag (reported once) are not attributes.
    if (this.tagComment?.el === el && pos > this.tagComment.at) return;
    const floor = Math.min(this.cursor, pos);
    let value = attr.value;
    let spans;
    if (this.pendingNoValueAt === pos) {
      spans = bareAttr(src, pos, attr.name, floor);
      value = '';
    } else if (this.pendingUnquoted >= 0) {
      spans = unquotedAttr(src, this.pendingUnquoted, pos, attr.name, floor);
      this.pendingUnquoted = -1;
      // `a=5/>`: saxes takes `5/` for the value and misses that the tag closes itself.
      if (value.endsWith('/') && src.charCodeAt(spans.valueEnd) === 0x3e) {
        const s = spans;
        const v = value.slice(0, -1);
        this.abort('xml/unquoted-attribute', s.valueStart, () => unquotedBeforeSlash(attr.name, s, v));
      }
      this.report(unquotedAttribute(attr.name, value, spans, src.slice(spans.valueStart, spans.valueEnd)));
    } else {
      spans = quotedAttr(src, pos, attr.name, floor) ?? bareAttr(src, pos, attr.name, floor);
    }
    this.cursor = Math.max(floor, Math.min(pos, spans.quote ? spans.valueEnd + 1 : spans.end));
    if (this.attrCount < this.settings.maxAttributes) {
      el.attrs.push({ ...spans, name: attr.name, value });
    } else if (this.attrCount === this.settings.maxAttributes) {
      this.report(problems.tooManyAttributes(this.settings.maxAttributes, el.tag, { start: spans.start, end: spans.end }));
    }
    this.attrCount++;
  }

  private onOpenTag(tag: SaxesTag): void {
    const el = this.opening;
    this.opening = undefined;
    if (!el) return;
    const pos = this.pos();
    el.openEnd = pos;
    el.selfClosing = tag.isSelfClosing;
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      this.tops.push(el);
    } else if (this.stack.length < this.settings.maxDepth) {
      el.afterText = parent.hasText;
      parent.children.push(el);
    } else if (!this.tooDeepReported) {
      // Left out of the tree (so is everything inside it), still tracked to match end tags.
      this.tooDeepReported = true;
      this.report(problems.tooDeep(this.settings.maxDepth, { start: el.start, end: pos }));
    }
    this.stack.push(el);
    this.cursor = pos;
  }

  private onCloseTag(tag: SaxesTag): void {
    const pos = this.pos();
    this.commentEnd = false;
    const el = this.stack[this.stack.length - 1];
    if (!el) return;
    if (tag.isSelfClosing) {
      this.stack.pop();
      el.end = pos;
      this.cursor = pos;
      return;
    }
    const closeStart = this.closeTagStart(pos);
    const closeName = closeTagName(this.src, closeStart);
    if (tag.name === closeName) {
      this.stack.pop();
      el.closeStart = closeStart;
      el.end = pos;
      this.cursor = pos;
      return;
    }
    // saxes is closing `el` because the close tag names something else: it fires once per
    // element it closes, all at this position; the first decides.
    if (this.closeDecidedAt !== pos) {
      this.closeDecidedAt = pos;
      this.decideClose(closeStart, pos, closeName);
    }
    this.stack.pop();
    // Never before the end of a child that saxes closed at this same tag.
    el.end = Math.max(closeStart, el.children[el.children.length - 1]?.end ?? closeStart);
    this.cursor = pos;
  }

  private decideClose(closeStart: number, pos: number, closeName: string): void {
    const span = { start: closeStart, end: pos };
    let idx = this.stack.length - 1;
    while (idx >= 0 && (this.stack[idx] as El).tag !== closeName) idx--;
    if (idx < 0) {
      const open = this.stack.map((e) => ({ tag: e.tag }));
      this.abort('xml/mismatched-close-tag', closeStart, (text) =>
        mismatchedCloseTag(text, { start: closeStart, end: pos, name: closeName, open }),
      );
      const inner = this.stack[this.stack.length - 1] as El;
      this.report(problems.syntax(`</${closeName}> does not match <${inner.tag}>; close it with </${inner.tag}>`, span));
      return;
    }
    const closing = this.stack.slice(idx + 1).reverse();
    for (const open of closing) {
      const child = findSelfClosingEndTag(open);
      if (child) this.abort('xml/self-closing-end-tag', child.start, () => selfClosingEndTag(open, child));
    }
    this.report(unclosedTag(closing, span, closeName));
  }

  /** saxes closes nothing at the end: the elements still open end with the document. */
  private closeAtEnd(): void {
    if (this.stack.length === 0) return;
    const end = this.src.length;
    const closing = [...this.stack].reverse();
    for (const open of closing) {
      const child = findSelfClosingEndTag(open);
      if (child) this.abort('xml/self-closing-end-tag', child.start, () => selfClosingEndTag(open, child));
    }
    // `<Say>Hi<Pla`: close tags appended after unfinished markup would only be more of it.
    this.report(unclosedTag(closing, { start: end, end }, undefined, !this.endedInMarkup));
    for (const el of closing) el.end = end;
    this.stack.length = 0;
  }

  private onText(text: string): void {
    // At an end inside markup, saxes hands over what it was reading (a comment, an attribute
    // value) as text: it is not the document's text.
    if (this.ending && this.endedInMarkup) return;
    const pos = this.pos();
    this.pastComment();
    this.inMisplacedDecl = false;
    // Text is reported when the `<` after it is read (or at the very end).
    const end = !this.ending && this.src.charCodeAt(pos - 1) === 0x3c ? pos - 1 : pos;
    const start = Math.min(this.cursor, end);
    this.cursor = end;
    const el = this.stack[this.stack.length - 1];
    if (!el) {
      this.topTexts.push({ start, end, text });
      return;
    }
    if (el.textStart < 0) el.textStart = start;
    el.textEnd = end;
    el.text += text;
    if (!el.hasText && hasNonSpace(text)) el.hasText = true;
  }

  private onCData(text: string): void {
    const pos = this.pos();
    this.pastComment();
    this.inMisplacedDecl = false;
    const start = Math.min(this.cursor + 9, pos);
    const end = Math.max(start, pos - 3);
    this.cursor = pos;
    const el = this.stack[this.stack.length - 1];
    if (!el) {
      this.topTexts.push({ start, end, text });
      return;
    }
    if (el.textStart < 0) el.textStart = start;
    el.textEnd = end;
    el.text += text;
    if (!el.hasText && hasNonSpace(text)) el.hasText = true;
  }

  private onSkipped(): void {
    this.cursor = this.pos();
    this.commentEnd = false;
    this.inMisplacedDecl = false;
  }

  /** saxes reports a comment at the second `-` of `-->`: its `>` is not read yet. */
  private onComment(): void {
    // At the second `-` of `-->`; a comment holds no `--`, so the `<!--` before is its own.
    const pos = this.pos();
    const start = this.src.lastIndexOf('<!--', pos - 3);
    if (start >= 0) this.comments.push({ start, end: pos + 1 });
    this.onSkipped();
    this.commentEnd = true;
  }

  /** The `>` of the comment just before is not part of what comes next. */
  private pastComment(): void {
    if (this.commentEnd && this.src.charCodeAt(this.cursor) === 0x3e) this.cursor++;
    this.commentEnd = false;
  }

  /** Start of markup at the cursor, past a BOM that saxes skips without an event. */
  private markupStart(): number {
    return this.cursor === 0 && this.src.charCodeAt(0) === 0xfeff ? 1 : this.cursor;
  }

  private onDoctype(body: string): void {
    const pos = this.pos();
    this.pastComment();
    const at = this.src.indexOf('<!', this.markupStart());
    const start = at === -1 || at > pos ? this.markupStart() : at;
    this.report(problems.doctype({ start, end: pos }, body));
    this.cursor = pos;
    this.inMisplacedDecl = false;
  }

  private onXmlDecl(): void {
    const pos = this.pos();
    this.pastComment();
    // The first `<?xml` since the last event: a `<?` inside it (`<?xml <?>`) is not its start.
    const first = this.src.indexOf('<?xml', this.cursor);
    const start = first !== -1 && first < pos ? first : Math.max(0, this.src.lastIndexOf('<?', pos - 2));
    if (this.declSeen) this.report(duplicateDeclaration({ start, end: pos }, this.src));
    this.declSeen = true;
    this.inMisplacedDecl = false;
    this.cursor = pos;
  }

  private onError(raw: string): void {
    const message = raw.replace(/^(?:[^:\n]*:)?\d+:\d+:\s*/, '');
    const pos = this.pos();
    const { src } = this;
    // Not counted: at the end, saxes only names the elements left open (nothing more to read), and
    // it says "text outside the root" once per piece of text it hands over, which depends on how
    // the input was cut into chunks.
    if (!this.ending && !STRUCTURAL.has(message) && ++this.errors > MAX_ERRORS) this.giveUp(pos);
    if (message === 'unexpected end.') this.endedInMarkup = true;
    if (this.tagComment && this.tagComment.el === this.opening) return;
    // saxes' noise about a misplaced declaration is left out, but not that the input ends in it.
    if (this.inMisplacedDecl && message !== 'unexpected end.') return;

    // An `&` that starts no reference makes saxes read on to the next `;` as an entity name:
    // whatever error comes next, if such an `&` lies in what was read since the last event,
    // that is what went wrong.
    if (!this.noAbort) {
      const found = findBareAmpersand(src, this.ampPending >= 0 ? this.ampPending : Math.max(this.cursor, this.ampResume), pos, this.ending);
      this.ampResume = found.resume;
      this.ampPending = found.unknown ? found.resume : -1;
      if (found.bare) {
        this.abort('xml/unescaped-ampersand', found.resume, (text) => unescapedAmpersand(text), true);
        this.ampResume = found.resume + 1;
      }
    }

    if (STRUCTURAL.has(message) || message.startsWith('unclosed tag: ')) return;

    const unmatched = /^unmatched closing tag: (.*)\.$/.exec(message);
    if (unmatched) {
      const start = this.closeTagStart(pos);
      const span = { start, end: pos };
      const name = unmatched[1] ?? '';
      const afterRoot = this.tops.length > 0;
      this.abort('xml/stray-close-tag', start, (text) => strayCloseTag(span, name, afterRoot, text));
      this.report(problems.syntax(`</${name}> closes nothing; remove it`, span));
      return;
    }

    if (message === 'disallowed character in closing tag.') {
      // The first such error comes before any `<` inside the close tag: its start is known now.
      if (this.badCloseStart < this.cursor) this.badCloseStart = tagStart(src, pos);
      // `</Say<Hangup/>`: saxes would read the next tag as more of the close tag.
      const closeStart = this.badCloseStart;
      if (src.charCodeAt(pos - 1) === 0x3c && src.startsWith('</', closeStart)) {
        // The name as written right after `</` (bounded: this runs at each `<` of such a tag).
        const upTo = Math.min(pos - 1, closeStart + 2 + 256);
        const name = /^[^\s<>"'=/&]*/.exec(src.slice(closeStart + 2, upTo))?.[0] ?? '';
        const cut = upTo < pos - 1 && closeStart + 2 + name.length === upTo;
        if (name && !cut) this.abort('xml/unfinished-close-tag', pos - 1, () => unfinishedCloseTag({ start: closeStart, end: closeStart + 2 + name.length }, name));
      }
    }

    if (message === 'unquoted attribute value.') {
      let valueStart = Math.max(0, pos - 1);
      const c = src.charCodeAt(valueStart);
      if (c >= 0xdc00 && c <= 0xdfff && valueStart > 0) valueStart--;
      if (isTypographicQuote(src[valueStart])) {
        const name = this.attributeNameBefore(valueStart);
        this.abort('xml/smart-quotes', valueStart, (text) => smartQuotes(text, valueStart, name));
      }
      this.pendingUnquoted = valueStart;
      return;
    }

    if (message === 'an XML declaration must be at the start of the document.') {
      // The `<?xml` since the last event (a `<?` inside it is not its start).
      const first = src.indexOf('<?xml', this.cursor);
      const decl = first !== -1 && first < pos ? first : Math.max(0, src.lastIndexOf('<?', pos));
      this.inMisplacedDecl = true;
      if (this.declSeen) return; // reported whole at its xmldecl event
      const d = leadingWhitespace(src, decl);
      // After white space alone, the fix makes it the first thing, where what it says counts:
      // saxes' word on its version and encoding stands.
      if (d) this.inMisplacedDecl = false;
      this.report(d ?? problems.syntax('The XML declaration must be the very first thing in the document; move it to the top', { start: decl, end: Math.min(pos, decl + 5) }));
      return;
    }

    if (message === 'attribute without value.') {
      this.pendingNoValueAt = pos;
      const nameEnd = skipSpacesBack(src, pos - 2, this.cursor) + 1;
      let nameStart = nameEnd;
      while (nameStart > this.cursor && !isSpace(src.charCodeAt(nameStart - 1)) && src.charCodeAt(nameStart - 1) !== 0x3c) nameStart--;
      const name = src.slice(nameStart, nameEnd);
      this.addSyntax(`Attribute ${name} has no value; write ${name}="…"`, { start: nameStart, end: Math.max(nameStart, nameEnd) });
      return;
    }

    if (ENTITY_ERRORS.has(message)) {
      const amp = src.lastIndexOf('&', pos - 1);
      this.report(problems.entity(src, { start: Math.max(amp, 0), end: pos }));
      return;
    }

    // `<Say <!-- note --> voice="alice">`: one error for the comment, none for what is in it.
    // `<Say <!-- note --> voice="alice">`: one error for the "<", none for the rest of the tag, which
    // saxes reads up to the next ">". (Only what is behind is looked at: in a stream, what
    // follows may not have arrived.)
    if (message === 'disallowed character in attribute name.' && this.opening && src.charCodeAt(pos - 1) === 0x3c) {
      this.tagComment = { el: this.opening, at: pos - 1 };
      this.addSyntax(`The tag <${this.opening.tag}> is not closed before this "<"; a comment or another tag goes after its ">"`, { start: pos - 1, end: pos });
      return;
    }

    if (message === 'unexpected end.') {
      this.addSyntax(unfinished(src, this.opening !== undefined), { start: Math.max(0, pos - 1), end: pos });
      return;
    }

    const duplicate = /^duplicate attribute: (.*)\.$/.exec(message);
    if (duplicate && this.opening) {
      const name = duplicate[1] ?? '';
      const attr = [...this.opening.attrs].reverse().find((a) => a.name === name);
      this.report(problems.duplicateAttribute(name, attr ? { start: attr.start, end: attr.end } : { start: this.opening.start, end: pos }));
      return;
    }

    this.addSyntax(problems.readable(message, src[pos - 1] ?? ''), { start: Math.max(0, pos - 1), end: pos });
  }

  /** `<` of the close tag just read: a close tag with a `<` inside (`</<p>`, `</a x<b>`, left to saxes) has it from its first error. */
  private closeTagStart(pos: number): number {
    return this.badCloseStart >= this.cursor && this.badCloseStart < pos ? this.badCloseStart : tagStart(this.src, pos);
  }

  /** Too many errors: reading stops here, and the elements still open end here. */
  private giveUp(pos: number): never {
    this.stoppedAt = pos;
    for (const el of this.stack) el.end = pos;
    this.stack.length = 0;
    this.opening = undefined;
    throw ABORT;
  }

  /** One syntax error per position: saxes sometimes reports the same place twice. */
  private addSyntax(message: string, span: { start: number; end: number }): void {
    if (span.start === this.lastErrorAt) return;
    this.lastErrorAt = span.start;
    this.report(problems.syntax(message, span));
  }

  private attributeNameBefore(valueStart: number): string {
    const { src } = this;
    let i = skipSpacesBack(src, valueStart - 1, this.cursor);
    if (src.charCodeAt(i) === 0x3d) i = skipSpacesBack(src, i - 1, this.cursor);
    const end = i + 1;
    while (i >= this.cursor && !isSpace(src.charCodeAt(i)) && src.charCodeAt(i) !== 0x3c) i--;
    return src.slice(i + 1, end);
  }
}
