#!/usr/bin/env node
// Builds build/grammar/ from grammar/*.json (see grammar/README.md):
//   <dialect>.schema.json   the complete JSON Schema of a document in that dialect
//   <dialect>.validate.cjs  the ajv validator for it, compiled ahead of time (standalone code)
//   <dialect>.index.json    lookup tables for the parser, linter and runtime
// Runs in `npm run build` and before `npm test`; it is plain JS so it needs no compile step.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const grammarDir = join(root, 'grammar');
const outDir = join(root, 'build', 'grammar');

/** Annotation keywords of the grammar format; ajv must know them to run in strict mode. */
export const ANNOTATIONS = ['x-list', 'x-severity', 'x-code', 'x-hint', 'x-deprecated', 'x-format', 'x-any-case', 'x-schemes', 'x-runtime'];

/** RFC 7396 JSON Merge Patch. */
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Checks a dialect file, as written, against grammar/grammar.schema.json (typos, misplaced keys). */
let checkFile;
function checkAgainstMetaSchema(name, data) {
  checkFile ??= new Ajv({ allErrors: true, strict: true }).compile(readJson(join(grammarDir, 'grammar.schema.json')));
  if (checkFile(data)) return;
  const problems = checkFile.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
  throw new Error(`grammar/${name}.json does not follow grammar/grammar.schema.json:\n  ${problems.join('\n  ')}`);
}

