// The recovery loop: parse; when a pass stops for a destructive recovery, apply that recovery's
// edits to the working copy and parse again. Valid documents take exactly one pass.
import type { TextEdit } from '../types.js';
import { EditedText } from './edits.js';
import type { Settings } from './options.js';
import { Pass } from './pass.js';
import type { Draft } from './recover/types.js';
import * as problems from './problems.js';

/** Destructive recoveries per document; past this, saxes' own recovery stands. */
export const MAX_ROUNDS = 20;

export interface Rounds {
  /** The pass whose result is kept. */
  pass: Pass;
  work: EditedText;
  /** Diagnostics of the destructive recoveries, on the original. */
  recovered: Draft[];
}

function mapEdit(work: EditedText, e: TextEdit): TextEdit {
  const start = work.toOriginal(e.start, true);
  return { start, end: Math.max(start, work.toOriginal(e.end)), text: e.text };
}

/** A draft in working-copy offsets, moved onto the original. */
export function toOriginal(work: EditedText, d: Draft): Draft {
  if (!work.edited) return d;
  const start = work.toOriginal(d.span.start, true);
  const span = { start, end: Math.max(start, work.toOriginal(d.span.end)) };
  const out: Draft = { ...d, span };
  if (d.fix) out.fix = { ...d.fix, edits: d.fix.edits.map((e) => mapEdit(work, e)) };
  if (d.suggestions) out.suggestions = d.suggestions.map((f) => ({ ...f, edits: f.edits.map((e) => mapEdit(work, e)) }));
  return out;
}

/** Takes these edits out of the drafts' fixes (one sweep: a recovery may take in thousands). */
function dropFixes(drafts: Draft[], gone: readonly TextEdit[]): void {
  if (!gone.length) return;
  const key = (e: TextEdit) => `${e.start}:${e.end}:${e.text}`;
  const keys = new Set(gone.map(key));
  for (const d of drafts) {
    if (!d.fix?.edits.some((e) => keys.has(key(e)))) continue;
    const edits = d.fix.edits.filter((e) => !keys.has(key(e)));
    if (edits.length) d.fix = { ...d.fix, edits };
    else delete d.fix;
  }
}

/** Runs the loop from a first pass that has read the whole source. */
export function runRounds(source: string, first: Pass, settings: Settings): Rounds {
  let work = EditedText.of(source);
  let pass = first;
  const recovered: Draft[] = [];
  const skip = new Set<string>();
  for (let round = 0; pass.trigger; round++) {
    const last = round >= MAX_ROUNDS;
    if (last) {
      // Said, not silent: past here the tree is saxes' reading, and `--fix` may read it otherwise.
      recovered.push(problems.tooManyRecoveries(MAX_ROUNDS, { start: pass.trigger.at, end: pass.trigger.at }));
    } else {
      const outcome = pass.trigger.run(work.text);
      const merged = outcome && outcome.edits.length > 0 ? work.withWorking(outcome.edits) : undefined;
      if (outcome && merged) {
        // An earlier recovery's edit that this one took in: its fix would now apply twice.
        dropFixes(recovered, merged.superseded);
        recovered.push(...outcome.diagnostics.map((d) => toOriginal(work, d)));
        work = merged.next;
      } else {
        skip.add(pass.trigger.key);
      }
    }
    pass = new Pass(settings, work, skip, last);
    pass.write(work.text);
    pass.end();
  }
  return { pass, work, recovered };
}
