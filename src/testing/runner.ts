// The scenario runner: read a *.call.json file, check it against its schema, run its call on the
// mock backend in virtual time, and hold the transcript against what it expects. What `didml
// test` runs for every file, and what a Vitest suite can call directly.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simulateCall, type SimulatedCall } from '../runtime/simulate.js';
import { sequentialIds } from '../runtime/ids.js';
import type { AppConfig, CallSummary } from '../runtime/session.js';
import type { TranscriptEvent } from '../telephony/mock/index.js';
import { createWebhookClient } from '../webhook/client.js';
import { appSpaceUrl } from '../webhook/folder.js';
import { handlerTransport, type WebhookHandler } from '../webhook/handler.js';
import type { WebhookClient } from '../webhook/types.js';
import { cachedFolderTransport } from './folder-cache.js';
import { jsonErrorAt } from './json-error.js';
import { layoutJson } from './layout.js';
import { endOf, excerpt, line, matchSteps, seconds, type Failure } from './match.js';
import { showActual } from './patterns.js';
import type { AppSpec, Scenario, Step } from './scenario.js';
import { compareSnapshot, isStable, snapshotLines } from './snapshot.js';
import { checkScenario } from './validate.js';

export type ScenarioStatus = 'passed' | 'failed' | 'invalid' | 'pending';

export interface ScenarioResult {
  /** The scenario file, as given (absent for a scenario run from memory). */
  file?: string;
  name: string;
  status: ScenarioStatus;
  /** What is wrong with an invalid scenario, each naming its key. */
  problems: string[];
  /** What went differently from what the scenario expects. */
  failures: Failure[];
  /** Why a pending scenario is not run. */
  pending?: string;
  steps: number;
  summary?: CallSummary;
  events?: TranscriptEvent[];
  /** The call's transcript as snapshot lines. */
  snapshot?: string[];
  /** `--update` wrote a new snapshot into the file. */
  updated?: boolean;
  /** Real milliseconds the scenario took. */
  ms: number;
}

export interface RunOptions {
  /** Write each call's transcript into its scenario file as `snapshot`. */
  update?: boolean;
  /** Webhook clients shared by the scenarios of one run; made per scenario otherwise. */
  clients?: ClientPool;
}

/** Webhook clients by app, shared between the scenarios of a run (pooled connections, one folder reader). */
export class ClientPool {
  readonly #clients = new Map<string, WebhookClient>();
  get(key: string, make: () => WebhookClient): WebhookClient {
    let c = this.#clients.get(key);
    if (!c) this.#clients.set(key, (c = make()));
    return c;
  }
  async close(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}

// ---------------------------------------------------------------------------------------------
// Finding and reading scenarios.

export const SCENARIO_SUFFIX = '.call.json';

function* scenariosUnder(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* scenariosUnder(path);
    else if (e.isFile() && e.name.endsWith(SCENARIO_SUFFIX)) yield path;
  }
}

/** Scenario files for what a user typed: files as given, folders searched for *.call.json. */
export function findScenarios(paths: readonly string[]): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch (err) {
      problems.push(`${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`);
      continue;
    }
    if (!stat.isDirectory()) {
      files.push(p);
      continue;
    }
    const found = [...scenariosUnder(p)];
    if (!found.length) problems.push(`${p}: no *${SCENARIO_SUFFIX} files in this folder`);
    files.push(...found);
  }
  return { files, problems };
}

const nameOf = (file: string) => basename(file).replace(/\.call\.json$/, '').replace(/\.json$/, '');

// ---------------------------------------------------------------------------------------------
// The app a scenario names.

export interface ResolvedApp {
  app: AppConfig;
  /** The client for its kind: a folder reader, HTTP, or the in-process handler. */
  client: (clients: ClientPool | undefined, authToken: string | undefined) => WebhookClient;
}

const modules = new Map<string, Promise<WebhookHandler>>();

async function loadHandler(file: string): Promise<WebhookHandler> {
  let p = modules.get(file);
  if (!p) {
    p = import(pathToFileURL(file).href).then((m: { default?: unknown }) => {
      if (typeof m.default !== 'function') {
        throw new Error(`${file}: the module's default export must be a function (req) => document, as handlerTransport takes`);
      }
      return m.default as WebhookHandler;
    });
    modules.set(file, p);
  }
  return p;
}

/** A label for the app's URL host, from a file or folder name. */
const label = (path: string) => basename(path).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'app';

/**
 * Where the app of a scenario lives, relative to `dir` (the scenario file's folder): a live URL,
 * a folder of XML documents (or a file in one), or a JavaScript module whose default export
 * answers requests in-process at `http://<module-name>.test/`.
 */
