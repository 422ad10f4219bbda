// Matching one expected value against what happened: exact text, a substring, a regular
// expression, absence (null), and lists and objects field by field. Every mismatch says where
// (`headers.X-EI`), what was there and what was expected, in words a report can print as is.
import type { Pattern, TextMatcher } from './scenario.js';

export interface Mismatch {
  /** Where in the event: `text`, `headers.X-EI`, `params.Digits`. */
  path: string;
  expected: Pattern;
  /** What was there (undefined: absent). */
  actual: unknown;
}

type Special = { contains: string } | { regex: string; flags?: string };

/** `{contains}` and `{regex, flags?}` are matchers; any other object is a pattern of fields. */
export function isSpecial(v: unknown): v is Special {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'contains') return typeof (v as { contains: unknown }).contains === 'string';
  return typeof (v as { regex?: unknown }).regex === 'string' && keys.every((k) => k === 'regex' || k === 'flags');
}

const regexes = new Map<string, RegExp>();
function regexOf(m: { regex: string; flags?: string }): RegExp {
  const key = `${m.flags ?? ''}/${m.regex}`;
  let re = regexes.get(key);
  if (!re) {
    re = new RegExp(m.regex, m.flags ?? '');
    if (regexes.size > 1000) regexes.clear();
    regexes.set(key, re);
  }
  return re;
}

const asText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Whether a text matcher accepts a value (numbers and strings compare by their text: 401 = "401"). */
export function matchesText(m: TextMatcher, actual: unknown): boolean {
  if (typeof m === 'object') {
    const text = asText(actual);
    if (text === undefined) return false;
    return 'contains' in m ? text.includes(m.contains) : regexOf(m).test(text);
  }
  if (actual === m) return true;
  const text = asText(actual);
  return text !== undefined && text === String(m);
}

/** Collects every way `actual` differs from `pattern` into `out`. */
export function matchPattern(pattern: Pattern | undefined, actual: unknown, path: string, out: Mismatch[]): void {
  if (pattern === undefined) return;
  if (pattern === null) {
    if (actual !== undefined) out.push({ path, expected: null, actual });
    return;
  }
  if (typeof pattern !== 'object' || isSpecial(pattern)) {
    if (!matchesText(pattern as TextMatcher, actual)) out.push({ path, expected: pattern, actual });
    return;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual) || actual.length !== pattern.length) {
      out.push({ path, expected: pattern, actual });
      return;
    }
    pattern.forEach((p, i) => matchPattern(p, actual[i], `${path}[${i}]`, out));
    return;
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
    out.push({ path, expected: pattern, actual });
    return;
  }
  for (const [key, p] of Object.entries(pattern)) {
    matchPattern(p, (actual as Record<string, unknown>)[key], path ? `${path}.${key}` : key, out);
  }
}

/** A pattern as a person reads it: `"exact text"`, `containing "x"`, `/x/i`, `{to: "sip:…"}`. */
export function showPattern(p: Pattern | undefined): string {
  if (p === undefined) return 'anything';
  if (p === null) return 'absent';
  if (typeof p !== 'object') return JSON.stringify(p);
  if (isSpecial(p)) return 'contains' in p ? `containing ${JSON.stringify(p.contains)}` : `/${p.regex}/${p.flags ?? ''}`;
  if (Array.isArray(p)) return `[${p.map(showPattern).join(', ')}]`;
  return `{${Object.entries(p)
    .map(([k, v]) => `${/^[A-Za-z_$][\w$-]*$/.test(k) ? k : JSON.stringify(k)}: ${showPattern(v)}`)
    .join(', ')}}`;
}

/** What was there, short: long texts and big objects are cut. */
export function showActual(v: unknown, max = 120): string {
  if (v === undefined) return 'absent';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, (_k, x: unknown) => x) ?? String(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** `text is "Connecting you to support." (expected "Connecting you to sales.")`, one per mismatch. */
export function showMismatches(ms: readonly Mismatch[]): string {
  return ms
    .map((m) =>
      m.actual === undefined
        ? `${m.path || 'it'} is absent (expected ${showPattern(m.expected)})`
        : m.expected === null
          ? `${m.path || 'it'} is ${showActual(m.actual)} (expected it absent)`
          : `${m.path || 'it'} is ${showActual(m.actual)} (expected ${showPattern(m.expected)})`,
    )
    .join('; ');
}
