// Documents built with Twilio's own helper library (the `twilio` package users write apps with)
// must lint without errors and without unknown attributes, for every element and attribute the
// library can produce. The element graph and attribute types are read from the library's own
// type declarations with the TypeScript compiler, so a new Twilio attribute shows up here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { lint } from '../../src/index.js';
import { loadGrammar, type AttributeSchema, type ElementDef } from '../../src/grammar/index.js';
import { rules } from '../../src/validate/rules/index.js';

const require = createRequire(import.meta.url);
const dts = join(dirname(require.resolve('twilio/package.json')), 'lib/twiml/VoiceResponse.d.ts');
const source = ts.createSourceFile(dts, readFileSync(dts, 'utf8'), ts.ScriptTarget.Latest, true);

interface Method {
  name: string;
  attributes?: string; // interface name
  textParam?: string;
  returns: string; // class name
}

const interfaces = new Map<string, Map<string, ts.TypeNode>>();
const aliases = new Map<string, ts.TypeNode>();
const classes = new Map<string, Method[]>();

const typeName = (t: ts.TypeNode | undefined) => (t ? t.getText().replace(/^VoiceResponse\./, '') : '');

function collect(node: ts.Node): void {
  if (ts.isInterfaceDeclaration(node)) {
    const props = new Map<string, ts.TypeNode>();
    for (const m of node.members) if (ts.isPropertySignature(m) && m.type) props.set(m.name.getText().replace(/"/g, ''), m.type);
    interfaces.set(node.name.text, props);
  } else if (ts.isTypeAliasDeclaration(node)) {
    aliases.set(node.name.text, node.type);
  } else if (ts.isClassDeclaration(node) && node.name) {
    const methods: Method[] = [];
    for (const m of node.members) {
      if (!ts.isMethodDeclaration(m) || !m.type) continue;
      const params = m.parameters;
      const first = params[0];
      const returns = typeName(m.type);
      if (!first || !classesLike(returns)) continue;
      const firstType = typeName(first.type);
      if (firstType.endsWith('Attributes')) {
        const text = params[1];
        methods.push({ name: m.name.getText(), attributes: firstType, returns, ...(text ? { textParam: text.name.getText() } : {}) });
      }
    }
    // The overload with attributes is the one we need; keep one per method name.
    const seen = new Set<string>();
    classes.set(node.name.text, methods.filter((m) => !seen.has(m.name) && seen.add(m.name)));
  }
  ts.forEachChild(node, collect);
}
const classesLike = (name: string) => /^[A-Z]\w*$/.test(name) && name !== 'Promise';
collect(source);

// Each attribute gets a value of the type the grammar gives it (an enum value, a number in its
// range, a URL of the right scheme, ...), so that a failure means the grammar and the library
// disagree, not that the sample was careless. Plain strings the grammar constrains with a pattern,
// or whose meaning matters, get a realistic value by name.
const grammar = loadGrammar('twiml');

const SAMPLE_BY_NAME: Record<string, string> = {
  digits: '1234',
  sendDigits: 'ww1234',
  finishOnKey: '#',
  speechTimeout: 'auto',
  attempt: '1 2',
  voice: 'Polly.Joanna',
  time: '500ms',
  ph: 'pɪˈkɑːn',
  chargeAmount: '10.00',
  currency: 'usd',
  rate: '90%',
  pitch: '+5%',
  volume: 'loud',
  postalCode: 'true',
};
const BY_FORMAT: Record<string, string> = {
  url: 'https://example.com/next',
  'ws-url': 'wss://example.com/stream',
  phone: '+14155550100',
  'phone-or-client': '+14155550100',
  'sip-uri': 'sip:alice@example.com',
};
const TEXT_BY_PARAM: Record<string, string> = {
  message: 'Hello there',
  url: 'https://example.com/audio.mp3',
  phoneNumber: '+14155550123',
  number: '+14155550123',
  sipUrl: 'sip:alice@example.com',
  name: 'support',
  identity: 'alice',
  clientIdentity: 'alice',
  simSid: 'DE0123456789abcdef0123456789abcdef',
  applicationSid: 'AP0123456789abcdef0123456789abcdef',
  sid: 'AP0123456789abcdef0123456789abcdef',
  body: '{"selected_language": "en"}',
  words: 'Hello',
};

function number(schema: AttributeSchema): number {
  if (typeof schema.default === 'number') return schema.default;
  if (schema.minimum !== undefined) return schema.minimum;
  return schema.maximum !== undefined ? Math.min(schema.maximum, 5) : 5;
}

/** A value of the grammar's type for the attribute; without a schema, a plain one of the library's type. */
function sample(attr: string, schema: AttributeSchema | undefined, t: ts.TypeNode): unknown {
  if (schema) {
    if (schema.enum?.length) return schema.enum[0];
    if (schema['x-list']?.length) return schema['x-list'][0];
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'boolean') return true;
    if (type === 'integer' || type === 'number') return number(schema);
    const format = schema['x-format'];
    if (format && format in BY_FORMAT) return BY_FORMAT[format];
    if (attr in SAMPLE_BY_NAME) return SAMPLE_BY_NAME[attr];
    if (schema.pattern) throw new Error(`no sample for ${attr}, which must match ${schema.pattern}: add one to SAMPLE_BY_NAME`);
    return 'x';
  }
  // Not in the grammar: the lint will say so (unknown-attribute), whatever the value.
  if (ts.isArrayTypeNode(t)) return [sample(attr, undefined, t.elementType)];
  const lits = literals(t);
  if (lits.length) return lits[0];
  if (t.kind === ts.SyntaxKind.BooleanKeyword) return true;
  if (t.kind === ts.SyntaxKind.NumberKeyword) return 5;
  return 'x';
}

function literals(t: ts.TypeNode): string[] {
  if (ts.isUnionTypeNode(t)) return t.types.flatMap(literals);
  if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return [t.literal.text];
  if (ts.isTypeReferenceNode(t)) {
    const alias = aliases.get(typeName(t));
    return alias ? literals(alias) : [];
  }
  return [];
}

/** The grammar's element for the last element a builder made: the deepest last child, as didml resolved it. */
function elementOf(xml: string): ElementDef | undefined {
  let node = lint(xml, { dialect: 'twiml' }).document.root;
  while (node?.children.length) node = node.children[node.children.length - 1]!;
  return node?.def ? grammar.elements[node.def] : undefined;
}

interface Case {
  path: string[];
  build(): string;
}

/** Every element reachable from <Response>, each built with all its attributes set. */
function cases(): Case[] {
  const out: Case[] = [];
  const walk = (cls: string, chain: Method[], depth: number) => {
    for (const m of classes.get(cls) ?? []) {
      // Generator artefacts (reference §1.0): <Prompt> belongs in <Pay>, <Queue> in <Dial>.
      if (cls === 'VoiceResponse' && (m.name === 'prompt' || m.name === 'queue')) continue;
      const path = [...chain, m];
      out.push({
        path: path.map((p) => p.name),
        build: () => {
          const make = (values: Record<string, unknown>) => {
            const response = new twilio.twiml.VoiceResponse();
            let parent: unknown = response;
            for (const step of path) {
              const fn = (parent as Record<string, (...args: unknown[]) => unknown>)[step.name]!;
              const text = step.textParam ? (TEXT_BY_PARAM[step.textParam] ?? 'x') : undefined;
              const attrs = step === m ? values : {};
              parent = text !== undefined ? fn.call(parent, attrs, text) : fn.call(parent, attrs);
            }
            return response.toString();
          };
          // First without attributes, to learn which grammar element the library wrote.
          const def = elementOf(make({}));
          const attrs = interfaces.get(m.attributes ?? '') ?? new Map<string, ts.TypeNode>();
          return make(Object.fromEntries([...attrs].map(([a, t]) => [a, sample(a, def?.attributes[a], t)])));
        },
      });
      if (depth < 4 && !chain.some((c) => c.returns === m.returns)) walk(m.returns, path, depth + 1);
    }
  };
  walk('VoiceResponse', [], 0);
  return out;
}

const all = cases();

describe('documents built with the twilio helper library', () => {
  it('finds the element graph in the library', () => {
    expect(classes.get('VoiceResponse')?.map((m) => m.name)).toEqual(expect.arrayContaining(['say', 'dial', 'gather', 'connect', 'pay']));
    expect(all.length).toBeGreaterThan(60);
  });

  it.each(all.map((c) => [c.path.join(' > '), c] as const))('%s lints with no errors and no unknown attributes', (_name, c) => {
    const xml = c.build();
    // The builders set attributes on the last element only, so an enclosing <Stream> has no url
    // and a bare <Refer> no <Sip>: whether a document is complete is the `requires` rule's
    // business (its fixtures), not what this test asks of the library.
    const result = lint(xml, { dialect: 'twiml', rules: rules.filter((r) => r.id !== 'requires') });
    const bad = result.diagnostics.filter((d) => d.severity === 'error' || d.rule === 'unknown-attribute' || d.rule === 'unknown-element');
    expect(bad.map((d) => `${d.rule}: ${d.message}`), xml).toEqual([]);
  });
});
