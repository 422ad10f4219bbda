import type { Formatter } from './types.js';

// GitHub Actions workflow commands:
// https://docs.github.com/en/actions/using-workflows/workflow-commands-for-github-actions
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

export const github: Formatter = (reports) =>
  reports
    .flatMap((r) =>
      r.diagnostics.map((d) => {
        const props = [
          `file=${escapeProperty(r.file)}`,
          `line=${d.line}`,
          `col=${d.column}`,
          `endLine=${d.endLine}`,
          `endColumn=${d.endColumn}`,
          `title=${escapeProperty(`didml ${d.rule}${d.code ? ` (${d.code})` : ''}`)}`,
        ];
        return `::${COMMAND[d.severity]} ${props.join(',')}::${escapeData(d.message)}\n`;
      }),
    )
    .join('');
