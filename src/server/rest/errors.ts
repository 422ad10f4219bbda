// Twilio's error JSON, for every error the HTTP side answers: `{code, message, more_info,
// status}` (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions), so a
// Twilio helper library raises its RestException with the same fields as against Twilio. Never
// an HTML page, never a stack trace.

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export const moreInfo = (code: number): string => `https://www.twilio.com/docs/errors/${code}`;

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: moreInfo(code), status };
}

/**
 * Twilio's codes for what didml answers, each from Twilio's error dictionary
 * (https://www.twilio.com/docs/api/errors/<code>).
 */
export const CODES = {
  /** Permission Denied / Authenticate (HTTP 401). */
  authenticate: 20003,
  /** Forbidden (HTTP 403). */
  forbidden: 20403,
  /** Not Found (HTTP 404). */
  notFound: 20404,
  /** Unknown parameters: a warning on Twilio, which ignores them; didml refuses them (never ignored silently). */
  unknownParameter: 20001,
  /** Method not allowed (HTTP 405). */
  methodNotAllowed: 20004,
  /** Page size too large. */
  pageSize: 20007,
  /** Cannot delete this resource before it is complete. */
  notComplete: 20009,
  /** Request Entity Too Large (HTTP 413). */
  tooLarge: 20413,
  /** Too many requests (HTTP 429): the runtime is at limits.maxConcurrentCalls. */
  tooManyRequests: 20429,
  /** Internal error, service unavailable. */
  internal: 20500,
  unavailable: 20503,
  /** Calls Resource: the catch-all for a Calls request that cannot be taken. */
  callsResource: 21200,
  /** No 'To' number is specified. */
  toMissing: 21201,
  /** Invalid URL (Url; and no Url or Twiml at all). */
  invalidUrl: 21205,
  /** Invalid SendDigits. */
  sendDigits: 21206,
  /** Invalid Timeout. */
  timeout: 21208,
  /** Invalid Method (Method, FallbackMethod, StatusCallbackMethod: GET or POST). */
  method: 21209,
  /** Invalid 'To' Phone Number. */
  invalidTo: 21211,
  /** Invalid From Number (caller ID). */
  invalidFrom: 21212,
  /** Caller phone number (From) is required. */
  fromMissing: 21213,
  /** Invalid ApplicationSid. */
  applicationSid: 21218,
  /** Invalid call state: the call is not in progress. */
  notInProgress: 21220,
  /** Invalid Machine Detection configuration value. */
  machineDetection: 21234,
  /** Invalid PageToken. */
  pageToken: 21481,
  /** Invalid 'StatusCallback'. */
  statusCallback: 21609,
  /** Invalid 'StatusCallbackEvent'. */
  statusCallbackEvent: 21626,
  /** Document parse failure (TwiML that cannot run). */
  documentParse: 12100,
  /** Twiml size exceeded maximum allowed value (4000 characters). */
  twimlTooLong: 32018,
} as const;

/** The code of a parameter that did not pass its schema: the parameter's own, where Twilio has one. */
export const PARAMETER_CODES: Readonly<Record<string, number>> = {
  To: CODES.invalidTo,
  From: CODES.invalidFrom,
  Url: CODES.invalidUrl,
  Method: CODES.method,
  FallbackMethod: CODES.method,
  StatusCallbackMethod: CODES.method,
  RecordingStatusCallbackMethod: CODES.method,
  Timeout: CODES.timeout,
  SendDigits: CODES.sendDigits,
  MachineDetection: CODES.machineDetection,
  MachineDetectionTimeout: CODES.machineDetection,
  StatusCallback: CODES.statusCallback,
  StatusCallbackEvent: CODES.statusCallbackEvent,
  PageSize: CODES.pageSize,
};

/** Twilio's words for a required parameter that is missing. */
export const MISSING: Readonly<Record<string, string>> = {
  To: "No 'To' number is specified",
  From: "No 'From' number is specified: From is the caller ID the call goes out with",
};

/** Twilio's codes for the HTTP statuses that have no more particular one. */
export const STATUS_CODES: Readonly<Record<number, number>> = {
  401: CODES.authenticate,
  403: CODES.forbidden,
  404: CODES.notFound,
  405: CODES.methodNotAllowed,
  413: CODES.tooLarge,
  429: CODES.tooManyRequests,
  500: CODES.internal,
  503: CODES.unavailable,
};
