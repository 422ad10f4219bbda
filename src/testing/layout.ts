// JSON laid out for people and for diffs: what fits on a line stays on one line (a step, a
// caller action, a callee), the lists at the top of a scenario (expect, snapshot) have one entry
// per line, two spaces of indentation. `didml test --update` writes scenarios this way, so a
// scenario written in this layout changes by its snapshot only.
const WIDTH = 110;

export function layoutJson(value: unknown): string {
  return lay(value, 0, 0) + '\n';
}

/** `depth` 0 is the scenario itself, 1 its keys' values; `used`: columns before the value on its line. */
function lay(value: unknown, indent: number, depth: number, used = indent): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((v) => [undefined, v])
    : Object.entries(value).filter(([, v]) => v !== undefined);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (!entries.length) return open + close;
  const key = (k: string | undefined) => (k === undefined ? '' : `${JSON.stringify(k)}: `);
  // The scenario's own lists (expect, snapshot) have an entry per line; small values stay together.
  if (depth > 1 || (depth === 1 && !Array.isArray(value))) {
    const flat = entries.map(([k, v]) => key(k) + lay(v, 0, depth + 1)).join(', ');
    const one = Array.isArray(value) ? `[${flat}]` : `{ ${flat} }`;
    if (!one.includes('\n') && used + one.length <= WIDTH) return one;
  }
  const pad = ' '.repeat(indent + 2);
  const inner = entries.map(([k, v]) => pad + key(k) + lay(v, indent + 2, depth + 1, pad.length + key(k).length));
  return `${open}\n${inner.join(',\n')}\n${' '.repeat(indent)}${close}`;
}
