// One error type for everything the runtime reports, with a stable machine code to branch on
// (never the message) and Twilio's numeric code where Twilio has one for the same failure.
// https://www.twilio.com/docs/api/errors

export const ERROR_CODES = {
  /** The app's URL could not be reached (refused, DNS, reset). Twilio 11205 [unverified] / 11200. */
  DIDML_WEBHOOK_CONNECT: 11205,
  /** Connect or read timed out. Twilio 11205/11200. */
  DIDML_WEBHOOK_TIMEOUT: 11200,
  /** The app answered with a status outside 2xx. Twilio 11200. */
  DIDML_WEBHOOK_STATUS: 11200,
  /** The app answered with a Content-Type that is not XML. Twilio 12300. */
  DIDML_WEBHOOK_CONTENT_TYPE: 12300,
  /** The document is larger than the configured limit. Twilio 11200 (no own code). */
  DIDML_WEBHOOK_TOO_LARGE: 11200,
  /** Too many HTTP redirects while fetching a document. Twilio 11200. */
  DIDML_WEBHOOK_REDIRECTS: 11200,
  /** The webhook URL is not an absolute URL the runtime can request. Twilio 11100 (Invalid URL format). */
  DIDML_WEBHOOK_URL: 11100,
  /** The request was cancelled by the runtime (the call ended, the session stopped). No Twilio code. */
  DIDML_WEBHOOK_ABORTED: 0,
  /** The document could not be parsed (not well-formed, wrong root, ...). Twilio 12100. */
  DIDML_DOCUMENT_INVALID: 12100,
  /** A limit that protects the runtime from a bad app was reached. */
  DIDML_LIMIT: 0,
  /** The telephony backend could not do what a verb asked (no media server, ...). */
  DIDML_TELEPHONY: 0,
  /** A URL a document points at is not allowed by the runtime's host policy. */
  DIDML_URL_FORBIDDEN: 0,
  /** Configuration that does not match its schema. */
  DIDML_CONFIG: 0,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class DidmlError extends Error {
  readonly code: ErrorCode;
  /** Twilio's numeric error code for the same failure, when there is one. */
  readonly twilioCode: number | undefined;

  /** `twilioCode`: Twilio's more precise code for this case (12102 for a wrong root), when it has one. */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; twilioCode?: number }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DidmlError';
    this.code = code;
    this.twilioCode = options?.twilioCode ?? (ERROR_CODES[code] || undefined);
  }
}

export const isDidmlError = (e: unknown): e is DidmlError => e instanceof DidmlError;
