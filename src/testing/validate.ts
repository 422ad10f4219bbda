// Checks a scenario against grammar/scenario.schema.json, and what a schema cannot say (exactly
// one kind per step, regular expressions that compile). Every problem names the key, as a path a
// person can find in the file: `expect[2].dial.headers.X-EI: must be …`.
//
// The schema is compiled at first use (ajv, ~10 ms) rather than ahead of time: `didml test` reads
// it once per run, and `didml lint` never loads this module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { packageRoot } from '../paths.js';
import { callScriptProblems } from '../runtime/simulate.js';
import { STEP_KINDS, type Scenario, type Step } from './scenario.js';
import { explainErrors, keyPath } from '../schema-errors.js';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(join(packageRoot, 'grammar/scenario.schema.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, inlineRefs: false });
    ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

export type Checked = { ok: true; scenario: Scenario } | { ok: false; problems: string[] };

export interface CheckOptions {
  /** A scenario with nothing to check is fine when its snapshot is about to be written. */
  updating?: boolean;
}

/** Checks parsed JSON as a scenario; the problems name each key that is wrong and how. */
export function checkScenario(data: unknown, options: CheckOptions = {}): Checked {
  const validate = validator();
  if (!validate(data)) return { ok: false, problems: explainErrors([...(validate.errors ?? [])], data) };
  const scenario = data as Scenario;
  const problems = callScriptProblems(scenario.call ?? {}).map((p) => `call.${p}`);
  (scenario.expect ?? []).forEach((step, i) => problems.push(...checkStep(step, `expect[${i}]`)));
  if (!problems.length && !scenario.pending && !options.updating && !scenario.expect?.length && !scenario.snapshot) {
    problems.push('nothing to check: add "expect" steps, or run didml test --update to record a snapshot of the call');
  }
  return problems.length ? { ok: false, problems } : { ok: true, scenario };
}

function checkStep(step: Step, where: string): string[] {
  const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
  if (kinds.length !== 1) {
    const found = kinds.length ? `found ${kinds.join(' and ')}` : 'found none';
    return [`${where}: a step needs exactly one of ${STEP_KINDS.join(', ')} (${found})`];
  }
  const problems: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o['regex'] === 'string' && Object.keys(o).every((k) => k === 'regex' || k === 'flags')) {
      try {
        new RegExp(o['regex'], typeof o['flags'] === 'string' ? o['flags'] : '');
      } catch (e) {
        problems.push(`${path}.regex: not a valid regular expression (${(e as Error).message})`);
      }
      return;
    }
    for (const [k, x] of Object.entries(o)) walk(x, `${path}${keyPath(k)}`);
  };
  walk(step[kinds[0]!], `${where}${keyPath(kinds[0]!)}`);
  return problems;
}
