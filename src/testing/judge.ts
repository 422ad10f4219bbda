// Holding a finished call against its scenario: the steps in order, then what a scenario need
// not name to fail: an error no step expects, a scripted caller action the app never asked for,
// an update that came after the call was over.
import { scriptedActions, type SimulatedCall } from '../runtime/simulate.js';
import { endOf, excerpt, line, matchSteps, seconds, type Failure } from './match.js';
import { showActual } from './patterns.js';
import type { Scenario, Step } from './scenario.js';
import { isStable } from './snapshot.js';


/** Everything that went differently from what the scenario expects (empty: it passed). */
export function judge(scenario: Scenario, call: SimulatedCall): Failure[] {
  const steps: Step[] = scenario.expect ?? [];
  const { events } = call;
  const { failures, matched } = matchSteps(events, steps);
  const out = [...failures];

  // Errors along the way that no step expects: an app failing is never a silent pass.
  const expected = new Set(steps.flatMap((s, i) => (s.error !== undefined && !s.not && matched[i] ? [matched[i]!.event] : [])));
  const unexpected = events.flatMap((e, i) => (e.type === 'error' && isStable(e) && !expected.has(i) ? [i] : []));
  if (unexpected.length && !failures.length) {
    const first = unexpected[0]!;
    const e = events[first]!;
    out.push({
      title: `the call had ${unexpected.length === 1 ? 'an error' : `${unexpected.length} errors`} that no step expects`,
      expected: `no error, or a step such as {"error": ${JSON.stringify(e['code'] ?? { contains: String(e['message']).slice(0, 40) })}}`,
      happened: `at ${seconds(e.t)}: ${line(e)}`,
      excerpt: excerpt(events, first, first),
    });
  }

  // Caller actions the app never asked for: the scenario and the app disagree about the flow.
  if (call.unusedActions.length) {
    const script = scriptedActions(scenario.call ?? {});
    const used = script.actions.length - call.unusedActions.length;
    const times = (n: number) => (n === 1 ? 'once' : `${n} times`);
    out.push({
      title: `call.${script.key}[${used}] ${showActual(call.unusedActions[0])} was never used${call.unusedActions.length > 1 ? ` (nor the ${call.unusedActions.length - 1} after it)` : ''}`,
      expected: `the app to ask ${script.party} for input ${times(script.actions.length)} (at a Gather, a Record, or a Dial with hangupOnStar)`,
      happened: `it asked ${times(used)}; ${endOf(events)}`,
      excerpt: excerpt(events, undefined, events.length - 1),
    });
  }

  // Updates after the end: the call was over before the moment the scenario meant to change it.
  const late = call.unusedUpdates[0];
  if (late !== undefined) {
    const u = scenario.call!.updates![late]!;
    out.push({
      title: `call.updates[${late}] at ${seconds(u.at * 1000)} was never applied${call.unusedUpdates.length > 1 ? ` (nor the ${call.unusedUpdates.length - 1} after it)` : ''}`,
      expected: `the call to be going on at ${seconds(u.at * 1000)}`,
      happened: endOf(events),
      excerpt: excerpt(events, undefined, events.length - 1),
    });
  }
  return out;
}
