export { Session, runCall, APPLICATION_ERROR, type AppConfig, type SessionOptions, type CallSummary, type StatusEvent } from './session.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { randomIds, sequentialIds, type IdGenerator } from '../ids.js';
export { verbs } from './verbs/index.js';
export type { RuntimeEvent, TimedEvent, EventSink } from './events.js';
