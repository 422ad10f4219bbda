// Shared shapes of the parse → validate → lint pipeline.
// Offsets are UTF-16 code-unit indices into the original source string (what JS strings index),
// lines and columns are 1-based and derived from offsets (SARIF's default `utf16CodeUnits`).

export type Severity = 'error' | 'warning' | 'info';

export type DialectName = 'twiml' | 'didml' | 'texml' | 'cxml' | 'plivo';

/** Half-open range [start, end) of UTF-16 offsets into the original source. */
export interface Span {
  start: number;
  end: number;
}

export interface Range {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A replacement of `source.slice(start, end)` by `text`, always on the original source. */
export interface TextEdit extends Span {
  text: string;
}

export interface Fix {
  /** What the fix does, in words: "quote the value", "close <sip> with </sip>". */
  description: string;
  edits: TextEdit[];
}

export interface Diagnostic extends Range, Span {
  /** Stable rule id, e.g. `xml/mismatched-close-tag`, `schema/enum`, `no-unreachable`. */
  rule: string;
  severity: Severity;
  message: string;
  /** Twilio's error or warning code for the same problem, where Twilio has one (12100, 13213, …). */
  code?: number;
  /** Safe to apply without asking (`--fix`). */
  fix?: Fix;
  /** Shown, never applied. */
  suggestions?: Fix[];
}

export interface AttributeNode {
  /** As written. */
  name: string;
  value: string;
  /** The whole `name="value"`. */
  span: Span;
  nameSpan: Span;
  /** The value without its quotes. */
  valueSpan: Span;
  /** The quote character used, or '' for an unquoted value (recovered). */
  quote: '"' | "'" | '';
}

export interface Node extends Range {
  /** Canonical element name from the grammar (`Dial`), or the tag as written when unknown. */
  name: string;
  /** The tag as written in the source (`dial`). */
  tag: string;
  /** Grammar definition id this node resolved to (`Dial`, `Dequeue`), undefined when unknown. */
  def?: string;
  /** Attributes by the name as written. */
  attributes: Record<string, string>;
  /** Concatenated character data directly inside this element (CDATA included), untrimmed. */
  text: string;
  children: Node[];
  /** From `<` of the start tag to `>` of the end tag (or of the self-closing start tag). */
  span: Span;
  /** The start tag alone. */
  openSpan: Span;
  /** The end tag, absent for `<x/>` and for elements closed by recovery. */
  closeSpan?: Span;
  /** Attributes in source order, with positions. */
  attrs: AttributeNode[];
  /** Span of the text content (first to last character of direct text), when there is text. */
  textSpan?: Span;
}

export interface Document {
  /** The original source as decoded (BOM removed is NOT done: offsets refer to this string). */
  source: string;
  /** The root element (normally `Response`), or null when nothing could be parsed. */
  root: Node | null;
  /** Problems found while parsing, including every recovery. */
  diagnostics: Diagnostic[];
  /** The XML comments, in source order (`didml-disable` directives, and fmt keeps them). */
  comments?: Comment[];
}

export interface Comment {
  /** What is between `<!--` and `-->`, as written. */
  text: string;
  /** From `<` of `<!--` to just past `-->`. */
  span: Span;
}
