// Mustache as TwiML Bins read it (and Telnyx's TeXML and SignalWire's XML bins): one place that
// knows the syntax, used by the folder transport that renders templates and by lint that checks
// them. https://mustache.github.io/mustache.5.html
import Mustache from 'mustache';

/** Where a template goes wrong, as offsets into its text, and what to write instead. */
export interface TemplateProblem {
  message: string;
  start: number;
  end: number;
}

/**
 * Cheap evidence that a text is a Mustache template: an opening `{{`. A folder document (or a
 * linted file) without one is never parsed as a template, so static documents cost one scan.
 */
export function hasMustacheTag(text: string): boolean {
  return text.includes('{{');
}

/** Names the bins define themselves: `{{#e164}}{{To}}{{/e164}}`. */
export const TEMPLATE_FUNCTIONS: ReadonlySet<string> = new Set(['e164']);

type Token = [type: string, value: string, start: number, end: number, children?: Token[], closeAt?: number];

/**
 * The template's tokens, or the first problem: a tag or section that is never closed, a close
 * with no open, and what Mustache has that bins do not (partials) or that renders nothing useful
 * (a function used as a value). A fresh Writer each time: lint sees many one-off texts, and the
 * shared writer's cache would keep them all.
 */
export function parseTemplate(text: string): { tokens: Token[] } | { problem: TemplateProblem } {
  let tokens: Token[];
  try {
    tokens = new Mustache.Writer().parse(text) as Token[];
  } catch (err) {
    return { problem: locate(text, String((err as Error).message)) };
  }
  const problem = unsupported(text, tokens);
  return problem ? { problem } : { tokens };
}

function unsupported(text: string, tokens: readonly Token[]): TemplateProblem | undefined {
  for (const [type, value, start, end, children] of tokens) {
    if (type === '>') {
      return { message: `{{> ${value}}} is a partial: templates here have none (nor do TwiML Bins); write the text in place, or redirect to another document`, start, end };
    }
    if (type !== '!' && type !== '=' && type !== 'text' && /\s/.test(value)) {
      const tag = text.slice(start, end);
      return { message: `${tag}: a Mustache name has no spaces, and a template cannot compare or call (that is Handlebars, or Telnyx's if/else); name one parameter: {{#Digits}}…{{/Digits}}`, start, end };
    }
    if ((type === 'name' || type === '&') && TEMPLATE_FUNCTIONS.has(value)) {
      return { message: `{{${value}}} is a function, not a value: wrap what it converts, {{#${value}}}{{To}}{{/${value}}}`, start, end };
    }
    const inner = children && unsupported(text, children);
    if (inner) return inner;
  }
  return undefined;
}

/** Turns mustache.js's "Unclosed section "a" at 120" into a span and a message that says the fix. */
function locate(text: string, message: string): TemplateProblem {
  const at = Number(/ at (\d+)$/.exec(message)?.[1] ?? 0);
  const section = /^Unclosed section "(.*)" at \d+$/s.exec(message)?.[1];
  const unopened = /^Unopened section "(.*)" at \d+$/s.exec(message)?.[1];
  if (section !== undefined && /\s/.test(section)) {
    const open = lastOpening(text.slice(0, at), section) ?? { start: at, end: at };
    return { message: `${text.slice(open.start, open.end)}: a Mustache name has no spaces, and a template cannot compare or call (that is Handlebars, or Telnyx's if/else); name one parameter: {{#Digits}}…{{/Digits}}`, ...open };
  }
  if (section !== undefined) {
    const open = lastOpening(text.slice(0, at), section);
    if (at >= text.length) {
      // Never closed at all: point at the section that was opened.
      return { message: `{{#${section}}} is never closed: end the section with {{/${section}}}`, ...(open ?? { start: at, end: at }) };
    }
    const close = tagAt(text, at);
    const found = /^\{\{\s*\/\s*([^}]*?)\s*\}\}/.exec(text.slice(at))?.[1] ?? '?';
    return { message: `{{/${found}}} closes a section that is not open: the open one is {{#${section}}}; close it first with {{/${section}}}`, ...close };
  }
  if (unopened !== undefined) {
    return { message: `{{/${unopened}}} closes a section that was never opened: open it with {{#${unopened}}} (or remove the close)`, ...tagAt(text, at) };
  }
  if (/^Unclosed tag/.test(message)) {
    const start = text.lastIndexOf('{{', at);
    return { message: 'a tag opened with {{ is never closed: end it with }}', start: Math.max(start, 0), end: Math.max(start, 0) + 2 };
  }
  return { message: `the template cannot be read: ${message}`, start: 0, end: 0 };
}

function tagAt(text: string, at: number): { start: number; end: number } {
  const close = text.indexOf('}}', at);
  return { start: at, end: close < 0 ? at + 2 : close + 2 };
}

function lastOpening(before: string, name: string): { start: number; end: number } | undefined {
  const re = /\{\{\s*[#^]\s*([^}]*?)\s*\}\}/g;
  let last: { start: number; end: number } | undefined;
  for (let m = re.exec(before); m; m = re.exec(before)) if (m[1] === name) last = { start: m.index, end: m.index + m[0].length };
  return last;
}
