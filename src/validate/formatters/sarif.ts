import { createRequire } from 'node:module';
import type { Fix } from '../../types.js';
import { rules } from '../rules/index.js';
import type { FileReport, Formatter } from './types.js';

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), the format
// GitHub code scanning and most CI dashboards read. Columns are UTF-16 code units, SARIF's default.
const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

function artifactUri(file: string): string {
  return file === '<stdin>' ? 'stdin' : file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

function sarifFix(fix: Fix, r: FileReport) {
  return {
    description: { text: fix.description },
    artifactChanges: [
      {
        artifactLocation: { uri: artifactUri(r.file) },
        replacements: fix.edits.map((e) => ({
          deletedRegion: { charOffset: e.start, charLength: e.end - e.start },
          insertedContent: { text: e.text },
        })),
      },
    ],
  };
}

export const sarif: Formatter = (reports) => {
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
                      artifactLocation: { uri: artifactUri(r.file) },
                      region: { startLine: d.line, startColumn: d.column, endLine: d.endLine, endColumn: d.endColumn },
                    },
                  },
                ],
                ...(d.fix ? { fixes: [sarifFix(d.fix, r)] } : {}),
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
