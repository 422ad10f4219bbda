// The scenario runner: read a *.call.json file, check it against its schema, run its call on the
// mock backend in virtual time, and hold the transcript against what it expects. What `didml
// test` runs for every file, and what a Vitest suite can call directly.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { simulateCall, type SimulatedCall } from '../runtime/simulate.js';
import { sequentialIds } from '../ids.js';
import type { CallSummary } from '../runtime/session.js';
import type { TranscriptEvent } from '../telephony/mock/index.js';
import { prepareAgent } from './agent-server.js';
import { ClientPool, resolveApp, type ResolvedApp } from './apps.js';
import { findScenarios, scenarioName } from './files.js';
import { jsonErrorAt } from './json-error.js';
import { judge } from './judge.js';
import { layoutJson } from './layout.js';
import type { Failure } from './match.js';
import type { Scenario } from './scenario.js';
import { compareSnapshot, snapshotLines } from './snapshot.js';
import { checkScenario } from './validate.js';
import { appDefaults, ConfigLookup, type AppDefaults } from '../config/index.js';

export { ClientPool, resolveApp, type ResolvedApp } from './apps.js';
export { findScenarios, SCENARIO_SUFFIX } from './files.js';
export { judge } from './judge.js';

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
  /**
   * The lint configs (didml.config.json) whose dialect and strictness an app's documents run
   * with: that of the app's folder, or of the scenario's for an app at a URL; the scenario's own
   * `app.dialect` / `app.strictness` win. False: none.
   */
  configs?: ConfigLookup | false;
  /** Each app folder's config defaults, kept for one run of many scenarios (a stat walk each otherwise). */
  configMemo?: Map<string, AppDefaults | undefined>;
}

export interface ScenarioSource {
  scenario: unknown;
  /** Where relative app paths start. */
  dir: string;
  file?: string;
}

/** A lookup for callers that give none: it keeps each file read until its size or time changes. */
const sharedConfigs = new ConfigLookup();
/**
 * For callers that give neither lookup nor memo (a Vitest suite calling runScenario once per
 * test): each folder's defaults for a second, so a suite does not walk the folders per scenario,
 * and a config written meanwhile is taken by the scenarios after it.
 */
const RECENT_MS = 1000;
const recent = new Map<string, { at: number; defaults: AppDefaults | undefined }>();
function recentDefaults(where: string): AppDefaults | undefined {
  const now = performance.now();
  const kept = recent.get(where);
  if (kept && now - kept.at < RECENT_MS) return kept.defaults;
  const defaults = appDefaults(where, sharedConfigs);
  if (recent.size > 1000) recent.clear();
  recent.set(where, { at: now, defaults });
  return defaults;
}

/** The app with the config's dialect and strictness where the scenario says none. Throws ConfigError for a bad config. */
function withConfigDefaults(resolved: ResolvedApp, scenario: Scenario, dir: string, options: RunOptions): ResolvedApp {
  const configs = options.configs;
  if (configs === false) return resolved;
  const spec = typeof scenario.app === 'string' ? { url: scenario.app } : scenario.app;
  const where = /^[a-z][a-z0-9+.-]*:\/\//i.test(spec.url) ? dir : resolve(dir, spec.url);
  const memo = options.configMemo;
  const d = memo?.has(where) ? memo.get(where) : configs ? appDefaults(where, configs) : memo ? appDefaults(where, sharedConfigs) : recentDefaults(where);
  memo?.set(where, d);
  if (!d) return resolved;
  const defaults = { ...(d.dialect ? { dialect: d.dialect } : {}), ...(d.strictness ? { strictness: d.strictness } : {}) };
  return { ...resolved, app: { ...defaults, ...resolved.app } };
}

/** Runs a scenario already read (JSON data), checked first against its schema. */
export async function runScenario(source: ScenarioSource, options: RunOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const fallbackName = source.file ? scenarioName(source.file) : 'scenario';
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
    resolved = withConfigDefaults(resolved, scenario, source.dir, options);
  } catch (e) {
    return { ...base, name, steps, status: 'invalid', problems: [(e as Error).message], ms: performance.now() - started };
  }
  let agent: Awaited<ReturnType<typeof prepareAgent>> | undefined;
  try {
    if (scenario.call) agent = await prepareAgent(scenario.call, source.dir);
  } catch (e) {
    return { ...base, name, steps, status: 'invalid', problems: [(e as Error).message], ms: performance.now() - started };
  }
  const webhooks = resolved.client(options.clients, scenario.authToken);
  let call: SimulatedCall;
  try {
    call = await simulateCall({ app: resolved.app, ...(agent ? { call: agent.call } : {}), webhooks, ids: sequentialIds() });
  } catch (e) {
    return { ...base, name, steps, status: 'invalid', problems: [`call: ${(e as Error).message}`], ms: performance.now() - started };
  } finally {
    await webhooks.close();
    await agent?.close();
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
    return { file, name: scenarioName(file), status: 'invalid', problems: [why], failures: [], steps: 0, ms: 0 };
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
  // One lookup for the run: each config file is read once.
  const configs = options.configs ?? sharedConfigs;
  const configMemo = options.configMemo ?? new Map<string, AppDefaults | undefined>();
  const results: ScenarioResult[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await runScenarioFile(files[i]!, { ...options, clients, configs, configMemo });
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
