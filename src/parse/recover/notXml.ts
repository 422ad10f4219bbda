// A webhook that answers "OK" or "Created": plain text, no element at all. Twilio fails the call
// with 12100 (its schema warning says "Content is not allowed in prolog").
import type { Span } from '../../types.js';
import type { Draft, RecoveryMeta } from './types.js';
import { draft } from './types.js';

export const notXmlMeta: RecoveryMeta = {
  rule: 'xml/not-xml',
  severity: 'error',
  destructive: false,
  description: 'a body with text but no element is not a document',
};

export const emptyMeta: RecoveryMeta = {
  rule: 'xml/empty',
  severity: 'error',
  destructive: false,
  description: 'a body with no element at all is not a document',
};

export function notXml(text: string, span: Span, rootName: string): Draft {
  const shown = text.trim().slice(0, 40);
  return draft(notXmlMeta, `The response is not XML: it starts with "${shown}"; answer with a <${rootName}> document (Content-Type text/xml)`, span);
}

export function empty(span: Span, rootName: string): Draft {
  return draft(emptyMeta, `The response has no elements; answer with a <${rootName}> document`, span);
}
