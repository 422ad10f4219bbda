// A scenario: one call against an app, and what must happen on it. Plain JSON (`*.call.json`),
// checked against grammar/scenario.schema.json; the call is the mock backend's own script format
// (src/telephony/mock/script.ts), with how the runtime places it and updates it (`outbound`,
// `updates`: src/runtime/simulate.ts), so the same data drives `didml test`, `didml serve`'s
// POST /calls and `simulateCall`.
import type { CallScript } from '../runtime/simulate.js';
import type { AppConfig } from '../runtime/session.js';
import type { Latency } from '../webhook/latency.js';

/** Text to match: a string is compared exactly; or a substring, or a regular expression. */
export type TextMatcher = string | number | boolean | { contains: string } | { regex: string; flags?: string };

/** A value to match; `null` means the field must be absent. */
export type ValueMatcher = TextMatcher | null;

/** Fields to match: every one listed must match, others may be there too. */
export type Fields = Record<string, ValueMatcher>;

/** Anything a transcript event holds: values, lists (element by element), objects (field by field). */
export type Pattern = ValueMatcher | Pattern[] | { [field: string]: Pattern };

/** The app as a scenario names it: the runtime's AppConfig, plus where a folder or module app starts. */
export interface AppSpec extends AppConfig {
  /** A folder, an XML file in one, a .js/.mjs module (in-process handler), or an http(s) URL. */
  url: string;
  /** The first request's path inside a folder or module app. */
  path?: string;
  /** Seconds each document request takes, by path (`/menu`), `*` for any other (src/webhook/latency.ts). */
  latency?: Latency;
}

/** The step kinds, each the name of what it matches (see kinds.ts). */
export const STEP_KINDS = [
  'outbound',
  'say',
  'play',
  'pause',
  'gather',
  'record',
  'dial',
  'refer',
  'webhook',
  'redirect',
  'sms',
  'conference',
  'enqueue',
  'hangup',
  'reject',
  'error',
  'warning',
  'status',
  'stream',
  'fork',
  'agent',
  'event',
] as const;

export type StepKind = (typeof STEP_KINDS)[number];

export interface StepModifiers {
  /** Somewhere after the previous step, not necessarily the next event of its kind. */
  later?: boolean;
  /** No such event after the previous step (the position does not move). */
  not?: boolean;
  /** Seconds of call time at which it happened (for a step that takes time: when it began). */
  at?: number;
  /** Why the step matters; shown when it fails. */
  note?: string;
  /** Whose side: the caller's (default), or a screened callee's (`<Number url>` events carry their leg). */
  on?: 'caller' | 'callee';
}

export type Step = StepModifiers & { [K in StepKind]?: unknown };

export interface Scenario {
  $schema?: string;
  name?: string;
  description?: string;
  app: string | AppSpec;
  call?: CallScript;
  authToken?: string;
  pending?: string;
  expect?: Step[];
  snapshot?: string[];
}

/** The one kind key of a step (validation guarantees there is exactly one). */
export function kindOf(step: Step): StepKind {
  for (const k of STEP_KINDS) if (step[k] !== undefined) return k;
  throw new Error('a step without a kind (the scenario was not validated)');
}
