import { main } from './main.js';

// The executable's entry: real stdout/stderr, colour only on a terminal that wants it.
const color = Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
const code = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color,
});
process.exitCode = code;
