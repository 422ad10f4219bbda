// `didml test [paths...]`: every call-flow scenario (*.call.json) below the paths, run on the mock
// backend in virtual time. Exit 0 when all pass, 1 when one fails, 2 for bad usage, a path with
// no scenario, or an invalid scenario. The runner is loaded when the command runs, so that
// `didml lint` does not pay for it at start.
import { Command, Option } from 'commander';
import type { Io } from './main.js';

const FORMATS = ['stylish', 'json', 'junit'] as const;

export function testCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('test')
    .description('run call-flow scenarios (*.call.json) against their apps on the mock backend, in virtual time')
    // An added command does not inherit these: a bad option value must reach main() (exit 2).
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .argument('[paths...]', 'scenario files, or folders (every *.call.json below them)', [])
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('stylish'))
    .option('-u, --update', "write each call's transcript into its scenario as \"snapshot\"", false)
    .option('--no-config', "run the apps' documents without the dialect and strictness of their folder's didml.config.json")
    .action(async (paths: string[], o: { format: (typeof FORMATS)[number]; update: boolean; config: boolean }) => {
      const [{ runScenarios }, { formatSuite, counts }] = await Promise.all([import('../testing/runner.js'), import('../testing/report.js')]);
      const suite = await runScenarios(paths.length ? paths : ['.'], { update: o.update, ...(o.config ? {} : { configs: false as const }) });
      io.out(formatSuite(suite, o.format, io.color && o.format === 'stylish'));
      for (const p of suite.problems) io.err(`didml test: ${p}\n`);
      const c = counts(suite.results);
      setExit(suite.problems.length || c.invalid ? 2 : c.failed ? 1 : 0);
    });
}
