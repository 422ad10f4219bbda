// Small look-arounds in the text the parser is reading. saxes events carry no positions: each
// handler reads the parser's offset (just past what the event reports) and finds exact starts by
// looking back, never by re-scanning the document.

export function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** `<` that starts the tag whose name the parser just read or whose `>` it just passed. */
export function tagStart(src: string, pos: number): number {
  return Math.max(0, src.lastIndexOf('<', Math.max(0, pos - 2)));
}

/** The name written after `</` at `start` (saxes reads `</<Say>` as `</Say>`). */
export function closeTagName(src: string, start: number): string {
  let from = start + 2;
  while (src.charCodeAt(from) === 0x3c) from++;
  let end = from;
  while (end < src.length) {
    const c = src.charCodeAt(end);
    if (isSpace(c) || c === 0x3e /* > */ || c === 0x3c /* < */) break;
    end++;
  }
  return src.slice(from, end);
}

export function skipSpacesBack(src: string, i: number, floor: number): number {
  while (i >= floor && isSpace(src.charCodeAt(i))) i--;
  return i;
}

export function skipSpaces(src: string, i: number, limit = src.length): number {
  while (i < limit && isSpace(src.charCodeAt(i))) i++;
  return i;
}

export interface AttrSpans {
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  quote: '"' | "'" | '';
}

/** Finds `name` ending at `nameEnd`, or the run of non-space characters there. */
function nameBefore(src: string, nameEnd: number, name: string, floor: number): number {
  const guess = nameEnd - name.length;
  if (guess >= floor && src.startsWith(name, guess)) return guess;
  let i = nameEnd - 1;
  while (i >= floor && !isSpace(src.charCodeAt(i)) && src.charCodeAt(i) !== 0x3c) i--;
  return i + 1;
}

/** The attribute the parser reported at `pos`, just past the closing quote of its value. */
export function quotedAttr(src: string, pos: number, name: string, floor: number): AttrSpans | undefined {
  const q = src[pos - 1];
  if (q !== '"' && q !== "'") return undefined;
  const valueEnd = pos - 1;
  const open = src.lastIndexOf(q, valueEnd - 1);
  if (open < floor) return undefined;
  let i = skipSpacesBack(src, open - 1, floor);
  if (src.charCodeAt(i) === 0x3d /* = */) i = skipSpacesBack(src, i - 1, floor);
  const nameEnd = Math.max(floor, i + 1);
  const nameStart = nameBefore(src, nameEnd, name, floor);
  return { start: nameStart, end: pos, nameStart, nameEnd, valueStart: open + 1, valueEnd, quote: q };
}

/** An unquoted value starting at `valueStart` (saxes ends it at white space or `>`). */
export function unquotedAttr(src: string, valueStart: number, pos: number, name: string, floor: number): AttrSpans {
  let valueEnd = valueStart;
  while (valueEnd < pos) {
    const c = src.charCodeAt(valueEnd);
    if (isSpace(c) || c === 0x3e) break;
    valueEnd++;
  }
  let i = skipSpacesBack(src, valueStart - 1, floor);
  if (src.charCodeAt(i) === 0x3d) i = skipSpacesBack(src, i - 1, floor);
  const nameEnd = Math.max(floor, i + 1);
  const nameStart = nameBefore(src, nameEnd, name, floor);
  return { start: nameStart, end: valueEnd, nameStart, nameEnd, valueStart, valueEnd, quote: '' };
}

/** An attribute written without `=value`, reported with the `>` after it. */
export function bareAttr(src: string, pos: number, name: string, floor: number): AttrSpans {
  const nameEnd = Math.max(floor, skipSpacesBack(src, pos - 2, floor) + 1);
  const nameStart = nameBefore(src, nameEnd, name, floor);
  return { start: nameStart, end: nameEnd, nameStart, nameEnd, valueStart: nameEnd, valueEnd: nameEnd, quote: '' };
}

/** Offset of the first non-space character at or after `from`, or the length. */
export function firstNonSpace(src: string, from: number, to = src.length): number {
  return skipSpaces(src, from, to);
}

export function hasNonSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) return true;
  return false;
}