/** Loads a dialect, applying its patch to the dialect it extends. */
function loadDialect(name, seen = new Set()) {
  if (seen.has(name)) throw new Error(`grammar: "${name}" extends itself through ${[...seen].join(' → ')}`);
  seen.add(name);
  const own = readJson(join(grammarDir, `${name}.json`));
  checkAgainstMetaSchema(name, own);
  if (!own.extends) return own;
  const base = loadDialect(own.extends, seen);
  const merged = mergePatch(base, own);
  merged.extends = own.extends;
  return merged;
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A shared type referenced by `{"$ref": "#/$defs/<type>"}`, merged under the attribute's own keywords. */
function resolveType(g, schema) {
  if (!schema?.$ref) return schema;
  const { $ref, ...own } = schema;
  return { ...g.types[$ref.replace('#/$defs/', '')], ...own };
}

/**
 * Expands the grammar's own keywords into plain JSON Schema (x-list → type + pattern).
 * Shared types are inlined rather than referenced: ajv applies `default` only where it is
 * written, not through a $ref.
 */
function expandAttribute(g, schema) {
  if (!schema || typeof schema !== 'object') return schema;
  const out = { ...resolveType(g, schema) };
  if (Array.isArray(out['x-list'])) {
    const one = `(?:${out['x-list'].map(escapeRe).join('|')})`;
    out.type = 'string';
    out.pattern = `^\\s*${one}(?:\\s+${one})*\\s*$`;
  }
  return out;
}

/** A default the attribute's own schema rejects (the runtime would act on a value no document may hold). */
let defaultsAjv;
function badDefault(g, schema) {
  if (!schema || schema.default === undefined) return null;
  if (!defaultsAjv) {
    defaultsAjv = new Ajv({ strict: true, allErrors: false });
    for (const keyword of ANNOTATIONS) defaultsAjv.addKeyword({ keyword, schemaType: ['string', 'number', 'array', 'boolean', 'object'] });
  }
  const { default: value, ...rest } = expandAttribute(g, schema);
  const validate = defaultsAjv.compile(rest);
  return validate(value) ? null : `default ${JSON.stringify(value)} is not a value of its own schema (${defaultsAjv.errorsText(validate.errors)})`;
}

/**
 * A `requires` entry that names what its element does not have (an attribute a dialect removed,
 * a child not allowed there) could never be met, or never be checked: refuse it.
 */
function requirementProblems(g, id, el, req) {
  const problems = [];
  const item = (s) => {
    if (s === 'text') return el.text ? null : 'text, but the element takes none';
    if (s === 'children') return el.children?.length ? null : 'children, but the element takes none';
    if (s.startsWith('<')) {
      const child = s.slice(1, -1);
      return el.children?.includes(child) ? null : `${s}, which is not among its children`;
    }
    const attr = s.slice(1).split('=')[0];
    return attr in (el.attributes ?? {}) ? null : `${s}, which is not one of its attributes`;
  };
  for (const s of [...req.anyOf, ...(req.if ? [req.if] : [])]) {
    const problem = item(s);
    if (problem) problems.push(`${id}: requires ${problem}`);
  }
  for (const p of req.parents ?? []) {
    if (!g.elements[p]?.children?.includes(id)) problems.push(`${id}: requires is limited to parent "${p}", which cannot hold it`);
  }
  return problems;
}

/** Checks what JSON Schema cannot: references between elements, defaults against their schemas. */
function check(g) {
  const problems = [];
  const els = g.elements ?? {};
  if (!els[g.root]) problems.push(`root "${g.root}" is not an element`);
  for (const [id, el] of Object.entries(els)) {
    const seen = new Map();
    for (const child of el.children ?? []) {
      if (!els[child]) { problems.push(`${id}: child "${child}" is not an element`); continue; }
      const tag = (els[child].tag ?? child).toLowerCase();
      if (seen.has(tag)) problems.push(`${id}: children "${seen.get(tag)}" and "${child}" share the tag <${tag}>`);
      seen.set(tag, child);
    }
    if (el.anyChildren && el.children?.length) problems.push(`${id}: anyChildren and a children list exclude each other`);
    for (const req of el.requires ?? []) problems.push(...requirementProblems(g, id, el, req));
    for (const [attr, schema] of Object.entries(el.attributes ?? {})) {
      if (schema?.$ref && !g.types?.[schema.$ref.replace('#/$defs/', '')]) {
        problems.push(`${id}@${attr}: unknown type ${schema.$ref}`);
        continue;
      }
      const problem = badDefault(g, schema);
      if (problem) problems.push(`${id}@${attr}: ${problem}`);
    }
  }
  if (problems.length) throw new Error(`grammar ${g.dialect}:\n  ${problems.join('\n  ')}`);
}

/** The JSON Schema of a whole document, one definition per element. */
function documentSchema(g) {
  const defs = {};
  for (const [id, el] of Object.entries(g.elements)) {
    const tag = el.tag ?? id;
    const attributes = {};
    for (const [attr, schema] of Object.entries(el.attributes ?? {})) attributes[attr] = expandAttribute(g, schema);
    const text = el.text
      ? { type: 'string', ...(el.text.required ? { minLength: 1 } : {}), ...(el.text.schema ?? {}) }
      : { type: 'string', maxLength: 0 };
    // anyChildren: free-form content (SignalWire's SWAIG <Function> metadata), accepted unchecked.
    const children = el.children?.length
      ? { type: 'array', items: { $ref: `#/$defs/${id}~children` } }
      : el.anyChildren
        ? { type: 'array', items: { type: 'object' } }
        : { type: 'array', maxItems: 0 };
    defs[id] = {
      ...(el.description ? { description: el.description } : {}),
      type: 'object',
      required: ['name'],
      properties: {
        name: { const: tag },
        attributes: { type: 'object', properties: attributes, additionalProperties: false },
        text,
        children,
      },
    };
    if (el.children?.length) {
      defs[`${id}~children`] = {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' } },
        discriminator: { propertyName: 'name' },
        oneOf: el.children.map((c) => ({ $ref: `#/$defs/${c}` })),
      };
    }
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://didml.dev/grammar/${g.dialect}.schema.json`,
    title: `${g.title}: a document`,
    description:
      'A call-control document as didml sees it: every element is {name, attributes, text, children}. ' +
      'Generated from grammar/ by scripts/build-grammar.mjs; do not edit.',
    $ref: `#/$defs/${g.root}`,
    $defs: defs,
  };
}

/** Lookup tables: tag → definition per parent, attributes by lower-case name, flow. */
function indexOf(g) {
  const elements = {};
  const tags = {};
  for (const [id, el] of Object.entries(g.elements)) {
    const tag = el.tag ?? id;
    (tags[tag.toLowerCase()] ??= []).push(id);
    const childTags = {};
    for (const c of el.children ?? []) childTags[(g.elements[c].tag ?? c).toLowerCase()] = c;
    const attributes = {};
    for (const [attr, schema] of Object.entries(el.attributes ?? {})) {
      attributes[attr] = resolveType(g, schema);
    }
    elements[id] = {
      tag,
      description: el.description ?? '',
      source: el.source ?? '',
      verb: Boolean(el.verb),
      flow: el.flow ?? 'continue',
      text: el.text
        ? {
            required: Boolean(el.text.required),
            description: el.text.description ?? '',
            format: el.text.format ?? null,
            ...(el.text.schemes ? { schemes: el.text.schemes } : {}),
          }
        : null,
      children: el.children ?? [],
      anyChildren: Boolean(el.anyChildren),
      requires: el.requires ?? [],
      ...(el['x-runtime'] ? { runtime: el['x-runtime'] } : {}),
      ...(el['x-runtime-children'] ? { runtimeChildren: el['x-runtime-children'] } : {}),
      childTags,
      attributes,
    };
  }
  return {
    dialect: g.dialect,
    title: g.title,
    extends: g.extends ?? null,
    caseSensitive: g.caseSensitive !== false,
    wellFormed: g.wellFormed ?? 'required',
    root: g.root,
    attributeAliases: g.attributeAliases ?? {},
    elements,
    tags,
  };
}

export function buildDialect(name) {
  const g = loadDialect(name);
  check(g);
  const schema = documentSchema(g);
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: true,
    useDefaults: true,
    discriminator: true,
    strict: true,
    code: { source: true, optimize: true },
  });
  for (const keyword of ANNOTATIONS) ajv.addKeyword({ keyword, schemaType: ['string', 'number', 'array', 'boolean', 'object'] });
  const validate = ajv.compile(schema);
  return { grammar: g, schema, code: standaloneCode(ajv, validate), index: indexOf(g) };
}

function newestMtime(dir) {
  return Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
}

function main() {
  const force = process.argv.includes('--force');
  const dialects = readdirSync(grammarDir)
    .filter((f) => f.endsWith('.json') && !f.includes('.schema.'))
    .map((f) => f.slice(0, -'.json'.length));
  mkdirSync(outDir, { recursive: true });
  let stamp = 0;
  try { stamp = statSync(join(outDir, 'STAMP')).mtimeMs; } catch { /* first build */ }
  const selfMtime = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  if (!force && stamp > newestMtime(grammarDir) && stamp > selfMtime) return;
  for (const name of dialects) {
    const { schema, code, index } = buildDialect(name);
    writeFileSync(join(outDir, `${name}.schema.json`), JSON.stringify(schema, null, 2) + '\n');
    writeFileSync(join(outDir, `${name}.validate.cjs`), code);
    writeFileSync(join(outDir, `${name}.index.json`), JSON.stringify(index));
  }
  writeFileSync(join(outDir, 'STAMP'), new Date().toISOString() + '\n');
  console.error(`didml: built grammar for ${dialects.join(', ')} in build/grammar/`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
