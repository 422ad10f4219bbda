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

// Attribute values that are valid for what the attribute means; everything else gets a plain one.
const SAMPLE_BY_NAME: Record<string, unknown> = {
  digits: '1234',
  sendDigits: 'ww1234',
  finishOnKey: '#',
  speechTimeout: 'auto',
  voice: 'Polly.Joanna',
  callerId: '+14155550100',
  to: '+14155550100',
  from: '+14155550101',
  url: 'https://example.com/next',
  time: '500ms',
  ph: 'pɪˈkɑːn',
  chargeAmount: '10.00',
  currency: 'usd',
  minPostalCodeLength: 5,
  timeout: 10,
  maxLength: 60,
  length: 2,
  loop: 2,
  priority: 1,
  rate: '90%',
  pitch: '+5%',
  volume: 'loud',
  postalCode: 'true',
  partialResultCallback: 'https://example.com/partial',
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

function literals(t: ts.TypeNode): string[] {
  if (ts.isUnionTypeNode(t)) return t.types.flatMap(literals);
  if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return [t.literal.text];
  if (ts.isTypeReferenceNode(t)) {
    const alias = aliases.get(typeName(t));
    return alias ? literals(alias) : [];
  }
  return [];
}

function sample(attr: string, t: ts.TypeNode): unknown {
  if (attr in SAMPLE_BY_NAME) return SAMPLE_BY_NAME[attr];
  if (ts.isArrayTypeNode(t)) {
    const one = sample(attr, t.elementType);
    return [one];
  }
  const lits = literals(t);
  if (lits.length) return lits[0];
  if (t.kind === ts.SyntaxKind.BooleanKeyword) return true;
  if (t.kind === ts.SyntaxKind.NumberKeyword) return 5;
  if (/url|callback$/i.test(attr)) return 'https://example.com/callback';
  if (/method$/i.test(attr)) return 'POST';
  return 'x';
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
          const response = new twilio.twiml.VoiceResponse();
          let parent: unknown = response;
          for (const step of path) {
            const attrs = interfaces.get(step.attributes ?? '') ?? new Map();
            const values = step === m ? Object.fromEntries([...attrs].map(([a, t]) => [a, sample(a, t)])) : {};
            const fn = (parent as Record<string, (...args: unknown[]) => unknown>)[step.name]!;
            const text = step.textParam ? (TEXT_BY_PARAM[step.textParam] ?? 'x') : undefined;
            parent = text !== undefined ? fn.call(parent, values, text) : fn.call(parent, values);
          }
          return response.toString();
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
    const result = lint(xml, { dialect: 'twiml' });
    const bad = result.diagnostics.filter((d) => d.severity === 'error' || d.rule === 'unknown-attribute' || d.rule === 'unknown-element');
    expect(bad.map((d) => `${d.rule}: ${d.message}`), xml).toEqual([]);
  });
});
