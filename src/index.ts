// didml's public API.
export type * from './types.js';
export { parse, parseStream, type ParseOptions } from './parse/index.js';
export { lint, lintStream, lintDocument, type LintOptions, type LintResult } from './validate/lint.js';
export { applyFixes, lintAndFix, type FixResult } from './validate/fix.js';
export { detectDialect } from './validate/dialect.js';
export { rules } from './validate/rules/index.js';
export type { Rule, RuleContext } from './validate/rules/rule.js';
export { formatter, FORMATS, type FormatName, type FileReport } from './validate/formatters/index.js';
export { formatDocument } from './format/fmt.js';
export { DIALECTS, loadGrammar, loadDocumentSchema, type Grammar, type ElementDef, type AttributeSchema, type Projected } from './grammar/index.js';
export { toXsd } from './grammar/xsd.js';
export { parseSipUri, isSipUriError, type SipUri, type SipHeader } from './sip/uri.js';
export { isE164 } from './sip/e164.js';
