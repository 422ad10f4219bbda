// Steps against a transcript, in order. Each step looks after the previous one:
//
// - by default at the *next* event of its kind (the next say, the next dial): it must match, so
//   a say in between that nobody expected is noticed;
// - with `later`, at any event of its kind further on;
// - with `not`, at every event of its kind further on: none may match (the position stays).
//
// A step that takes time (gather, record, dial, refer, conference, enqueue) stands where it ends:
// what happens during it (a Gather's prompts, the notifies of a REFER) is written before it, and
// its outcome (digits, DialCallStatus…) can be named in it. A failure says which step, what was
// expected, what happened instead, and shows the transcript around that place.
import type { TranscriptEvent } from '../telephony/mock/index.js';
import { formatEvent } from './transcript-text.js';
import { KINDS, type View } from './kinds.js';
import { isSpecial, matchPattern, showActual, showMismatches, showPattern, type Mismatch } from './patterns.js';
import { kindOf, type Pattern, type Step } from './scenario.js';

export interface Failure {
  /** The step's index in `expect` (0-based); absent for checks of the whole call. */
  step?: number;
  /** `step 3 of 5: say "Connecting you to sales."` */
  title: string;
  expected: string;
  happened: string;
  /** The transcript around the place, one line per event, the event in question marked `>`. */
  excerpt: string[];
}

export interface StepMatch {
  /** Index of the event the step matched (where it started). */
  event: number;
  /** Index of the event it stands at (where it ended; the start for a step that takes no time). */
  anchor: number;
}

export interface MatchResult {
  failures: Failure[];
  /** Per step: where it matched (undefined: a `not` step, or not reached). */
  matched: (StepMatch | undefined)[];
  /** Index after the last matched step's anchor. */
  position: number;
}

/** The step's fields as one object: the shorthand expanded, `at` added. */
export function wanted(step: Step): Record<string, Pattern> {
  const kind = kindOf(step);
  const value = step[kind] as Pattern;
  const def = KINDS[kind];
  let want: Record<string, Pattern>;
  if (value === true) want = {};
  else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !isSpecial(value)) want = { ...(value as Record<string, Pattern>) };
  else want = { [def.shorthand ?? 'value']: value };
  if (step.at !== undefined) want['at'] = step.at;
  return want;
}

/** `say "Hi"`, `dial {to: "sip:…", headers: {X-EI: "CA…"}}`, `no say containing "error"`. */
export function describeStep(step: Step): string {
  const kind = kindOf(step);
  const value = step[kind] as Pattern;
  const shown = value === true ? '' : ` ${showPattern(value)}`;
  const at = step.at !== undefined ? ` at ${seconds(step.at * 1000)}` : '';
  return `${step.not ? 'no ' : ''}${kind}${shown}${at}${step.on === 'callee' ? ' on the callee' : ''}`;
}

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

interface Candidate {
  start: number;
  end: number;
  anchor: number;
  view: View;
}

/** The events a step could match, in order, that stand at or after `from`. */
function* candidates(events: readonly TranscriptEvent[], step: Step, want: Record<string, Pattern>, from: number): Generator<Candidate> {
  const def = KINDS[kindOf(step)];
  const type = typeof def.type === 'function' ? def.type(want) : def.type;
  // A step that takes time may have started before `from` (its prompts were the previous step).
  const first = def.end ? 0 : from;
  const callee = step.on === 'callee';
  for (let i = first; i < events.length; i++) {
    if (events[i]!.type !== type || (events[i]!['leg'] !== undefined) !== callee) continue;
    const end = def.end ? def.end(events, i) : i;
    // Still going on (a call driven step by step, waiting at this Gather): it stands in the future.
    const anchor = end < 0 ? events.length : end;
    if (anchor < from) continue;
    yield { start: i, end, anchor, view: { ...def.view(events, i, end), at: events[i]!.t / 1000 } };
  }
}

function mismatches(step: Step, want: Record<string, Pattern>, view: View): Mismatch[] {
  const out: Mismatch[] = [];
  const def = KINDS[kindOf(step)];
  if (def.match) {
    const { at, ...rest } = want;
    def.match(rest, view, out);
    if (at !== undefined) matchPattern({ at }, view, '', out);
  } else {
    matchPattern(want, view, '', out);
  }
  return out;
}

/** Matches `steps` in order against `events`; stops at the first step that fails. */
export interface MatchOptions {
  /** Index of the first event to look at (default 0). */
  from?: number;
  /** What the first step looks after, in words (default: `from the start of the call`). */
  since?: string;
  /** How a step is named in a failure (default `step 3 of 5`). */
  label?: (i: number) => string;
}

