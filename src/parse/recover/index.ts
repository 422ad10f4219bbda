// Every recovery from malformed XML, one file each. A destructive one stops the pass and edits
// the working copy (saxes' own recovery would lose the rest of the document); the others only
// report what saxes already got right.
import type { RecoveryMeta } from './types.js';
import { duplicateDeclarationMeta } from './duplicateDeclaration.js';
import { leadingWhitespaceMeta } from './leadingWhitespace.js';
import { mismatchedCloseTagMeta } from './mismatchedCloseTag.js';
import { missingRootMeta } from './missingRoot.js';
import { emptyMeta, notXmlMeta } from './notXml.js';
import { selfClosingEndTagMeta } from './selfClosingEndTag.js';
import { smartQuotesMeta } from './smartQuotes.js';
import { strayCloseTagMeta } from './strayCloseTag.js';
import { unclosedTagMeta } from './unclosedTag.js';
import { unescapedAmpersandMeta } from './unescapedAmpersand.js';
import { unfinishedCloseTagMeta } from './unfinishedCloseTag.js';
import { unquotedAttributeMeta } from './unquotedAttribute.js';

export const recoveries: readonly RecoveryMeta[] = [
  mismatchedCloseTagMeta,
  strayCloseTagMeta,
  unclosedTagMeta,
  unfinishedCloseTagMeta,
  selfClosingEndTagMeta,
  unescapedAmpersandMeta,
  unquotedAttributeMeta,
  smartQuotesMeta,
  leadingWhitespaceMeta,
  duplicateDeclarationMeta,
  missingRootMeta,
  notXmlMeta,
  emptyMeta,
];

export type { Draft, Outcome, RecoveryMeta } from './types.js';
export { XML_PARSE_ERROR } from './types.js';
export { duplicateDeclaration } from './duplicateDeclaration.js';
export { leadingWhitespace } from './leadingWhitespace.js';
export { mismatchedCloseTag, type MismatchedClose } from './mismatchedCloseTag.js';
export { missingRoot, type TopText } from './missingRoot.js';
export { empty, notXml } from './notXml.js';
export { findSelfClosingEndTag, selfClosingEndTag } from './selfClosingEndTag.js';
export { isTypographicQuote, smartQuotes } from './smartQuotes.js';
export { strayCloseTag } from './strayCloseTag.js';
export { unclosedTag } from './unclosedTag.js';
export { unfinishedCloseTag } from './unfinishedCloseTag.js';
export { ampersandAt, bareAmpersands, findBareAmpersand, isBareAmpersand, unescapedAmpersand } from './unescapedAmpersand.js';
export { unquotedAttribute, unquotedBeforeSlash } from './unquotedAttribute.js';
