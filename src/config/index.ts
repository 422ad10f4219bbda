// didml.config.json: finding it, reading it, and what it means for lint options.
import type { LintOptions } from '../validate/lint.js';
import type { ResolvedConfig } from './lookup.js';

export { ConfigLookup, type ResolvedConfig } from './lookup.js';
export { appDefaults, type AppDefaults } from './apps.js';
export { ConfigError, CONFIG_FILE, SCHEMA_FILE, knownRuleIds, readConfigFile, type LintConfig, type RuleSetting, type Strictness } from './load.js';

/** The lint options a resolved config gives (`base` holds what it does not set). */
export function lintOptionsOf(c: ResolvedConfig, base: LintOptions = {}): LintOptions {
  const out: LintOptions = { ...base };
  if (c.dialect !== undefined) out.dialect = c.dialect;
  if (c.strictness !== undefined) {
    out.strict = c.strictness === 'strict';
    out.lenient = c.strictness === 'lenient';
  }
  if (c.maxBytes !== undefined) out.maxBytes = c.maxBytes;
  if (Object.keys(c.rules).length) out.severities = { ...base.severities, ...c.rules };
  if (c.reportUnusedDisableDirectives !== undefined) out.reportUnusedDirectives = c.reportUnusedDisableDirectives;
  return out;
}