export function matchSteps(events: readonly TranscriptEvent[], steps: readonly Step[], options: MatchOptions = {}): MatchResult {
  const matched: (StepMatch | undefined)[] = [];
  let position = options.from ?? 0;
  let previous: { step: number; t: number } | undefined;
  const total = steps.length;
  const title = (i: number, step: Step) =>
    `${options.label ? options.label(i) : `step ${i + 1} of ${total}`}: ${describeStep(step)}${step.note ? ` (${step.note})` : ''}`;
  const after = () => (previous ? `after step ${previous.step + 1} (${seconds(previous.t)})` : (options.since ?? 'from the start of the call'));

  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const want = wanted(step);
    const kind = kindOf(step) === 'event' ? `${String(want['type'])} event` : kindOf(step);
    const fail = (expected: string, happened: string, mark: number | undefined, near = position - 1): MatchResult => ({
      failures: [{ step: i, title: title(i, step), expected, happened, excerpt: excerpt(events, mark, mark ?? near) }],
      matched,
      position,
    });

    if (step.not) {
      for (const c of candidates(events, step, want, position)) {
        if (!mismatches(step, want, c.view).length) {
          return fail(`${describeStep(step)} ${after()}`, `at ${seconds(events[c.start]!.t)}: ${line(events[c.start]!)}`, c.start);
        }
      }
      matched.push(undefined);
      continue;
    }

    let found: Candidate | undefined;
    let nearest: { c: Candidate; ms: Mismatch[] } | undefined;
    let seen = 0;
    for (const c of candidates(events, step, want, position)) {
      seen++;
      const ms = mismatches(step, want, c.view);
      if (!ms.length) {
        found = c;
        break;
      }
      if (!nearest || ms.length < nearest.ms.length) nearest = { c, ms };
      if (!step.later) break;
    }

    if (!found) {
      if (kind === 'status') {
        // The end of the call: there is only one.
        const end = nearest?.c.start;
        const how = end === undefined ? `the call has not ended; ${endOf(events)}` : `${endOf(events)}: ${showMismatches(nearest!.ms)}`;
        return fail(`${describeStep(step)} at the end of the call`, how, end);
      }
      const expected = `${describeStep(step)} ${step.later ? 'somewhere ' : `as the next ${kind} `}${after()}`;
      if (nearest && !step.later) {
        return fail(expected, `the next ${kind} (at ${seconds(events[nearest.c.start]!.t)}) differs: ${showMismatches(nearest.ms)}`, nearest.c.start);
      }
      if (nearest) {
        const many = seen === 1 ? `the only ${kind}` : `none of the ${seen} ${kind}s`;
        return fail(
          expected,
          `${many} ${after()} ${seen === 1 ? 'differs' : 'matches'}; the nearest (at ${seconds(events[nearest.c.start]!.t)}): ${showMismatches(nearest.ms)}`,
          nearest.c.start,
        );
      }
      return fail(expected, `no ${kind} ${after()}; ${endOf(events)}${earlier(events, step, want, position)}`, undefined);
    }
    matched.push({ event: found.start, anchor: found.anchor });
    if (found.end < 0) continue; // still going on: the next step looks from the same place
    position = found.anchor + 1;
    previous = { step: i, t: events[found.anchor]!.t };
  }
  return { failures: [], matched, position };
}

export function lastOfType(events: readonly TranscriptEvent[], type: string): TranscriptEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.type === type) return events[i];
  return undefined;
}

/** `the call ended at 43 s (completed: <Hangup>)`, or that it is still going. */
export function endOf(events: readonly TranscriptEvent[]): string {
  const end = lastOfType(events, 'end');
  if (!end) return `the transcript goes up to ${seconds(events.at(-1)?.t ?? 0)}`;
  return `the call ended at ${seconds(end.t)} (${String(end['status'])}: ${String(end['reason'])})`;
}

/** A hint when a matching event came before the place the step looks from. */
function earlier(events: readonly TranscriptEvent[], step: Step, want: Record<string, Pattern>, position: number): string {
  const before = [...candidates(events, step, want, 0)].find((c) => c.anchor < position && !mismatches(step, want, c.view).length);
  return before
    ? `. One came earlier, at ${seconds(events[before.start]!.t)}, before the previous step: steps match in the order things happen`
    : '';
}

/** One event as `didml call` prints it; events it does not print are shown as JSON. */
export function line(e: TranscriptEvent): string {
  const shown = formatEvent(e);
  if (shown !== null) return shown.trimStart().replace(/^[\d.]+s\s+/, '');
  const { t: _t, type, ...rest } = e;
  return `${type} ${showActual(rest, 200)}`;
}

/** Up to `around` printed events either side of `center`; `mark` gets a `>`. */
export function excerpt(events: readonly TranscriptEvent[], mark: number | undefined, center: number, around = 3): string[] {
  const printed = (i: number) => i === mark || formatEvent(events[i]!) !== null;
  const c = Math.max(0, Math.min(center, events.length - 1));
  const before: number[] = [];
  for (let i = c - 1; i >= 0 && before.length < around; i--) if (printed(i)) before.unshift(i);
  const afterIdx: number[] = [];
  for (let i = c + 1; i < events.length && afterIdx.length < around; i++) if (printed(i)) afterIdx.push(i);
  const rows = [...before, ...(printed(c) || mark === undefined ? [c] : []), ...afterIdx].filter((i) => events[i]);
  return rows.map((i) => `${i === mark ? '>' : ' '} ${(events[i]!.t / 1000).toFixed(1).padStart(7)}s  ${line(events[i]!)}`);
}
