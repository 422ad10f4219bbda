import { describe, expect, it } from 'vitest';
import { LineIndex, rangeOf } from '../../src/parse/positions.js';

describe('LineIndex', () => {
  it('gives 1-based lines and columns', () => {
    const lines = new LineIndex('ab\ncd\n');
    expect(lines.position(0)).toEqual({ line: 1, column: 1 });
    expect(lines.position(2)).toEqual({ line: 1, column: 3 });
    expect(lines.position(3)).toEqual({ line: 2, column: 1 });
    expect(lines.position(6)).toEqual({ line: 3, column: 1 });
    expect(lines.lineCount).toBe(3);
  });

  it('counts CRLF and a lone CR as one line break each', () => {
    const lines = new LineIndex('a\r\nb\rc\nd');
    expect(lines.position(3)).toEqual({ line: 2, column: 1 });
    expect(lines.position(5)).toEqual({ line: 3, column: 1 });
    expect(lines.position(7)).toEqual({ line: 4, column: 1 });
    // Inside the CRLF pair: still the first line.
    expect(lines.position(2)).toEqual({ line: 1, column: 3 });
  });

  it('counts columns in UTF-16 code units', () => {
    const source = '😀é<x/>';
    expect(new LineIndex(source).position(source.indexOf('<'))).toEqual({ line: 1, column: 4 });
  });

  it('clamps offsets to the source', () => {
    const lines = new LineIndex('ab');
    expect(lines.position(-5)).toEqual({ line: 1, column: 1 });
    expect(lines.position(99)).toEqual({ line: 1, column: 3 });
  });

  it('maps spans to ranges', () => {
    expect(rangeOf('<a>\n  <b/>\n</a>', { start: 6, end: 10 })).toEqual({ line: 2, column: 3, endLine: 2, endColumn: 7 });
    expect(rangeOf('', { start: 0, end: 0 })).toEqual({ line: 1, column: 1, endLine: 1, endColumn: 1 });
  });
});
