// Shared by the test that holds the grammar's `x-runtime` marks to what the runtime does: one
// small document per element and placement (under each parent the grammar allows), every
// attribute of the element set to a value its schema takes, run on the mock backend. The
// compiled document's attributes are wrapped so that each read is recorded; the test then says,
// per attribute, whether the runtime read it and whether it reported it as not honoured.
import { loadGrammar, type AttributeSchema, type ElementDef, type Grammar, type Projected } from '../../src/grammar/index.js';
import type { DialectName } from '../../src/types.js';
import { simulateCall } from '../../src/runtime/simulate.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { handlerTransport } from '../../src/webhook/handler.js';
import type { CallScript } from '../../src/runtime/simulate.js';

/** Attribute reads of every compiled document's nodes, recorded by the wrapped compileDocument. */
export const reads = new WeakMap<Projected, Set<string>>();
const wrapped = new WeakSet<Projected>();

/** Wraps each node's attributes (in place, once) so that the names the runtime reads are recorded. */
export function recordReads(root: Projected): void {
  if (wrapped.has(root)) return;
  wrapped.add(root);
  const seen = new Set<string>();
  reads.set(root, seen);
  const target = root.attributes;
  root.attributes = new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.get(t, key, receiver) as unknown;
    },
    has(t, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.has(t, key);
    },
  });
  root.children.forEach(recordReads);
}

/** Roots compiled since the last take (the wrapped compileDocument pushes here). */
export const compiled: Projected[] = [];

const APP = 'https://app.test/';

/** A value the attribute's schema accepts that turns it on: true, a non-default enum value, a URL. */
export function sampleValue(schema: AttributeSchema): string {
  if (schema['x-list']) return schema['x-list'].join(' ');
  if (schema.enum) {
    const other = schema.enum.find((v) => v !== schema.default && v !== 'false' && v !== false);
    return String(other ?? schema.enum[0]);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'boolean') return 'true';
  if (type === 'integer' || type === 'number') {
    if (typeof schema.default === 'number' && schema.default > 0) return String(schema.default);
    return String(Math.max(schema.minimum ?? 1, 1));
  }
  switch (schema['x-format']) {
    case 'url':
      return `${APP}callback`;
    case 'ws-url':
      return 'wss://media.test/stream';
    case 'phone':
    case 'phone-or-client':
      return '+14155550111';
    case 'sip-uri':
      return 'sip:agent@pbx.test';
    case 'duration':
      return '1s';
  }
  if (schema.default !== undefined && schema.default !== '') return String(schema.default);
  return 'x1';
}

