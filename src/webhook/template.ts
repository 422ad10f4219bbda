// A folder document is a template rendered with the request's parameters, as Twilio's TwiML Bins
// are (https://www.twilio.com/docs/serverless/twiml-bins; Telnyx's TeXML bins and SignalWire's
// XML bins read the same Mustache): `{{From}}`, sections `{{#Digits}}…{{/Digits}}` and inverted
// `{{^Digits}}…{{/Digits}}`, lists from repeated `Dest[]` parameters (`{{#Dest}}{{.}}{{/Dest}}`),
// and the bins' one function, `{{#e164}}{{To}}{{/e164}}`.
import Mustache from 'mustache';
import { DidmlError } from '../errors.js';
import { hasMustacheTag, parseTemplate } from '../mustache.js';
import { lineIndex } from '../parse/positions.js';
import { isE164, nanpToE164 } from '../sip/e164.js';

export type TemplateView = Record<string, string | string[] | (() => unknown)>;

/**
 * The names a template sees: the URL's query, then the form body (a POST's own parameters win
 * over a query that names the same). `Name[]=a&Name[]=b` is the list `Name`; a name repeated
 * without `[]` keeps its last value. No prototype: `{{constructor}}` is nobody's parameter.
 */
export function templateView(url: string, body: string | undefined): TemplateView {
  const view: TemplateView = Object.create(null) as TemplateView;
  const add = (params: URLSearchParams) => {
    const lists = new Set<string>();
    for (const [key, value] of params) {
      if (key.endsWith('[]') && key.length > 2) {
        const name = key.slice(0, -2);
        const list = lists.has(name) ? (view[name] as string[]) : [];
        if (!lists.has(name)) (lists.add(name), (view[name] = list));
        list.push(value);
      } else {
        view[key] = value;
      }
    }
  };
  const q = url.indexOf('?');
  if (q >= 0) add(new URLSearchParams(url.slice(q + 1).replace(/#.*$/s, '')));
  if (body) add(new URLSearchParams(body));
  view['e164'] = () => e164Section;
  return view;
}

/** `{{#e164}}…{{/e164}}`: its rendered content as an E.164 number, where it holds one. */
function e164Section(text: string, render: (t: string) => string): string {
  return toE164(render(text));
}

/**
 * The E.164 number in a value, as TwiML Bins' e164 finds the one in a SIP URI's user part
 * (`sip:+14155550100@pbx.example.com` → `+14155550100`); a NANP number written loosely
 * (`(415) 555-0100`, `14155550100`) gets its +1. Anything else is left as it is, so the
 * rendered document's own checks say what is wrong with it.
 */
export function toE164(value: string): string {
  const trimmed = value.trim();
  const user = /^(?:sips?|tel):([^@;?]*)/i.exec(trimmed)?.[1] ?? trimmed;
  const compact = user.replace(/[\s().-]/g, '');
  if (isE164(compact)) return compact;
  return nanpToE164(compact) ?? trimmed;
}

/** XML 1.0 cannot hold these at all, not even as character references. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Mustache's own escape (`& < > " '`, which is all XML needs in text and in either quote, plus
 * `/ \` =` as character references, harmless in XML), and a character XML cannot hold at all
 * becomes U+FFFD: a caller's value never makes the rendered document unreadable.
 */
function xmlEscape(value: unknown): string {
  return Mustache.escape(String(value)).replace(NOT_XML, '\uFFFD');
}

// Parsed templates by text, a few hundred at most: a folder app has few documents, and each is
// parsed once however often it is asked for. Its own writer, so nothing else fills the cache.
const writer = new Mustache.Writer();
const parsedTemplates = new Map<string, ReturnType<typeof parseTemplate>>();
const CACHE_ENTRIES = 256;

function parsed(text: string): ReturnType<typeof parseTemplate> {
  let hit = parsedTemplates.get(text);
  if (!hit) {
    hit = parseTemplate(text);
    if (parsedTemplates.size >= CACHE_ENTRIES) parsedTemplates.delete(parsedTemplates.keys().next().value!);
    parsedTemplates.set(text, hit);
  }
  return hit;
}

/**
 * The rendered document, or a DIDML_DOCUMENT_INVALID error (Twilio 12100) naming `where`'s line
 * and column when the template cannot be read. A text without `{{` comes back as it is.
 */
export function renderTemplate(text: string, view: TemplateView, where: string): string {
  if (!hasMustacheTag(text)) return text;
  const template = parsed(text);
  if ('problem' in template) {
    const { line, column } = lineIndex(text).rangeOf({ start: template.problem.start, end: template.problem.end });
    throw new DidmlError('DIDML_DOCUMENT_INVALID', `${where}:${line}:${column}: ${template.problem.message}`);
  }
  return writer.renderTokens(template.tokens as unknown as string[][], new Mustache.Context(view), undefined, text, { escape: xmlEscape });
}
