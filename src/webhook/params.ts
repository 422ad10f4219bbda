// Webhook parameters on the wire, and Twilio's connection-override URL fragment.
//
// Parameters go as `application/x-www-form-urlencoded`: the POST body, or appended to the URL's
// query for GET (https://www.twilio.com/docs/usage/webhooks/voice-webhooks; Somleng appends to an
// existing query the same way). The overrides (`#ct=1000&rt=3000`) tune timeouts and retries per
// URL (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides); a fragment is
// never sent to the server (RFC 3986 §3.5), so it is stripped before the request and before signing.

/** The Content-Type of a POST body, as Twilio sends it. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';

// A lone surrogate has no UTF-8 form: encodeURIComponent would throw, Buffer would write U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The same parameters with every lone surrogate replaced by U+FFFD, so that what is signed is what is sent. */
export function wellFormedParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) out[k.replace(LONE_SURROGATE, '\uFFFD')] = String(v).replace(LONE_SURROGATE, '\uFFFD');
  return out;
}

/**
 * Form-encodes parameters in their insertion order. Percent-encoding follows encodeURIComponent
 * (space as `%20`), which every form decoder reads and which is also what Node's legacy
 * `querystring.stringify` produces: twilio-node's validator falls back to re-encoding a GET query
 * that way, so a query in this spelling survives its URL reconstruction.
 */
export function encodeForm(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** Parses a form body or query string (`+` is a space). A repeated key keeps its last value. */
export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** Appends parameters to a URL's query, after any query it already has (for GET). */
export function appendQuery(url: string, params: Readonly<Record<string, string>>): string {
  const encoded = encodeForm(params);
  if (!encoded) return url;
  const q = url.indexOf('?');
  if (q === -1) return `${url}?${encoded}`;
  return url.endsWith('?') || url.endsWith('&') ? url + encoded : `${url}&${encoded}`;
}

// ---------------------------------------------------------------------------------------------
// Connection overrides

/** What a retry is allowed for (`rp`): HTTP status classes, connect failure, read timeout. */
export type RetryOn = '4xx' | '5xx' | 'ct' | 'rt';

export interface ConnectionSettings {
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** All attempts together, retries included (`tt`). */
  totalTimeoutMs: number;
  /** Retries after the first attempt (`rc`). */
  retries: number;
  retryOn: readonly RetryOn[];
}

/** The bounds and defaults Twilio documents for each override. */
export const OVERRIDE_BOUNDS = {
  ct: { min: 100, max: 10_000, default: 5_000 },
  rt: { min: 100, max: 15_000, default: 15_000 },
  tt: { min: 100, max: 15_000, default: 15_000 },
  rc: { min: 0, max: 5, default: 1 },
} as const;

/**
 * Twilio's defaults. `rp` defaults to connect failures: Twilio error 11205 describes "two
 * 5-second attempts" to connect and 11202 "two connection attempts" when refused [inference].
 */
export const TWILIO_CONNECTION_DEFAULTS: ConnectionSettings = {
  connectTimeoutMs: OVERRIDE_BOUNDS.ct.default,
  readTimeoutMs: OVERRIDE_BOUNDS.rt.default,
  totalTimeoutMs: OVERRIDE_BOUNDS.tt.default,
  retries: OVERRIDE_BOUNDS.rc.default,
  retryOn: ['ct'],
};

export interface ConnectionOverrides {
  /** The URL without its fragment: what is requested and signed. */
  url: string;
  /** Only the settings the fragment set, already clamped to Twilio's bounds. */
  overrides: Partial<ConnectionSettings> & { edge?: string; sni?: string };
  /** Values that were out of range, malformed or unknown, each saying what was done instead. */
  warnings: string[];
}

const NUMERIC = { ct: 'connectTimeoutMs', rt: 'readTimeoutMs', tt: 'totalTimeoutMs', rc: 'retries' } as const;
const RETRY_TOKENS: readonly RetryOn[] = ['4xx', '5xx', 'ct', 'rt'];

/**
 * Strips the fragment from a URL and reads Twilio's connection overrides from it. Twilio reports
 * bad values in its debugger; here an out-of-range number is clamped to the nearest bound, and a
 * malformed value or unknown key is ignored; both come back as warnings for the caller to show.
 */
export function parseConnectionOverrides(url: string): ConnectionOverrides {
  const hash = url.indexOf('#');
  if (hash === -1) return { url, overrides: {}, warnings: [] };
  const overrides: ConnectionOverrides['overrides'] = {};
  const warnings: string[] = [];
  for (const [key, value] of new URLSearchParams(url.slice(hash + 1))) {
    if (key in NUMERIC) {
      const k = key as keyof typeof NUMERIC;
      const { min, max } = OVERRIDE_BOUNDS[k];
      if (!/^\d+$/.test(value)) {
        warnings.push(`${key}=${value} is not a whole number; the default ${OVERRIDE_BOUNDS[k].default} applies`);
        continue;
      }
      const n = Number(value);
      const clamped = Math.min(max, Math.max(min, n));
      if (clamped !== n) warnings.push(`${key}=${value} is outside ${min}–${max}; ${clamped} is used`);
      overrides[NUMERIC[k]] = clamped;
    } else if (key === 'rp') {
      const tokens = value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
      const bad = tokens.filter((t) => t !== 'all' && !RETRY_TOKENS.includes(t as RetryOn));
      // Twilio error 11243: "One or more retry policies specified in the 'rp' parameter ... are invalid".
      if (bad.length) warnings.push(`rp: unknown retry polic${bad.length > 1 ? 'ies' : 'y'} ${bad.join(', ')} ignored (valid: 4xx, 5xx, ct, rt, all)`);
      overrides.retryOn = tokens.includes('all') ? [...RETRY_TOKENS] : RETRY_TOKENS.filter((t) => tokens.includes(t));
    } else if (key === 'e') {
      overrides.edge = value;
    } else if (key === 'sni') {
      overrides.sni = value;
    } else {
      warnings.push(`unknown connection override ${key}=${value} ignored`);
    }
  }
  return { url: url.slice(0, hash), overrides, warnings };
}
