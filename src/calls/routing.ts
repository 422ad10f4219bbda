// Which app answers an inbound call: the config's `apps` map, keyed by what the call was
// addressed to. Looked up in this order (the most specific first):
//   1. the Request-URI's user part, as written: an E.164 number (`+14155550100`) or a SIP user
//      (`vidasales`: Vida reaches an agent by its username);
//   2. the Request-URI's host, lower case: a SIP domain (`agents.example.com`);
//   3. `*`, the default (the config's `app` is shorthand for it).
// No match and no default: the call is refused (SIP 404), never handed to another number's app.
import type { AppConfig } from '../runtime/session.js';
import { isSipUriError, parseSipUri } from '../sip/uri.js';

export type AppTable = Readonly<Record<string, AppConfig>>;

export interface CallAddress {
  /** The user part of the Request-URI (or the number called). */
  to: string;
  /** The Request-URI, when the call came over SIP. */
  toUri?: string;
}

export interface Routed {
  app: AppConfig;
  /** The key that matched: what the log says chose the app. */
  key: string;
}

export function appFor(apps: AppTable, call: CallAddress): Routed | undefined {
  const host = call.toUri ? hostOf(call.toUri) : undefined;
  for (const key of [call.to, host, '*']) {
    if (key !== undefined && Object.hasOwn(apps, key)) return { app: apps[key]!, key };
  }
  return undefined;
}

function hostOf(uri: string): string | undefined {
  const u = parseSipUri(uri);
  return isSipUriError(u) ? undefined : u.host.toLowerCase();
}

/** Every app of a configuration: `apps`, with `app` as the default when given. */
export function appTable(config: { app?: AppConfig; apps?: Record<string, AppConfig> }): AppTable {
  return { ...(config.apps ?? {}), ...(config.app ? { '*': config.app } : {}) };
}
