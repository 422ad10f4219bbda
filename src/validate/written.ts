// Which attributes a document wrote on each element, as the grammar spells them. The projection
// the runtime runs has the grammar's defaults filled in, so "written" cannot be read off it:
// the schema pass records it here, beside the node, for what must be said only of attributes a
// document sets (one the runtime does not honour: src/runtime/support.ts).
import type { Projected } from '../grammar/index.js';

const written = new WeakMap<Projected, readonly string[]>();

export function markWritten(node: Projected, names: readonly string[]): void {
  written.set(node, names);
}

/**
 * The attributes the document set on this element, to a value: a blank one asks for nothing
 * (`<Conference waitUrl="">` is Twilio's silence). None for an element the runtime made itself.
 */
export function writtenAttributes(node: Projected): readonly string[] {
  return written.get(node) ?? [];
}
