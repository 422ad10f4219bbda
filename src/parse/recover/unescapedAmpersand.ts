// `<Redirect>http://x/a?b=1&c=2</Redirect>`: an `&` that starts no entity or character reference.
// saxes reads everything up to the next `;` as an entity name, swallowing the rest of the
// document; each such `&` is read as `&amp;`.
import type { Outcome, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const unescapedAmpersandMeta: RecoveryMeta = {
  rule: 'xml/unescaped-ampersand',
  severity: 'warning',
  destructive: true,
  description: 'an & that starts no entity or character reference is read as &amp;',
};

// Longer than any entity name anyone writes; bounds the look-ahead on `&&&&…`.
const MAX_REF = 64;

function isRefChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x5f || c === 0x2d || c === 0x2e || c === 0x3a || c === 0x23 || c >= 0xb7
  );
}

/**
 * What the `&` at `i` starts: 'bare' when nothing shaped like a reference (`&name;`, `&#…;`);
 * 'ref' for a reference shape, even with an unknown name (`&nbsp;`: saxes reads it in place and
 * reports it); 'unknown' when the text read so far ends before that can be told.
 */
export function ampersandAt(text: string, i: number, complete = true): 'bare' | 'ref' | 'unknown' {
  const limit = Math.min(text.length, i + 1 + MAX_REF);
  let j = i + 1;
  while (j < limit && isRefChar(text.charCodeAt(j))) j++;
  if (j === text.length && !complete) return 'unknown';
  return j === i + 1 || j >= limit || text.charCodeAt(j) !== 0x3b /* ; */ ? 'bare' : 'ref';
}

export function isBareAmpersand(text: string, i: number): boolean {
  return ampersandAt(text, i) === 'bare';
}

/**
 * Looks for a bare `&` in [from, to) (text the parser has read). `resume` is where the next look
 * should start: past everything decided, or at an `&` that cannot be judged yet (`unknown`).
 */
export function findBareAmpersand(text: string, from: number, to: number, complete: boolean): { bare: boolean; unknown: boolean; resume: number } {
  for (let i = text.indexOf('&', from); i !== -1 && i < to; i = text.indexOf('&', i + 1)) {
    const kind = ampersandAt(text, i, complete);
    if (kind === 'bare') return { bare: true, unknown: false, resume: i };
    if (kind === 'unknown') return { bare: false, unknown: true, resume: i };
  }
  return { bare: false, unknown: false, resume: Math.max(from, to) };
}

/** Where markup that may hold a raw `&` (comment, CDATA, PI, DOCTYPE) starting at `lt` ends. */
function skipRaw(text: string, lt: number): number {
  const end = (close: string, from: number): number => {
    const at = text.indexOf(close, from);
    return at === -1 ? text.length : at + close.length;
  };
  if (text.startsWith('<!--', lt)) return end('-->', lt + 4);
  if (text.startsWith('<![CDATA[', lt)) return end(']]>', lt + 9);
  if (text.startsWith('<?', lt)) return end('?>', lt + 2);
  if (text.startsWith('<!DOCTYPE', lt)) {
    const gt = text.indexOf('>', lt);
    const bracket = text.indexOf('[', lt);
    return bracket !== -1 && (gt === -1 || bracket < gt) ? end(']>', bracket) : end('>', lt);
  }
  return lt + 1;
}

/** Every bare `&` outside comments, CDATA sections, PIs and a DOCTYPE. */
export function bareAmpersands(text: string): number[] {
  const found: number[] = [];
  let i = 0;
  let lt = text.indexOf('<');
  for (let amp = text.indexOf('&'); amp !== -1; amp = text.indexOf('&', i)) {
    while (lt !== -1 && lt < amp) {
      i = Math.max(i, skipRaw(text, lt));
      lt = text.indexOf('<', i);
    }
    if (amp < i) continue;
    if (isBareAmpersand(text, amp)) found.push(amp);
    i = amp + 1;
  }
  return found;
}

/** Past this many, one diagnostic (with one fix for all) says it: a page of & is one problem. */
export const MAX_AMPERSANDS_REPORTED = 50;

export function unescapedAmpersand(text: string): Outcome | undefined {
  const found = bareAmpersands(text);
  if (found.length === 0) return undefined;
  const edits = found.map((at) => ({ start: at + 1, end: at + 1, text: 'amp;' }));
  if (found.length > MAX_AMPERSANDS_REPORTED) {
    const first = found[0] as number;
    return {
      diagnostics: [draft(unescapedAmpersandMeta, `${found.length} unescaped & in text and attribute values, the first here: XML needs &amp; for a literal &`, { start: first, end: first + 1 }, {
        description: `write &amp; for each of the ${found.length}`,
        edits,
      })],
      edits,
    };
  }
  // Inside a tag when the last `<` before it is later than the last `>`: one sweep, in order.
  let lastLt = -1;
  let lastGt = -1;
  let swept = 0;
  const diagnostics = found.map((at) => {
    for (; swept < at; swept++) {
      const c = text.charCodeAt(swept);
      if (c === 0x3c) lastLt = swept;
      else if (c === 0x3e) lastGt = swept;
    }
    const where = lastLt > lastGt ? 'in an attribute value' : 'in text';
    return draft(unescapedAmpersandMeta, `Unescaped & ${where}: XML needs &amp; for a literal &`, { start: at, end: at + 1 }, {
      description: 'write &amp;',
      edits: [{ start: at + 1, end: at + 1, text: 'amp;' }],
    });
  });
  return { diagnostics, edits };
}
