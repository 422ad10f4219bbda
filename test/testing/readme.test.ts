// The scenario the README shows runs and passes as written (against the Synthflow fixture app).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runScenario } from '../../src/testing/index.js';

const repo = join(import.meta.dirname, '../..');

it('the README\'s example scenario passes', async () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Testing call flows'));
  const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  expect(json).toBeDefined();
  const r = await runScenario({ scenario: JSON.parse(json!), dir: join(repo, 'fixtures/flows/synthflow') });
  expect([...r.problems, ...r.failures.map((f) => f.title)]).toEqual([]);
  expect(r.status).toBe('passed');
  expect(r.steps).toBe(4);
});

it('the README\'s placed-call scenario passes against examples/outbound-reminder', async () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Placed calls and live updates'));
  const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  expect(json).toBeDefined();
  const r = await runScenario({ scenario: JSON.parse(json!), dir: join(repo, 'examples/outbound-reminder') });
  expect([...r.problems, ...r.failures.map((f) => f.title)]).toEqual([]);
  expect(r.status).toBe('passed');
  expect(r.steps).toBe(7);
});
