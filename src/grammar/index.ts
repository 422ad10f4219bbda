// The grammar as the rest of didml sees it: lookup tables and the ahead-of-time compiled
// validator that scripts/build-grammar.mjs wrote to build/grammar/. Loaded lazily, once per
// dialect, synchronously (a require of plain files: no schema is compiled at start-up).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtGrammarDir } from '../paths.js';
import type { DialectName } from '../types.js';

export type Flow = 'continue' | 'terminal' | 'action' | 'gather' | 'record';

/** An attribute's JSON Schema, with the grammar's own annotation keywords. */
export interface AttributeSchema {
  type?: string | string[];
  enum?: readonly unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
  'x-list'?: readonly string[];
  'x-severity'?: 'warning' | 'info';
  'x-code'?: number;
  'x-hint'?: string;
  'x-deprecated'?: string;
  'x-format'?: string;
  /** The engine accepts the enum's values in any letter case; another spelling is a warning with a fix. */
  'x-any-case'?: boolean;
  /** URL schemes a `url` value may use, when not just http and https. */
  'x-schemes'?: readonly string[];
  /** Why the runtime does not honour the attribute yet: on every backend, or per backend name. Absent: honoured. */
  'x-runtime'?: string | Readonly<Record<string, string>>;
}

/**
 * One requirement of an element (grammar/README.md, `requires`): met when any `anyOf` item holds:
 * `text`, `children`, `<Id>` (a child of that definition), `@name` or `@name=value`.
 */
export interface Requirement {
  anyOf: readonly string[];
  /** Only when this attribute is there (`@name` or `@name=value`). */
  if?: string;
  /** Only inside these definitions. */
  parents?: readonly string[];
  severity?: 'error' | 'warning' | 'info';
  code?: number;
  hint?: string;
  why?: string;
}

export interface ElementDef {
  tag: string;
  description: string;
  source: string;
  verb: boolean;
  flow: Flow;
  text: { required: boolean; description: string; format: string | null; schemes?: readonly string[] } | null;
  children: string[];
  /** Free-form content: any elements may nest here, unchecked (SignalWire's SWAIG metadata). */
  anyChildren: boolean;
  /** What the element must hold beyond its schema (grammar `requires`; the lint rule of that name). */
  requires: readonly Requirement[];
  /** Accepted, not run by didml's runtime: why (grammar `x-runtime` on an element). */
  runtime?: string;
  /** Children not run in this parent, by definition id or `Id[attribute]`: why (grammar `x-runtime-children`). */
  runtimeChildren?: Readonly<Record<string, string>>;
  /** Lower-cased tag → definition id, for the children this element allows. */
  childTags: Record<string, string>;
  attributes: Record<string, AttributeSchema>;
}

export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** The projection the validator checks: what an element means, without positions. */
export interface Projected {
  name: string;
  /** The grammar definition, when it is not the name (DIDML's top-level <queue> is `Dequeue`). */
  def?: string;
  attributes: Record<string, unknown>;
  text: string;
  children: Projected[];
}

export interface ValidateFunction {
  (data: Projected): boolean;
  errors?: AjvError[] | null;
}

export interface Grammar {
  dialect: DialectName;
  title: string;
  extends: DialectName | null;
  caseSensitive: boolean;
  /**
   * `required`: the engine refuses a document that is not well-formed (Twilio 12100), so every
   * recovery is an error; `recovered`: it runs what a lenient parser makes of it (DIDforSale).
   */
  wellFormed: 'required' | 'recovered';
  root: string;
  attributeAliases: Record<string, string>;
  elements: Record<string, ElementDef>;
  /** Lower-cased tag → every definition id with that tag. */
  tags: Record<string, string[]>;
}

export const DIALECTS: readonly DialectName[] = ['twiml', 'didml', 'texml', 'cxml', 'plivo'];

export function isDialect(name: string): name is DialectName {
  return (DIALECTS as readonly string[]).includes(name);
}

const require = createRequire(import.meta.url);
const grammars = new Map<DialectName, Grammar>();
const validators = new Map<DialectName, ValidateFunction>();

function builtFile(dialect: DialectName, suffix: string): string {
  const file = join(builtGrammarDir, `${dialect}.${suffix}`);
  if (!existsSync(file)) {
    throw new Error(
      `didml: the grammar for ${dialect} is not built (${file} is missing). Run \`npm run build\` in the didml package.`,
    );
  }
  return file;
}

export function loadGrammar(dialect: DialectName): Grammar {
  let g = grammars.get(dialect);
  if (!g) {
    g = require(builtFile(dialect, 'index.json')) as Grammar;
    grammars.set(dialect, g);
  }
  return g;
}

export function loadValidator(dialect: DialectName): ValidateFunction {
  let v = validators.get(dialect);
  if (!v) {
    const mod = require(builtFile(dialect, 'validate.cjs')) as { default: ValidateFunction };
    v = mod.default;
    validators.set(dialect, v);
  }
  return v;
}

/** The full JSON Schema of a document in this dialect (for `didml schema`). */
export function loadDocumentSchema(dialect: DialectName): Record<string, unknown> {
  return require(builtFile(dialect, 'schema.json')) as Record<string, unknown>;
}

/** Lower-cased attribute name → the grammar's spelling, per element (cached). */
const attrLowerCache = new WeakMap<ElementDef, Map<string, string>>();
export function attributeByLowerName(def: ElementDef): Map<string, string> {
  let m = attrLowerCache.get(def);
  if (!m) {
    m = new Map(Object.keys(def.attributes).map((a) => [a.toLowerCase(), a]));
    attrLowerCache.set(def, m);
  }
  return m;
}

/**
 * Why the runtime does not run this child in this parent (grammar `x-runtime` on the child,
 * `x-runtime-children` on the parent: by id, or `Id[attribute]` when the child writes that
 * attribute, named in the answer: the child runs, without it); undefined when it runs.
 */
export function childNotRun(
  parent: ElementDef | undefined,
  childId: string,
  child: ElementDef | undefined,
  writes: (attribute: string) => boolean,
): { why: string; attribute?: string } | undefined {
  if (child?.runtime) return { why: child.runtime };
  const marks = parent?.runtimeChildren;
  if (!marks) return undefined;
  if (marks[childId]) return { why: marks[childId] };
  for (const [key, why] of Object.entries(marks)) {
    const m = /^([^[]+)\[([^\]]+)\]$/.exec(key);
    if (m && m[1] === childId && writes(m[2]!)) return { why, attribute: m[2]! };
  }
  return undefined;
}
