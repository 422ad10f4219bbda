// Used only by recoveries, after saxes has reported a problem: never on the hot path.

// A name ends where white space, `/` or `>` follows (the look-ahead): without it, a long run
// that never reaches `>` is split between the name and the rest at every length (quadratic:
// 3 s on a 64 KiB tag).
const TOKEN = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<\?[\s\S]*?(?:\?>|$)|<(\/?)([^\s/>!?<]+)(?=[\s/>])(?:"[^"<]*"|'[^'<]*'|[^>"'<])*?(\/?)>/g;

/** Name of the first close tag after `from` that is not matched by an open tag after `from`. */
export function nextCloseAtLevel(text: string, from: number): string | undefined {
  TOKEN.lastIndex = from;
  let depth = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const name = m[2];
    if (name === undefined) continue;
    if (m[1]) {
      if (depth === 0) return name;
      depth--;
    } else if (!m[3]) depth++;
  }
  return undefined;
}