function sampleText(def: ElementDef): string {
  const f = def.text?.format;
  if (f === 'url') return `${APP}media.mp3`;
  if (f === 'ws-url') return 'wss://media.test/stream';
  if (f === 'phone' || f === 'phone-or-client') return '+14155550111';
  if (f === 'sip-uri') return 'sip:agent@pbx.test';
  return def.text ? 'hello' : '';
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** Parent definition ids of each element, and one shortest path from the root to each element. */
function paths(g: Grammar): Map<string, string[]> {
  const out = new Map<string, string[]>([[g.root, [g.root]]]);
  const queue = [g.root];
  while (queue.length) {
    const id = queue.shift()!;
    for (const c of g.elements[id]!.children) {
      if (out.has(c)) continue;
      out.set(c, [...out.get(id)!, c]);
      queue.push(c);
    }
  }
  return out;
}

export interface Placement {
  dialect: DialectName;
  /** Definition ids from the root to the element tested. */
  path: string[];
  element: string;
  body: string;
}

/** Every element under every parent it may have, reachable from the root, with all its attributes set. */
export function placements(dialect: DialectName): Placement[] {
  const g = loadGrammar(dialect);
  const shortest = paths(g);
  const out: Placement[] = [];
  for (const [parentId, parent] of Object.entries(g.elements)) {
    const toParent = shortest.get(parentId);
    if (!toParent) continue;
    for (const child of parent.children) {
      if (toParent.includes(child)) continue;
      const path = [...toParent, child];
      out.push({ dialect, path, element: child, body: documentFor(g, path) });
    }
  }
  return out;
}

/** The noun a verb needs to run at all, when the element tested is that verb. */
const COMPANIONS: Record<string, (g: Grammar) => string> = {
  // A dialect whose <Dial> takes no number as text (Plivo) dials a <Number>.
  Dial: (g) => (g.elements['Dial']!.text || !g.elements['Number'] ? '' : `<${g.elements['Number'].tag}>+14155550111</${g.elements['Number'].tag}>`),
  Refer: (g) => (g.elements['ReferSip'] ? `<${g.elements['ReferSip'].tag}>sip:agent@pbx.test</${g.elements['ReferSip'].tag}>` : ''),
  Connect: (g) => (g.elements['Stream'] ? `<${g.elements['Stream'].tag} url="wss://media.test/stream"/>` : ''),
};

function documentFor(g: Grammar, path: string[]): string {
  const open = (id: string, full: boolean): [string, string] => {
    const def = g.elements[id]!;
    const attrs = full ? Object.entries(def.attributes).map(([name, s]) => ` ${name}="${esc(sampleValue(s))}"`).join('') : '';
    return [`<${def.tag}${attrs}>`, `</${def.tag}>`];
  };
  let inner = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const id = path[i]!;
    const last = i === path.length - 1;
    const [o, c] = open(id, last);
    const def = g.elements[id]!;
    // A parent keeps the text it needs (a <Dial>'s number is its noun here, so none; a <Sip> its URI).
    const text = last || (def.text?.required && !inner) || def.text?.format === 'sip-uri' ? esc(sampleText(def)) : '';
    // A verb that runs nothing without its noun gets one (<Refer> a <Sip>, <Connect> a <Stream>).
    const companion = last ? COMPANIONS[id]?.(g) ?? '' : '';
    inner = `${o}${text}${companion}${inner}${c}`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>${inner}`;
}

/**
 * What the caller does: speaks, talks at a Record, presses keys; or stays silent (a Gather's
 * actionOnEmptyResult is read only then). Callees answer. Every placement runs with each.
 */
const SCRIPTS: CallScript[] = [
  { caller: [{ speech: 'hello there', confidence: 0.9 }, { record: 3, digits: '#', transcription: 'hello there' }, { digits: '1#' }], callees: { '*': { ring: 1, talk: 5 } }, hangupAfter: 600 },
  { caller: [], callees: { '*': { ring: 1, talk: 5 } }, hangupAfter: 600 },
];

export interface PlacementRun {
  placement: Placement;
  /** The attributes of the element tested that the runtime read. */
  read: Set<string>;
  /** Attributes reported as not honoured (warnings of rule runtime-support), of the element tested. */
  reported: Set<string>;
  /** Warnings and call end reasons that say the element is not run at all. */
  elementNotRun: string | undefined;
  events: { type: string; [k: string]: unknown }[];
}

/** The node at `path` in a compiled root. */
function nodeAt(root: Projected, path: string[]): Projected | undefined {
  let node: Projected | undefined = root;
  for (const id of path.slice(1)) node = node?.children.find((c) => (c.def ?? c.name) === id);
  return node;
}

const NOT_RUN = /not supported|not a verb this runtime knows|not allowed in a document run before|is not run by|cannot be dialled|needs a <Sip>/;

/** Runs the placement once per caller script: what was read in either, what was reported in either. */
export async function runPlacement(p: Placement): Promise<PlacementRun> {
  const runs = [];
  for (const script of SCRIPTS) runs.push(await runOnce(p, script));
  const [a, b] = runs as [PlacementRun, PlacementRun];
  return {
    placement: p,
    read: new Set([...a.read, ...b.read]),
    reported: new Set([...a.reported, ...b.reported]),
    elementNotRun: a.elementNotRun ?? b.elementNotRun,
    events: a.events,
  };
}

async function runOnce(p: Placement, script: CallScript): Promise<PlacementRun> {
  compiled.length = 0;
  const first = { url: `${APP}voice`, served: false };
  const webhooks = createWebhookClient({
    transport: handlerTransport((req) => {
      if (req.url.startsWith(first.url) && !first.served) {
        first.served = true;
        return p.body;
      }
      return '<?xml version="1.0" encoding="UTF-8"?><Response/>';
    }),
  });
  try {
    const r = await simulateCall({ app: { url: first.url, dialect: p.dialect }, call: script, webhooks });
    const root = compiled.find((c) => nodeAt(c, p.path) !== undefined) ?? compiled[0];
    const node = root ? nodeAt(root, p.path) : undefined;
    const g = loadGrammar(p.dialect);
    const tag = g.elements[p.element]!.tag;
    const tags = p.path.slice(1).map((id) => `<${g.elements[id]!.tag}`);
    const reported = new Set(
      // Reports in a parent (x-runtime-children: <Play digits> in <Gather>) are one placement's, not the
      // element's: test/runtime/not-run-children.test.ts holds them to their marks.
      r.events.filter((e) => e.type === 'warning' && e['rule'] === 'runtime-support' && e['element'] === tag && e['parent'] === undefined).map((e) => String(e['attribute'])),
    );
    const lines = r.events
      .filter((e) => e.type === 'warning' || e.type === 'error' || e.type === 'end')
      .map((e) => String(e['message'] ?? e['reason'] ?? ''))
      .concat(r.summary.reason);
    const elementNotRun = lines.find((l) => NOT_RUN.test(l) && !/is not run by/.test(l) && tags.some((t) => l.includes(t))) ?? (node ? undefined : 'not compiled');
    return { placement: p, read: (node && reads.get(node)) ?? new Set(), reported, elementNotRun, events: r.events };
  } finally {
    await webhooks.close();
  }
}
