// `didml serve`: the long-running runtime, until SIGINT or SIGTERM. Loaded when the command
// runs, so that `didml lint` does not pay for the runtime at start.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Io } from './main.js';
import { appDefaults, ConfigLookup } from '../config/index.js';
import { describeDefaults } from './call.js';

interface ServeOptions {
  app?: string;
  adapter?: 'mock' | 'drachtio';
  config?: string;
  host?: string;
  port?: number;
  authToken?: string;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number, 0 to 65535');
  return n;
};

export function serveCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('serve')
    .description('run the webhook runtime: take calls from a backend and run the app for each')
    // An added command does not inherit these: a bad option value must reach main() (exit 2).
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .option('--app <url>', 'the app: URL, folder of XML documents or file (overrides the config)')
    .addOption(new Option('--adapter <name>', 'the telephony backend').choices(['mock', 'drachtio']))
    .option('--config <file>', 'a JSON configuration (schema: grammar/config.schema.json)')
    .option('--host <address>', 'address of the control server (default 127.0.0.1)')
    .option('--port <n>', 'port of the control server (default 3000; 0 picks one)', port)
    .option('--auth-token <token>', 'sign webhooks with X-Twilio-Signature (default: $DIDML_AUTH_TOKEN)')
    .action(async (o: ServeOptions) => {
      const { checkConfig, loadConfigFile } = await import('../server/config.js');
      const { startRuntime } = await import('../server/runtime.js');
      const { locateApp } = await import('../runtime/simulate.js');
      let config;
      const roots: Record<string, string> = {};
      try {
        const raw = (o.config ? loadConfigFile(o.config) : {}) as Record<string, Record<string, unknown> | undefined>;
        const given = raw['app'] ?? (raw['apps'] === undefined || o.app ? {} : undefined);
        const app = given && { ...given, ...(o.app ? { url: o.app } : {}) };
        if (app && app['url'] === undefined) throw new InvalidArgumentError('give the app with --app <url> or in the config file (app, or apps for an app per number)');
        // The lint config of each app's folder (the working folder's for a URL) gives the
        // dialect and strictness its documents run with, where the app does not say.
        const configs = new ConfigLookup();
        const withDefaults = (a: Record<string, unknown>) => {
          const d = appDefaults(a['url'] as string, configs);
          if (!d) return a;
          io.err(`didml serve: ${String(a['url'])}: ${describeDefaults(d)}\n`);
          return { ...(d.dialect ? { dialect: d.dialect } : {}), ...(d.strictness ? { strictness: d.strictness } : {}), ...a };
        };
        // Folders become app://<name>/ URLs; the runtime serves each from its own folder.
        const locate = (given: Record<string, unknown>, key: string) => {
          if (typeof given['url'] !== 'string') return given;
          const a = withDefaults(given);
          const where = locateApp(given['url']);
          if (where.root) {
            const label = new URL(where.url).hostname;
            if (roots[label] !== undefined && roots[label] !== where.root) throw new InvalidArgumentError(`${key}: two folder apps are both named "${label}" (${roots[label]} and ${where.root}); rename one folder`);
            roots[label] = where.root;
          }
          return { ...a, url: where.url };
        };
        const apps = raw['apps'] && Object.fromEntries(Object.entries(raw['apps']).map(([k, a]) => [k, locate(a as Record<string, unknown>, `apps["${k}"]`)]));
        const authToken = o.authToken ?? process.env['DIDML_AUTH_TOKEN'];
        // The largest document: the runtime's webhook.maxBytes, else the working folder's lint config.
        const here = configs.configFor(process.cwd());
        const lintMaxBytes = raw['webhook']?.['maxBytes'] === undefined ? here?.maxBytes : undefined;
        if (lintMaxBytes !== undefined) io.err(`didml serve: webhook.maxBytes ${lintMaxBytes}, from ${here!.file}\n`);
        config = checkConfig(
          {
            ...raw,
            ...(app ? { app: locate(app, 'app') } : {}),
            ...(apps ? { apps } : {}),
            ...(o.adapter ? { adapter: o.adapter } : {}),
            http: { ...raw['http'], ...(o.host ? { host: o.host } : {}), ...(o.port !== undefined ? { port: o.port } : {}) },
            ...(lintMaxBytes !== undefined ? { webhook: { ...raw['webhook'], maxBytes: lintMaxBytes } } : {}),
            ...(authToken ? { authToken } : {}),
          },
          o.config ?? 'options',
        );
      } catch (e) {
        io.err(`didml serve: ${(e as Error).message}\n`);
        setExit(2);
        return;
      }
      try {
        const { createLogger } = await import('../log.js');
        const log = createLogger({ level: config.log.level });
        // The drachtio backend (and drachtio-srf with it) loads only when it is asked for.
        const adapter =
          config.adapter === 'drachtio' && config.drachtio
            ? (await import('../telephony/drachtio/index.js')).createDrachtioAdapter({
                config: config.drachtio,
                log: log.child({ adapter: 'drachtio' }),
                // <Connect><Stream> websockets follow the webhooks' host rules.
                hosts: (await import('../server/runtime.js')).configuredHostPolicy(config),
              })
            : undefined;
        const runtime = await startRuntime(config, { log, appRoots: roots, ...(adapter ? { adapter } : {}) });
        io.err(`didml: runtime on ${runtime.url} (GET /health, Twilio's Calls API at /2010-04-01/Accounts/…/Calls.json${adapter ? '' : ', POST /calls'}); Ctrl-C stops it\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void runtime.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        setExit(0);
      } catch (e) {
        io.err(`didml serve: ${(e as Error).message}\n`);
        setExit(2);
      }
    });
}
