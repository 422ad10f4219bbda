// parse → resolve names → schema → rules: everything `didml lint` reports about one document.
import type { DialectName, Diagnostic, Document, Severity } from '../types.js';
import { parse, parseStream, type ParseOptions } from '../parse/index.js';
import { loadGrammar, type Projected } from '../grammar/index.js';
import { knownTags, lintAuto } from './dialect.js';
import { resolveNames } from './resolve.js';
import { validateSchema } from './schema.js';
import { rules as allRules } from './rules/index.js';
import type { Rule, RuleContext } from './rules/rule.js';
import { diagnostic } from './diagnostic.js';
import { checkTemplate } from './template.js';
import { applySeverities, type Severities } from './severities.js';
import { applyDirectives } from './directives.js';

export interface LintOptions {
  dialect?: DialectName | 'auto';
  /**
   * Every recovery from malformed XML is an error, whatever the dialect. Without it (or
   * `lenient`) the dialect decides: an error where its engine refuses a document that is not
   * well-formed (TwiML, cXML, TeXML, Plivo: 12100), a warning with its fix in DIDML.
   */
  strict?: boolean;
  /** Every recovery is a warning, even in a dialect whose engine would refuse the document. */
  lenient?: boolean;
  maxBytes?: number;
  rules?: readonly Rule[];
  /** The document is a Mustache template (a folder app's, a TwiML Bin); default: it holds a `{{`. */
  template?: boolean;
  /** Severity by rule id from a config (`xml/*` for every xml/ rule); `off` drops the rule's reports. */
  severities?: Severities;
  /** Report didml-disable comments that silenced nothing, at this severity (default off). */
  reportUnusedDirectives?: Severity | 'off';
}

export interface LintResult {
  dialect: DialectName;
  /** Why auto-detection picked the dialect; absent when it was given. */
  dialectReason?: string;
  document: Document;
  diagnostics: Diagnostic[];
  /** The document as the runtime sees it: grammar spellings, typed values, defaults. */
  projected: Projected | null;
}

function parseOptions(options: LintOptions): ParseOptions {
  const dialect = options.dialect && options.dialect !== 'auto' ? options.dialect : undefined;
  // Strictness is decided once the dialect is known (lintDocument), not by the parser.
  return {
    knownTags: knownTags(dialect),
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
  };
}

export function lint(source: string | Uint8Array, options: LintOptions = {}): LintResult {
  return lintDocument(parse(source, parseOptions(options)), options);
}

export async function lintStream(
  input: AsyncIterable<string | Uint8Array> | NodeJS.ReadableStream,
  options: LintOptions = {},
): Promise<LintResult> {
  return lintDocument(await parseStream(input, parseOptions(options)), options);
}

/** A recovery in a dialect whose engine would refuse the document (its fix stays). */
function asError(d: Diagnostic): Diagnostic {
  return d.severity === 'error' ? d : { ...d, severity: 'error' };
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const byPlace = (a: Diagnostic, b: Diagnostic) => a.start - b.start || ORDER[a.severity] - ORDER[b.severity] || a.rule.localeCompare(b.rule);

export function lintDocument(doc: Document, options: LintOptions = {}): LintResult {
  const { severities, reportUnusedDirectives, ...rest } = options;
  // After the dialect is chosen: a rule turned off, or a comment silencing one, must not change
  // which dialect a document is. A rule the config turns off leaves a directive nothing to silence.
  const result = lintInDialect(doc, rest);
  let diagnostics = severities ? applySeverities(result.diagnostics, severities) : result.diagnostics;
  diagnostics = applyDirectives(doc, diagnostics, reportUnusedDirectives ? { reportUnused: reportUnusedDirectives } : {});
  // The directives' own reports, at the config's severity for them.
  if (severities) diagnostics = applySeverities(diagnostics, severities);
  if (diagnostics === result.diagnostics) return result;
  diagnostics.sort(byPlace);
  return { ...result, diagnostics };
}

function lintInDialect(doc: Document, options: LintOptions): LintResult {
  // auto: dialect.ts picks, linting in more than one dialect when the evidence is weak.
  if (!options.dialect || options.dialect === 'auto') return lintAuto(doc, (dialect) => lintInDialect(doc, { ...options, dialect }));
  const chosen = { dialect: options.dialect, reason: undefined };
  const grammar = loadGrammar(chosen.dialect);
  const strict = options.strict || (!options.lenient && grammar.wellFormed === 'required');
  const diagnostics: Diagnostic[] = [...(strict ? doc.diagnostics.map(asError) : doc.diagnostics), ...resolveNames(doc, grammar)];
  diagnostics.push(...checkTemplate(doc, options.template)); // before the checks that ask isTemplate
  const schema = validateSchema(doc, grammar);
  diagnostics.push(...schema.diagnostics);
  for (const rule of options.rules ?? allRules) {
    const ctx: RuleContext = {
      doc,
      grammar,
      dialect: chosen.dialect,
      report: (d) =>
        diagnostics.push(
          diagnostic(doc, { ...d, rule: rule.id, severity: d.severity ?? rule.severity, ...(rule.code && d.code === undefined ? { code: rule.code } : {}) }),
        ),
    };
    rule.check(ctx);
  }
  diagnostics.sort(byPlace);
  return {
    dialect: chosen.dialect,
    ...(chosen.reason ? { dialectReason: chosen.reason } : {}),
    document: doc,
    diagnostics,
    projected: schema.projected,
  };
}
