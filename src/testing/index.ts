// didml/testing: call flows as tests. Scenario files (*.call.json) and the runner behind
// `didml test`, and calls driven step by step from a test suite (Vitest or any other).
export { startCall, TestCall, CallExpectationError } from './call.js';
export type {
  StartCallOptions,
  AppInput,
  TextLike,
  FieldsLike,
  Options as ExpectationOptions,
  SayExpectation,
  GatherExpectation,
  RecordExpectation,
  DialExpectation,
  ReferExpectation,
  StreamExpectation,
  ForkExpectation,
  AgentExpectation,
  WebhookExpectation,
  OutboundExpectation,
} from './call.js';
export type { CallScript, PlacedCall, CallUpdate, CallInstruction } from '../runtime/simulate.js';
export { runScenario, runScenarioFile, runScenarios, findScenarios, judge, resolveApp, ClientPool, SCENARIO_SUFFIX } from './runner.js';
export type { ScenarioResult, ScenarioStatus, SuiteResult, RunOptions, ScenarioSource, ResolvedApp } from './runner.js';
export { checkScenario, type Checked } from './validate.js';
export { matchSteps, describeStep, type Failure, type MatchResult, type MatchOptions } from './match.js';
export { snapshotLines, compareSnapshot } from './snapshot.js';
export { formatFailure, formatSuite, TEST_FORMATS, type TestFormat } from './report.js';
export { STEP_KINDS, type Scenario, type Step, type StepKind, type AppSpec, type TextMatcher, type ValueMatcher, type Pattern } from './scenario.js';
export type { MockCallScript, CallerAction, CalleeBehaviour, TranscriptEvent } from '../telephony/mock/index.js';
export type { WebhookHandler, HandlerRequest, HandlerResult } from '../webhook/handler.js';

import type { TranscriptEvent } from '../telephony/mock/index.js';
import { CallExpectationError } from './call.js';
import { matchSteps } from './match.js';
import { formatFailure } from './report.js';
import type { Step } from './scenario.js';
import { checkScenario } from './validate.js';

/**
 * Checks a finished call's transcript (from `simulateCall`) against scenario steps; throws a
 * CallExpectationError with the report of the first step that fails.
 */
export function expectTranscript(events: readonly TranscriptEvent[], steps: readonly Step[]): void {
  const checked = checkScenario({ app: '.', expect: steps });
  if (!checked.ok) throw new TypeError(`not valid steps: ${checked.problems.join('; ')}`);
  const f = matchSteps(events, steps).failures[0];
  if (f) throw new CallExpectationError(formatFailure(f), f);
}
