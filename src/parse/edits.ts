// The working copy that destructive recoveries re-parse: the original source with their edits
// applied. Every position the parser sees in the working copy maps back to the original.
import type { TextEdit } from '../types.js';

export class EditedText {
  /** Working offset where each edit's replacement text starts. */
  private readonly workStarts: number[];
  /** Shift (working − original) just after each edit. */
  private readonly shiftAfter: number[];

  private constructor(
    readonly original: string,
    /** On the original, sorted, never overlapping. */
    readonly edits: readonly TextEdit[],
    readonly text: string,
  ) {
    this.workStarts = [];
    this.shiftAfter = [];
    let shift = 0;
    for (const e of edits) {
      this.workStarts.push(e.start + shift);
      shift += e.text.length - (e.end - e.start);
      this.shiftAfter.push(shift);
    }
  }

  static of(source: string): EditedText {
    return new EditedText(source, [], source);
  }

  get edited(): boolean {
    return this.edits.length > 0;
  }

  /** A copy with more edits (original coordinates), or undefined if one overlaps an edit made before. */
  with(more: readonly TextEdit[]): EditedText | undefined {
    return this.build(this.edits, more);
  }

  /**
   * A copy with more edits made on the working copy. An edit that takes in all the text an
   * earlier edit wrote (a close tag whose `>` recovery added, replaced whole) stands for both:
   * the earlier edit goes, and is returned so that its fix can go too.
   */
  withWorking(more: readonly TextEdit[]): { next: EditedText; superseded: TextEdit[] } | undefined {
    const gone = new Set<number>();
    const mapped = more.map((e) => {
      let start = this.toOriginal(e.start, true);
      let end = Math.max(start, this.toOriginal(e.end));
      if (e.end > e.start) {
        for (let k = this.editAt(e.end); k >= 0 && (this.workStarts[k] as number) >= e.start; k--) {
          const ws = this.workStarts[k] as number;
          const old = this.edits[k] as TextEdit;
          const we = ws + old.text.length;
          if (old.text.length > 0 ? we <= e.end : ws > e.start && ws < e.end) {
            gone.add(k);
            start = Math.min(start, old.start);
            end = Math.max(end, old.end);
          }
        }
      }
      return { start, end, text: e.text };
    });
    const next = this.build(this.edits.filter((_, k) => !gone.has(k)), mapped);
    return next && { next, superseded: [...gone].map((k) => this.edits[k] as TextEdit) };
  }

  private build(edits: readonly TextEdit[], more: readonly TextEdit[]): EditedText | undefined {
    const all = [...edits, ...more].sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < all.length; i++) {
      const prev = all[i - 1] as TextEdit;
      const next = all[i] as TextEdit;
      if (next.start < prev.end || (next.start === prev.start && next.end === prev.end)) return undefined;
    }
    const parts: string[] = [];
    let at = 0;
    for (const e of all) {
      parts.push(this.original.slice(at, e.start), e.text);
      at = e.end;
    }
    parts.push(this.original.slice(at));
    return new EditedText(this.original, all, parts.join(''));
  }

  /** Index of the last edit whose replacement starts at or before working offset `w`, or -1. */
  private editAt(w: number): number {
    let lo = 0;
    let hi = this.workStarts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.workStarts[mid] as number) <= w) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Original offset of working offset `w`. A position inside replaced text maps to the end of
   * what it replaced (its start maps to the start), so a span over a replacement covers exactly
   * the original text it stands for. Where text was deleted, `after` says which side: the start
   * of what follows (an element, a span or an edit after a stray `</x>` that recovery removed)
   * is after it.
   */
  toOriginal(w: number, after = false): number {
    if (this.edits.length === 0) return w;
    const k = this.editAt(w);
    if (k < 0) return w;
    const edit = this.edits[k] as TextEdit;
    const ws = this.workStarts[k] as number;
    if (w === ws) return after && edit.text === '' ? edit.end : edit.start;
    if (w < ws + edit.text.length) return edit.end;
    return w - (this.shiftAfter[k] as number);
  }

  /** Whether working range [start, end) overlaps text that an edit put there. */
  touchesEdit(start: number, end: number): boolean {
    if (this.edits.length === 0) return false;
    const k = this.editAt(Math.max(start, end - 1));
    for (let i = k; i >= 0; i--) {
      const ws = this.workStarts[i] as number;
      const we = ws + (this.edits[i] as TextEdit).text.length;
      if (we <= start) return false;
      if (we > ws && ws < end && we > start) return true;
    }
    return false;
  }
}