export async function resolveApp(spec: string | AppSpec, dir: string, handler?: WebhookHandler): Promise<ResolvedApp> {
  const s: AppSpec = typeof spec === 'string' ? { url: spec } : spec;
  const shared = (client: ResolvedApp['client'], app: AppConfig): ResolvedApp => {
    const relative = (u: string | undefined) => (u === undefined ? undefined : new URL(u, app.url).href);
    const fallbackUrl = relative(s.fallbackUrl);
    const statusCallback = relative(s.statusCallback);
    return {
      client,
      app: {
        ...app,
        ...(s.method ? { method: s.method } : {}),
        ...(fallbackUrl ? { fallbackUrl } : {}),
        ...(s.fallbackMethod ? { fallbackMethod: s.fallbackMethod } : {}),
        ...(statusCallback ? { statusCallback } : {}),
        ...(s.statusCallbackMethod ? { statusCallbackMethod: s.statusCallbackMethod } : {}),
        ...(s.statusCallbackEvents ? { statusCallbackEvents: s.statusCallbackEvents } : {}),
        ...(s.dialect ? { dialect: s.dialect } : {}),
      },
    };
  };
  if (handler) {
    // An app in-process: its URL is only what it sees (`http://app.test/` unless given).
    const url = new URL(s.path ?? '', s.url || 'http://app.test/').href;
    return shared((_pool, token) => createWebhookClient({ transport: handlerTransport(handler), ...(token ? { authToken: token } : {}) }), { url });
  }
  if (/^https?:\/\//i.test(s.url)) {
    const url = s.path !== undefined ? new URL(s.path, s.url).href : s.url;
    return shared((pool, token) => pooled(pool, `http ${token ?? ''}`, () => createWebhookClient(token ? { authToken: token } : {})), { url });
  }
  const path = resolve(dir, s.url);
  if (!existsSync(path)) throw new Error(`app: ${s.url}: no such file or folder (relative to ${dir})`);
  if (statSync(path).isDirectory()) {
    return shared(folderClient(path), { url: appSpaceUrl(path, s.path ?? '') });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.xml') {
    const root = dirname(path);
    return shared(folderClient(root), { url: appSpaceUrl(root, s.path ?? basename(path).replace(/\.xml$/i, '')) });
  }
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
    const handler = await loadHandler(path);
    const base = `http://${label(path)}.test/`;
    return shared(
      (pool, token) => pooled(pool, `module ${path} ${token ?? ''}`, () => createWebhookClient({ transport: handlerTransport(handler), ...(token ? { authToken: token } : {}) })),
      { url: new URL((s.path ?? '/').replace(/^\/*/, '/'), base).href },
    );
  }
  throw new Error(`app: ${s.url} is not a folder of XML documents, an XML file, a .js/.mjs module or an http(s) URL`);
}

/** A folder app's client: in a run (a pool), one per folder that reads each document once. */
function folderClient(root: string): ResolvedApp['client'] {
  return (pool, token) =>
    pool
      ? pooled(pool, `folder ${root} ${token ?? ''}`, () => createWebhookClient({ transport: cachedFolderTransport(root), ...(token ? { authToken: token } : {}) }))
      : createWebhookClient({ appRoot: root, ...(token ? { authToken: token } : {}) });
}

/** With a pool, one client per key for the run (the pool closes it); without, a client the caller closes. */
function pooled(pool: ClientPool | undefined, key: string, make: () => WebhookClient): WebhookClient {
  if (!pool) return make();
  const client = pool.get(key, make);
  // The pool closes it at the end of the run; the scenario must not.
  return { fetchDocument: client.fetchDocument.bind(client), notify: client.notify.bind(client), close: () => Promise.resolve() };
}

// ---------------------------------------------------------------------------------------------
// Judging a call.

/** Everything that went differently from what the scenario expects (empty: it passed). */
export function judge(scenario: Scenario, call: SimulatedCall): Failure[] {
  const steps: Step[] = scenario.expect ?? [];
  const { events } = call;
  const { failures, matched } = matchSteps(events, steps);
  const out = [...failures];

  // Errors along the way that no step expects: an app failing is never a silent pass.
  const expected = new Set(steps.flatMap((s, i) => (s.error !== undefined && !s.not && matched[i] ? [matched[i]!.event] : [])));
  const unexpected = events.flatMap((e, i) => (e.type === 'error' && isStable(e) && !expected.has(i) ? [i] : []));
  if (unexpected.length && !failures.length) {
    const first = unexpected[0]!;
    const e = events[first]!;
    out.push({
      title: `the call had ${unexpected.length === 1 ? 'an error' : `${unexpected.length} errors`} that no step expects`,
      expected: `no error, or a step such as {"error": ${JSON.stringify(e['code'] ?? { contains: String(e['message']).slice(0, 40) })}}`,
      happened: `at ${seconds(e.t)}: ${line(e)}`,
      excerpt: excerpt(events, first, first),
    });
  }

  // Caller actions the app never asked for: the scenario and the app disagree about the flow.
  if (call.unusedActions.length) {
    const script = scenario.call?.caller ?? [];
    const used = script.length - call.unusedActions.length;
    const times = (n: number) => (n === 1 ? 'once' : `${n} times`);
    out.push({
      title: `call.caller[${used}] ${showActual(call.unusedActions[0])} was never used${call.unusedActions.length > 1 ? ` (nor the ${call.unusedActions.length - 1} after it)` : ''}`,
      expected: `the app to ask the caller for input ${times(script.length)} (at a Gather, a Record, or a Dial with hangupOnStar)`,
      happened: `it asked ${times(used)}; ${endOf(events)}`,
      excerpt: excerpt(events, undefined, events.length - 1),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running.

export interface ScenarioSource {
  scenario: unknown;
  /** Where relative app paths start. */
  dir: string;
  file?: string;
}

/** Runs a scenario already read (JSON data), checked first against its schema. */
export async function runScenario(source: ScenarioSource, options: RunOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const fallbackName = source.file ? nameOf(source.file) : 'scenario';
  const base = { ...(source.file !== undefined ? { file: source.file } : {}), problems: [] as string[], failures: [] as Failure[], steps: 0 };
  const checked = checkScenario(source.scenario, { updating: options.update ?? false });
  if (!checked.ok) {
    const name = typeof (source.scenario as { name?: unknown })?.name === 'string' ? String((source.scenario as { name: string }).name) : fallbackName;
    return { ...base, name, status: 'invalid', problems: checked.problems, ms: performance.now() - started };
  }
  const scenario = checked.scenario;
  const name = scenario.name ?? fallbackName;
  const steps = scenario.expect?.length ?? 0;
  if (scenario.pending) return { ...base, name, steps, status: 'pending', pending: scenario.pending, ms: performance.now() - started };

  let resolved: ResolvedApp;
  try {
    resolved = await resolveApp(scenario.app, source.dir);
  } catch (e) {
    return { ...base, name, steps, status: 'invalid', problems: [(e as Error).message], ms: performance.now() - started };
  }
  const webhooks = resolved.client(options.clients, scenario.authToken);
  let call: SimulatedCall;
  try {
    call = await simulateCall({ app: resolved.app, ...(scenario.call ? { call: scenario.call } : {}), webhooks, ids: sequentialIds() });
  } catch (e) {
    return { ...base, name, steps, status: 'invalid', problems: [`call: ${(e as Error).message}`], ms: performance.now() - started };
  } finally {
    await webhooks.close();
  }

  const failures = judge(scenario, call);
  const snapshot = snapshotLines(call.events);
  let updated = false;
  if (options.update && source.file) {
    if (JSON.stringify(scenario.snapshot) !== JSON.stringify(snapshot)) {
      writeScenario(source.file, { ...(source.scenario as Scenario), snapshot });
      updated = true;
    }
  } else if (scenario.snapshot) {
    const differs = compareSnapshot(scenario.snapshot, snapshot);
    if (differs) failures.push(differs);
  }
  return {
    ...base,
    name,
    steps,
    status: failures.length ? 'failed' : 'passed',
    failures,
    summary: call.summary,
    events: call.events,
    snapshot,
    ...(updated ? { updated } : {}),
    ms: performance.now() - started,
  };
}

/** Reads and runs one scenario file. */
export async function runScenarioFile(file: string, options: RunOptions = {}): Promise<ScenarioResult> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    let why = (e as Error).message;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') why = 'no such file';
    else if (e instanceof SyntaxError) {
      const at = jsonErrorAt(readFileSync(file, 'utf8'));
      why = `not valid JSON: ${at.found} at line ${at.line}, column ${at.column}`;
    }
    return { file, name: nameOf(file), status: 'invalid', problems: [why], failures: [], steps: 0, ms: 0 };
  }
  return runScenario({ scenario: data, dir: dirname(resolve(file)), file }, options);
}

/** Writes a scenario back in the layout scenarios are written in (snapshot last). */
function writeScenario(file: string, scenario: Scenario): void {
  const { snapshot, ...rest } = scenario;
  writeFileSync(file, layoutJson({ ...rest, snapshot }));
}

export interface SuiteResult {
  results: ScenarioResult[];
  /** Paths that could not be read or held no scenario. */
  problems: string[];
  ms: number;
}

/** Runs every scenario below `paths` (files, or folders searched for *.call.json), a few at a time. */
export async function runScenarios(paths: readonly string[], options: RunOptions & { concurrency?: number } = {}): Promise<SuiteResult> {
  const started = performance.now();
  const { files, problems } = findScenarios(paths);
  const clients = options.clients ?? new ClientPool();
  const results: ScenarioResult[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await runScenarioFile(files[i]!, { ...options, clients });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, files.length) }, worker));
  } finally {
    if (!options.clients) await clients.close();
  }
  return { results, problems, ms: performance.now() - started };
}

/** A path to show: relative to the working folder when inside it. */
export function displayPath(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}
