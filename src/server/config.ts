// The runtime's configuration: a JSON file checked against grammar/config.schema.json (the
// schema is the documentation: defaults, ranges, what each key means), then command-line
// options on top. A mistake names the key and what it must be.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { packageRoot } from '../paths.js';
import { DidmlError } from '../errors.js';
import type { AppConfig } from '../runtime/session.js';
import type { Limits } from '../runtime/limits.js';
import type { Level } from '../log.js';
import { hostPolicy } from '../webhook/hosts.js';
import { checkDrachtioConfig, type DrachtioConfig } from '../telephony/drachtio/config.js';
import type { CalleeBehaviour } from '../telephony/mock/script.js';
import { redisOptions, type StateConfig } from '../state/redis.js';

export interface ServeConfig {
  /** The default app (`apps['*']`), when there is one. */
  app?: AppConfig;
  /** Every app by the address it answers (routing.ts); `app` is in it as '*'. */
  apps: Record<string, AppConfig>;
  /** The call registry: how many ended calls, and for how long, stay listed. */
  calls: { keepEnded: number; keepEndedSeconds: number };
  /** The mock backend under serve: the far ends of the calls the Calls API places. */
  mock: { callees?: Record<string, CalleeBehaviour> };
  adapter: 'mock' | 'drachtio';
  /** `authToken`: what POST /calls must present (bearer token or X-Twilio-Signature). */
  http: { host: string; port: number; authToken?: string };
  accountSid?: string;
  authToken?: string;
  webhook: { connectTimeoutMs: number; readTimeoutMs: number; maxBytes: number; maxConnectionsPerOrigin?: number; allowHosts?: string[]; denyHosts?: string[] };
  /** The session's limits, and how many calls run at once (a runtime's, not a call's). */
  limits: Limits & { maxConcurrentCalls?: number };
  log: { level: Level };
  /** GET /metrics (src/server/metrics.ts). */
  metrics?: { enabled: boolean; authToken?: string; queueLabels: number };
  /** The drachtio backend (required with adapter drachtio). */
  drachtio?: DrachtioConfig;
  /** Shared state (Redis) for several instances; absent: in-process, one instance. */
  state?: StateConfig;
}

let validate: ReturnType<Ajv['compile']> | undefined;

function validator() {
  if (!validate) {
    const read = (name: string) => JSON.parse(readFileSync(join(packageRoot, 'grammar', name), 'utf8')) as object;
    // The mock's callees are the scenario files' own shape: one definition, in scenario.schema.json.
    validate = new Ajv({ useDefaults: true, allErrors: true, strict: false }).addSchema(read('scenario.schema.json')).compile(read('config.schema.json'));
  }
  return validate;
}

/** Checks a configuration object, filling in defaults; throws DIDML_CONFIG naming each mistake. */
export function checkConfig(raw: unknown, source = 'configuration'): ServeConfig {
  const data = structuredClone(raw) as Record<string, unknown>;
  for (const key of ['http', 'webhook', 'limits', 'log', 'calls', 'mock', 'metrics']) data[key] ??= {};
  const v = validator();
  if (!v(data)) {
    // An if/then rule's own "must match then schema" only repeats the error under it.
    const problems = (v.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => {
      if (e.keyword === 'anyOf' && e.instancePath === '') return 'give the app: `app` (the default app) or `apps` (an app per number, SIP user or domain)';
      if (e.keyword === 'required' && e.instancePath === '' && /app/.test(String((e.params as { missingProperty: string }).missingProperty))) return '';
      const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
      const extra = e.keyword === 'additionalProperties' ? ` "${String((e.params as { additionalProperty: string }).additionalProperty)}" is not a known key` : '';
      const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
      return `${where}${extra || ` ${e.message ?? 'is invalid'}${allowed}`}`;
    }).filter(Boolean);
    throw new DidmlError('DIDML_CONFIG', `${source}: ${problems.join('; ')} (see grammar/config.schema.json)`);
  }
  const config = data as unknown as ServeConfig;
  const apps = (data['apps'] ?? {}) as Record<string, AppConfig>;
  if (config.app && apps['*']) throw new DidmlError('DIDML_CONFIG', `${source}: both app and apps["*"] give the default app; keep one of them`);
  config.apps = { ...apps, ...(config.app ? { '*': config.app } : {}) };
  try {
    hostPolicy({ allow: config.webhook.allowHosts ?? [], deny: config.webhook.denyHosts ?? [] }); // names a bad entry
  } catch (e) {
    throw new DidmlError('DIDML_CONFIG', `${source}: ${(e as Error).message}`);
  }
  if (config.drachtio) checkDrachtioConfig(config.drachtio, source);
  if (config.state) redisOptions(config.state, `${source}: state`); // names a bad URL or an unreadable TLS file
  return config;
}

export function loadConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DidmlError('DIDML_CONFIG', `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DidmlError('DIDML_CONFIG', `${file}: not valid JSON (${(e as Error).message})`);
  }
}
