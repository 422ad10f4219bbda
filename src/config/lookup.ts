// Which config applies to a file, ESLint flat-config style: the nearest didml.config.json (or
// package.json with a "didml" key) from the file's folder upwards, alone. Configs further up
// are not merged in, so what a folder's config says is all there is to read. `--config <file>`
// names one config for every file; `--no-config` uses none.
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { CONFIG_FILE, ConfigError, readConfigFile, type LintConfig, type LintSettings, type RuleSetting, type Strictness } from './load.js';
import type { DialectName } from '../types.js';

/** The settings in force for one file, and where they came from. */
export interface ResolvedConfig {
  file: string;
  /** The config file that applies, or null for none. */
  configFile: string | null;
  /** An `ignores` pattern matched: the file is not linted. */
  ignoredBy?: string;
  dialect?: DialectName | 'auto';
  strictness?: Strictness;
  maxBytes?: number;
  rules: Record<string, RuleSetting>;
  reportUnusedDisableDirectives?: RuleSetting;
  /** The `overrides` entries that matched, by index. */
  overrides: number[];
}

// picomatch's own semantics (as ESLint's flat config uses minimatch's): `*.xml` is this folder
// only, `**/*.xml` any folder below; dot files match as any other.
const GLOB = { dot: true } as const;
const matchers = new Map<string, (path: string) => boolean>();
const matcher = (glob: string) => {
  let m = matchers.get(glob);
  if (!m) matchers.set(glob, (m = picomatch(glob.replace(/^\.\//, ''), GLOB)));
  return m;
};

/** The file, or a folder it is in, matches the glob (`vendor` ignores all of vendor/). */
function matches(glob: string, rel: string): boolean {
  const test = matcher(glob.replace(/\/+$/, ''));
  if (test(rel)) return true;
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) if (test(parts.slice(0, i).join('/'))) return true;
  return false;
}

interface Cached {
  mtimeMs: number;
  size: number;
  config: LintConfig | undefined;
}

export class ConfigLookup {
  /** Parsed files by path, kept while their size and time stay the same (an editor's server lives long). */
  private readonly files = new Map<string, Cached>();

  /** `config`: a file every document uses, false for none, undefined to look one up per document. */
  constructor(private readonly config?: string | false) {}

  private read(file: string, dir: string): LintConfig | undefined {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) return undefined;
    const cached = this.files.get(file);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.config;
    const config = readConfigFile(file, dir);
    this.files.set(file, { mtimeMs: st.mtimeMs, size: st.size, config });
    return config;
  }

  /** The config for files in `dir` (absolute), or undefined. Throws ConfigError for a bad one. */
  configFor(dir: string): LintConfig | undefined {
    if (this.config === false) return undefined;
    if (this.config !== undefined) {
      const file = resolve(this.config);
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) return readConfigFile(file, dirname(file)); // says "no such file"
      const named = this.read(file, dirname(file));
      if (!named) throw new ConfigError(`${file}: has no "didml" key (give a didml.config.json, or a package.json with one)`);
      return named;
    }
    for (let at = dir; ; at = dirname(at)) {
      const found = this.read(join(at, CONFIG_FILE), at) ?? this.read(join(at, 'package.json'), at);
      if (found) return found;
      if (dirname(at) === at) return undefined;
    }
  }

  /** The settings for one file (a path as given, or `<stdin>`: the working folder's). */
  resolve(file: string): ResolvedConfig {
    const abs = file === '<stdin>' ? join(resolve('.'), '<stdin>') : resolve(file);
    const config = this.configFor(dirname(abs));
    if (!config) return { file, configFile: null, rules: {}, overrides: [] };
    const rel = relative(config.dir, abs).split(sep).join('/');
    // A file outside the config's folder (--config elsewhere), or standard input (no name to
    // match): the globs do not reach it, only the top-level settings apply.
    const inside = file !== '<stdin>' && !rel.startsWith('../') && rel !== '..';
    const out: ResolvedConfig = { file, configFile: config.file, rules: {}, overrides: [] };
    const ignoredBy = inside ? config.ignores.find((g) => matches(g, rel)) : undefined;
    if (ignoredBy !== undefined) out.ignoredBy = ignoredBy;
    apply(out, config);
    config.overrides.forEach((o, i) => {
      if (inside && o.files.some((g) => matches(g, rel))) {
        apply(out, o);
        out.overrides.push(i);
      }
    });
    return out;
  }
}

function apply(out: ResolvedConfig, s: LintSettings): void {
  if (s.dialect !== undefined) out.dialect = s.dialect;
  if (s.strictness !== undefined) out.strictness = s.strictness;
  if (s.maxBytes !== undefined) out.maxBytes = s.maxBytes;
  if (s.reportUnusedDisableDirectives !== undefined) out.reportUnusedDisableDirectives = s.reportUnusedDisableDirectives;
  if (s.rules) Object.assign(out.rules, s.rules);
}
