import { createRequire } from 'node:module';
import type { Fix } from '../../types.js';
import { rules } from '../rules/index.js';
import type { FileReport, Formatter } from './types.js';

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), the format
// GitHub code scanning and most CI dashboards read. Columns are UTF-16 code units, SARIF's default.
const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

const encode = (segments: readonly string[]) => segments.map(encodeURIComponent).join('/');

/**
 * Where a file is: inside the working folder, a relative reference under %SRCROOT% (what code
 * scanning resolves against the checkout); anywhere else an absolute file: URI, since a relative
 * reference that starts with a slash does not combine with a base (SARIF §3.4.4, validator
 * rule SARIF1004). The formatter is given the working folder: it does no I/O of its own.
 */
function artifactLocation(file: string, cwd: string | undefined): { uri: string; uriBaseId?: string } {
  if (file === '<stdin>') return { uri: 'stdin' };
  const segments = file.split(/[\\/]/);
  const absolute = file.startsWith('/') || file.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(file);
  if (!absolute && !segments.includes('..')) return { uri: encode(segments.filter((s) => s !== '.' && s !== '')), uriBaseId: SRCROOT };
  const root = cwd?.split(/[\\/]/).filter((s) => s !== '');
  const full = absolute ? segments : [...(root ?? []), ...segments];
  // Made absolute and normalized: `..` and `.` resolved, as a file: URI path has them.
  const parts: string[] = [];
  for (const s of full.slice(absolute && /^[A-Za-z]:$/.test(full[0] ?? '') ? 1 : 0)) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  const drive = /^([A-Za-z]:)$/.exec(full[0] ?? '')?.[1];
  if (root && !drive) {
    const inside = root.length <= parts.length && root.every((r, i) => r === parts[i]);
    if (inside && parts.length > root.length) return { uri: encode(parts.slice(root.length)), uriBaseId: SRCROOT };
  }
  return { uri: `file:///${drive ? `${drive}/` : ''}${encode(parts)}` };
}

const SRCROOT = '%SRCROOT%';

function sarifFix(fix: Fix, location: ReturnType<typeof artifactLocation>) {
  return {
    description: { text: fix.description },
    artifactChanges: [
      {
        artifactLocation: location,
        replacements: fix.edits.map((e) => ({
          deletedRegion: { charOffset: e.start, charLength: e.end - e.start },
          insertedContent: { text: e.text },
        })),
      },
    ],
  };
}

/** SARIF with paths relative to `cwd` (the working folder: where relative paths start). */
export const sarifIn =
  (cwd: string): Formatter =>
  (reports) => {
  const locations = new Map(reports.map((r) => [r.file, artifactLocation(r.file, cwd)]));
  const descriptions = new Map(rules.map((r) => [r.id, r.description]));
  const ids = [...new Set(reports.flatMap((r) => r.diagnostics.map((d) => d.rule)))].sort();
  return (
    JSON.stringify(
      {
        $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
        version: '2.1.0',
        runs: [
          {
            tool: {
              driver: {
                name: 'didml',
                version,
                informationUri: 'https://github.com/didml/didml',
                rules: ids.map((id) => ({ id, shortDescription: { text: descriptions.get(id) ?? id } })),
              },
            },
            columnKind: 'utf16CodeUnits',
            results: reports.flatMap((r) =>
              r.diagnostics.map((d) => ({
                ruleId: d.rule,
                level: LEVEL[d.severity],
                message: { text: d.message },
                ...(d.code ? { properties: { twilioCode: d.code } } : {}),
                locations: [
                  {
                    physicalLocation: {
                      artifactLocation: locations.get(r.file)!,
                      region: { startLine: d.line, startColumn: d.column, endLine: d.endLine, endColumn: d.endColumn },
                    },
                  },
                ],
                ...(d.fix ? { fixes: [sarifFix(d.fix, locations.get(r.file)!)] } : {}),
              })),
            ),
          },
        ],
      },
      null,
      2,
    ) + '\n'
  );
};

export const sarif: Formatter = (reports) => sarifIn(process.cwd())(reports);
