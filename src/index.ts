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

// Running calls.
export { Session, runCall, APPLICATION_ERROR, DEFAULT_LIMITS, randomIds, sequentialIds, verbs } from './runtime/index.js';
export type { AppConfig, SessionOptions, CallSummary, StatusEvent, Limits, IdGenerator, RuntimeEvent, TimedEvent, EventSink } from './runtime/index.js';
export { simulateCall, locateApp, type SimulateOptions, type SimulatedCall } from './runtime/simulate.js';
export { startRuntime, type Runtime, type RuntimeOptions } from './server/runtime.js';
export { checkConfig, type ServeConfig } from './server/config.js';
export type * from './telephony/adapter.js';
export { createMockAdapter, type MockAdapter, type MockAdapterOptions, type MockCallScript, type CallerAction, type CalleeBehaviour, type TranscriptEvent } from './telephony/mock/index.js';
// drachtio-srf loads when the adapter starts listening, not on import.
export {
  createDrachtioAdapter,
  type DrachtioAdapter,
  type DrachtioAdapterOptions,
  type DrachtioConfig,
  type MediaEndpoint,
  type MediaServerLink,
  type RegistrationStatus,
} from './telephony/drachtio/index.js';
export { realClock, VirtualClock, type Clock } from './clock.js';
export { DidmlError, isDidmlError, ERROR_CODES, type ErrorCode } from './errors.js';
export { createLogger, type Logger } from './log.js';
export * from './webhook/index.js';
export { parseRoute, routeUri, type Route } from './sip/route.js';
