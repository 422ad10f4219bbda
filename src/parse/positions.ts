// Offsets → 1-based line/column. Columns count UTF-16 code units (what JS strings index and what
// SARIF calls `utf16CodeUnits`). A line ends at "\n", "\r\n" or a lone "\r", as editors count them.
import type { Range, Span } from '../types.js';

export interface Position {
  line: number;
  column: number;
}

export class LineIndex {
  /** Offset where each line starts; lineStarts[0] is 0. */
  private readonly lineStarts: number[];

  constructor(readonly source: string) {
    const starts = [0];
    // indexOf is native and far faster than a charCodeAt loop; a lone CR is rare, so it only
    // costs a second scan when the text has one at all.
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
    if (source.includes('\r')) {
      for (let i = source.indexOf('\r'); i !== -1; i = source.indexOf('\r', i + 1)) {
        if (source.charCodeAt(i + 1) !== 10) starts.push(i + 1);
      }
      starts.sort((a, b) => a - b);
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** 1-based line and column of an offset (clamped to the source). */
  position(offset: number): Position {
    const at = Math.max(0, Math.min(offset, this.source.length));
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - (starts[lo] as number) + 1 };
  }

  rangeOf(span: Span): Range {
    const start = this.position(span.start);
    const end = span.end === span.start ? start : this.position(span.end);
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  }
}

// Validators ask for many ranges of the same document: keep the last index.
let last: LineIndex | undefined;

export function lineIndex(source: string): LineIndex {
  if (last?.source !== source) last = new LineIndex(source);
  return last;
}

export function rangeOf(source: string, span: Span): Range {
  return lineIndex(source).rangeOf(span);
}
