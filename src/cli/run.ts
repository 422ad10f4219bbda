import { main } from './main.js';

// The executable's entry: real stdout/stderr, colour only on a terminal that wants it.
const color = Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
// A reader that stops early (`didml schema --xsd | head`) closes the pipe: that ends the
// output, it is not a crash to print a stack trace for.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}
const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
let rl: import('node:readline/promises').Interface | undefined;
const code = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color,
  ...(interactive
    ? {
        async ask(question: string) {
          rl ??= (await import('node:readline/promises')).createInterface({ input: process.stdin, output: process.stdout });
          try {
            return await rl.question(question);
          } catch {
            return null; // Ctrl-D
          }
        },
      }
    : {}),
});
rl?.close();
process.exitCode = code;
