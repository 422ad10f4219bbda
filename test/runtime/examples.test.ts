// Every bundled example app runs to its end without an error: they are what a new user tries
// first (the README's quick start runs examples/ivr).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulateCall } from '../../src/runtime/simulate.js';
import { lint } from '../../src/validate/lint.js';
import { readFileSync } from 'node:fs';

const examples = join(import.meta.dirname, '../../examples');
const apps = readdirSync(examples, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

describe('bundled examples', () => {
  it('are there', () => {
    expect(apps).toEqual(expect.arrayContaining(['ivr', 'didforsale-forward', 'synthflow-redirect', 'polyai-handoff', 'voicemail', 'ai-agent-stream']));
  });

  it.each(apps)('%s runs to its end with no failure', async (app) => {
    const { summary, events } = await simulateCall({ app: join(examples, app), call: { caller: [{ digits: '1' }, { record: 5, digits: '*' }] } });
    expect(summary.errors).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'completed' });
    // Every document the call asked for exists in the folder.
    for (const e of events.filter((e) => e.type === 'webhook')) expect(e['status']).toBe(200);
  });

  it.each(apps)('%s lints without errors', (app) => {
    for (const f of readdirSync(join(examples, app), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.xml'))) {
      const errors = lint(readFileSync(join(examples, app, f))).diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => `${app}/${f}:${d.line}:${d.column} ${d.message}`)).toEqual([]);
    }
  });
});
