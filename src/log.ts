// Structured logs: one JSON object per line, so a log shipper or `jq` can read them. Secrets
// never reach a line: keys that name one are masked wherever they appear, and so is the password
// of a URL (`https://user:password@host/`) or a SIP URI (`sip:user:password@host`) in any text.
export type Level = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET = /^(auth_?token|authToken|password|secret|signature|x-twilio-signature|authorization|proxy-authorization|token)$/i;
// scheme://user:password@ and sip(s):user:password@: the user stays, the password goes.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#@]*@/gi;
const SIP_PASSWORD = /\b(sips?:[^\s:@;?/]+):[^\s@;?/]*@/gi;

/** `text` with the password of every URL and SIP URI in it replaced by `***`. */
export function maskCredentials(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(URL_PASSWORD, '$1:***@').replace(SIP_PASSWORD, '$1:***@');
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskCredentials(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createLogger(options: { level?: Level; write?: (line: string) => void; fields?: Record<string, unknown> } = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.fields ?? {};
  const at =
    (level: Level) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (RANK[level] < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...(redact({ ...base, ...fields }) as object) }));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
