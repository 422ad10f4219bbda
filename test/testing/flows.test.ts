// The call-flow suite (fixtures/flows): every scenario runs through the runner as `didml test`
// runs it, one test per scenario, and must pass. A failure shows the runner's own report.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientPool, findScenarios, runScenarioFile, runScenarios, formatFailure } from '../../src/testing/index.js';

const root = join(import.meta.dirname, '../../fixtures/flows');
const { files, problems } = findScenarios([root]);
const clients = new ClientPool();
afterAll(() => clients.close());

describe('fixtures/flows', () => {
  it('holds a scenario suite for every seed and common flow', () => {
    expect(problems).toEqual([]);
    const folders = new Set(files.map((f) => f.slice(root.length + 1).split('/')[0]));
    expect([...folders].sort()).toEqual(['call-screening', 'conference', 'didforsale-sip', 'forwarding', 'hangup-on-star', 'ivr', 'outbound', 'polyai', 'queue', 'sigmamind', 'slow-app', 'synthflow', 'updates', 'vida', 'voicemail']);
  });

  for (const file of files) {
    const name = file.slice(root.length + 1);
    it(name, async (ctx) => {
      const r = await runScenarioFile(file, { clients });
      if (r.status === 'pending') {
        // Shown as skipped with its reason, never as passed; it must still be a valid scenario.
        expect(r.pending).toMatch(/\S{10}/);
        ctx.skip(`pending: ${r.pending}`);
      }
      const report = [...r.problems, ...r.failures.map((f) => formatFailure(f))].join('\n');
      expect(r.status, `${name}\n${report}`).toBe('passed');
      expect(r.steps, 'a scenario that checks nothing').toBeGreaterThan(0);
    });
  }

  it('gives the same transcript every run, one scenario at a time or sixteen at once (virtual time, ids from counters)', async () => {
    const alone = await runScenarios([root], { concurrency: 1 });
    const together = await runScenarios([root], { concurrency: 16 });
    const lines = (s: typeof alone) => s.results.map((r) => [r.file, r.snapshot]);
    expect(alone.results.length).toBe(files.length);
    expect(lines(together)).toEqual(lines(alone));
  });
});
