// Reports of a run of scenarios, one function per format, picked by name: `stylish` for a person
// at a terminal, `json` for tools, `junit` for CI dashboards. A failure reads the same everywhere:
// the step, what was expected, what happened, and the transcript around it.
import { dirname } from 'node:path';
import type { Failure } from './match.js';
import { displayPath, type ScenarioResult, type SuiteResult } from './runner.js';

export const TEST_FORMATS = ['stylish', 'json', 'junit'] as const;
export type TestFormat = (typeof TEST_FORMATS)[number];

/** One failure as text, indented by `indent` spaces. */
export function formatFailure(f: Failure, indent = 0): string {
  const pad = ' '.repeat(indent);
  const lines = [`${pad}${f.title}`, ...(f.expected ? [`${pad}  expected: ${f.expected}`] : []), `${pad}  happened: ${f.happened}`];
  if (f.excerpt.length) lines.push(`${pad}  transcript:`, ...f.excerpt.map((l) => `${pad}    ${l}`));
  return lines.join('\n');
}

export interface Counts {
  scenarios: number;
  passed: number;
  failed: number;
  invalid: number;
  pending: number;
}

export function counts(results: readonly ScenarioResult[]): Counts {
  const c: Counts = { scenarios: results.length, passed: 0, failed: 0, invalid: 0, pending: 0 };
  for (const r of results) c[r.status]++;
  return c;
}

const where = (r: ScenarioResult) => (r.file ? displayPath(r.file) : r.name);
const callTime = (r: ScenarioResult) => (r.summary ? `${r.summary.duration} s of call` : '');

function stylish(suite: SuiteResult, color: boolean): string {
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[39m` : s);
  const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[22m` : s);
  const out: string[] = [];
  for (const r of suite.results) {
    const head = `${where(r)}${r.file && r.name !== nameFromFile(r.file) ? `  ${r.name}` : ''}`;
    switch (r.status) {
      case 'passed':
        out.push(`${paint(32, '✓')} ${head}  ${dim(`${r.steps} step${r.steps === 1 ? '' : 's'}, ${callTime(r)}${r.updated ? ', snapshot written' : ''}`)}`);
        break;
      case 'pending':
        out.push(`${paint(33, '-')} ${head}  ${dim(`pending: ${r.pending ?? ''}`)}`);
        break;
      case 'invalid':
        out.push(`${paint(31, '!')} ${head}  ${paint(31, 'invalid scenario')}`, ...r.problems.map((p) => `    ${p}`));
        break;
      case 'failed':
        out.push(`${paint(31, '✗')} ${head}${r.updated ? `  ${dim('(snapshot written)')}` : ''}`, ...r.failures.map((f) => formatFailure(f, 4)));
        break;
    }
  }
  const c = counts(suite.results);
  const parts = [`${c.passed} passed`, c.failed && paint(31, `${c.failed} failed`), c.invalid && paint(31, `${c.invalid} invalid`), c.pending && paint(33, `${c.pending} pending`)].filter(Boolean);
  out.push('', `${c.scenarios} scenario${c.scenarios === 1 ? '' : 's'}: ${parts.join(', ')} (${Math.round(suite.ms)} ms)`);
  return out.join('\n') + '\n';
}

const nameFromFile = (file: string) => file.replace(/^.*[\\/]/, '').replace(/\.call\.json$/, '');

function json(suite: SuiteResult): string {
  const results = suite.results.map((r) => ({
    ...(r.file ? { file: r.file } : {}),
    name: r.name,
    status: r.status,
    steps: r.steps,
    ...(r.summary ? { call: { status: r.summary.status, duration: r.summary.duration, reason: r.summary.reason } } : {}),
    ...(r.problems.length ? { problems: r.problems } : {}),
    ...(r.failures.length ? { failures: r.failures } : {}),
    ...(r.pending ? { pending: r.pending } : {}),
    ...(r.updated ? { updated: true } : {}),
  }));
  return JSON.stringify({ summary: { ...counts(suite.results), ms: Math.round(suite.ms) }, results }, null, 2) + '\n';
}

const xml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

function junit(suite: SuiteResult): string {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of suite.results) {
    const g = r.file ? dirname(displayPath(r.file)) : '.';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(r);
  }
  const c = counts(suite.results);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="didml test" tests="${c.scenarios}" failures="${c.failed}" errors="${c.invalid}" skipped="${c.pending}" time="${(suite.ms / 1000).toFixed(3)}">`,
  ];
  for (const [group, rs] of groups) {
    const g = counts(rs);
    const time = rs.reduce((t, r) => t + r.ms, 0) / 1000;
    out.push(`  <testsuite name="${xml(group)}" tests="${g.scenarios}" failures="${g.failed}" errors="${g.invalid}" skipped="${g.pending}" time="${time.toFixed(3)}">`);
    for (const r of rs) {
      const open = `    <testcase classname="${xml(r.file ? displayPath(r.file) : group)}" name="${xml(r.name)}" time="${(r.ms / 1000).toFixed(3)}"`;
      if (r.status === 'passed') out.push(`${open}/>`);
      else if (r.status === 'pending') out.push(`${open}>`, `      <skipped message="${xml(r.pending ?? '')}"/>`, '    </testcase>');
      else if (r.status === 'invalid') out.push(`${open}>`, `      <error message="invalid scenario" type="invalid">${xml(r.problems.join('\n'))}</error>`, '    </testcase>');
      else {
        const text = r.failures.map((f) => formatFailure(f)).join('\n\n');
        out.push(`${open}>`, `      <failure message="${xml(r.failures[0]?.title ?? 'failed')}" type="expectation">${xml(text)}</failure>`, '    </testcase>');
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

export function formatSuite(suite: SuiteResult, format: TestFormat, color = false): string {
  return format === 'json' ? json(suite) : format === 'junit' ? junit(suite) : stylish(suite, color);
}
