// A bad option value is bad usage for every command: its message on standard error and exit 2,
// through main(), never the process ended by commander (an added command does not inherit the
// program's exitOverride).
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
}

describe('bad option values', () => {
  it.each([
    [['test', '--format', 'bogus'], /argument 'bogus' is invalid/],
    [['serve', '--adapter', 'bogus'], /argument 'bogus' is invalid/],
    [['call', 'app', '--callee', 'bogus'], /argument 'bogus' is invalid/],
    [['lint', '--format', 'bogus'], /argument 'bogus' is invalid/],
  ])('%j: exit 2 with the message', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
