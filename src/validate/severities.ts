// Rule severities set by a config: a rule turned off reports nothing, any other setting replaces
// the severity of each of its reports. `xml/*` sets every xml/ rule; a rule named on its own wins.
import type { Diagnostic, Severity } from '../types.js';

export type Severities = Readonly<Record<string, Severity | 'off'>>;

export function settingOf(severities: Severities, rule: string): Severity | 'off' | undefined {
  return Object.hasOwn(severities, rule) ? severities[rule] : rule.startsWith('xml/') && Object.hasOwn(severities, 'xml/*') ? severities['xml/*'] : undefined;
}

export function applySeverities(diagnostics: readonly Diagnostic[], severities: Severities): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const s = settingOf(severities, d.rule);
    if (s === 'off') continue;
    out.push(s === undefined || s === d.severity ? d : { ...d, severity: s });
  }
  return out;
}
