// Which answers are documents. Twilio: "text/xml, application/xml, text/html: Twilio interprets
// the returned document as ... TwiML"; "text/plain: Twilio reads the content of the text out loud
// to the caller, and then hangs up"; audio types are played, then the call hangs up
// (https://www.twilio.com/docs/api/twiml/your_response). Anything else is error 12300.
//
// didml also takes any `application/*+xml` (RFC 7303 §4.2, the XML media-type suffix). Audio is
// not taken: a document body is text, and an app that wants audio played can answer with <Play>.

/** `xml`: parse as a document; `text`: a plain-text answer (Twilio says it, then hangs up). */
export type DocumentKind = 'xml' | 'text';

/** What kind of document a Content-Type header announces, or undefined when it is none. */
export function documentKind(contentType: string | undefined): DocumentKind | undefined {
  const mime = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mime === 'text/xml' || mime === 'application/xml' || mime === 'text/html') return 'xml';
  if (/^application\/[a-z0-9.!#$&^_-]+\+xml$/.test(mime)) return 'xml';
  if (mime === 'text/plain') return 'text';
  return undefined;
}
