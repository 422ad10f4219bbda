import { styleText } from 'node:util';
import { counts, type FileReport, type Formatter } from './types.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** ESLint's "stylish": a block per file, a line per problem, a total. */
export function stylish(color: boolean): Formatter {
  const paint = (style: Parameters<typeof styleText>[0], s: string) => (color ? styleText(style, s) : s);
  const SEVERITY = { error: paint('red', 'error'), warning: paint('yellow', 'warning'), info: paint('cyan', 'info') };
  return (reports) => {
    const out: string[] = [];
    for (const r of reports) {
      if (!r.diagnostics.length) continue;
      const how = r.dialectReason ? `${r.dialect}: ${r.dialectReason}` : r.dialect;
      out.push('', `${paint('underline', r.file)}  ${paint('dim', `(${how})`)}`);
      const width = Math.max(...r.diagnostics.map((d) => `${d.line}:${d.column}`.length));
      for (const d of r.diagnostics) {
        const where = `${d.line}:${d.column}`.padEnd(width);
        const id = d.code ? `${d.rule} (${d.code})` : d.rule;
        const fixable = d.fix ? paint('dim', ' [fixable]') : '';
        out.push(`  ${paint('dim', where)}  ${SEVERITY[d.severity]}  ${d.message}  ${paint('dim', id)}${fixable}`);
      }
    }
    const { errors, warnings, infos } = counts(reports);
    const fixed = reports.reduce((n, r) => n + (r.fixed ?? 0), 0);
    const problems = errors + warnings;
    const summary: string[] = [];
    if (fixed) summary.push(`${plural(fixed, 'fix')} applied`);
    if (problems) {
      summary.push(
        paint(errors ? 'red' : 'yellow', `✖ ${plural(problems, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})`),
      );
    } else {
      summary.push(`✔ ${plural(reports.length, 'file')} checked, no problems`);
    }
    if (infos) summary.push(paint('dim', `${plural(infos, 'note')}`));
    out.push('', summary.join('  '));
    return out.join('\n').replace(/^\n/, '') + '\n';
  };
}
