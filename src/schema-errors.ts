// Ajv's errors in words a person can act on, one per mistake, each naming the key as a path
// they can find in their file (`expect[2].dial.headers.X-EI: must be …`), in file order. For
// scenario files (testing/validate.ts) and request bodies (server/http.ts) alike. The schema
// must be compiled with `verbose: true` (the errors carry their schema, for `x-hint`).
import type { ErrorObject } from 'ajv';

/** The problems of `data` that `errors` (from validating it) describe, in the order of its keys. */
export function explainErrors(errors: ErrorObject[], data: unknown): string[] {
  return inFileOrder(explain(errors), data);
}

/** `.name`, or `["odd name"]` for a key that would not read as one. */
export function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** `/expect/2/dial/headers/X-EI` → `expect[2].dial.headers.X-EI`. */
export function instanceName(pointer: string): string {
  if (!pointer) return '(top level)';
  const parts = pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 && /^[A-Za-z_$][\w$-]*$/.test(p) ? p : keyPath(p))).join('');
}

const within = (e: ErrorObject, path: string) => e.instancePath === path || e.instancePath.startsWith(path + '/');

/**
 * Ajv's errors in words, one per mistake. An `anyOf` (a value that may take several forms) fails
 * with an error per form; what helps is the form the user was evidently writing: the errors
 * inside the value when there are any, else the key no form knows, else the schema's `x-hint`.
 */
interface Problem {
  path: string;
  text: string;
}

function explain(errors: ErrorObject[]): Problem[] {
  const out: Problem[] = [];
  let rest = errors;
  for (;;) {
    // The shallowest value that failed; of the anyOfs there, the outermost (ajv lists it last).
    const anyOfs = rest.filter((e) => e.keyword === 'anyOf');
    const depth = Math.min(...anyOfs.map((e) => e.instancePath.length));
    const anyOf = anyOfs.filter((e) => e.instancePath.length === depth).at(-1);
    if (!anyOf) break;
    const path = anyOf.instancePath;
    const inside = rest.filter((e) => e !== anyOf && within(e, path));
    rest = rest.filter((e) => e !== anyOf && !within(e, path));
    const deeper = inside.filter((e) => e.instancePath !== path);
    if (deeper.length) {
      out.push(...explain(deeper));
      continue;
    }
    const unknown = unknownInEveryForm(inside);
    const hint = (anyOf.parentSchema as { 'x-hint'?: string } | undefined)?.['x-hint'] ?? 'does not match any of the forms it may take';
    out.push({ path, text: unknown.length ? `${instanceName(path)}: unknown key ${unknown.map((k) => `"${k}"`).join(', ')}; it ${hint}` : `${instanceName(path)}: ${hint}` });
  }
  for (const e of rest) out.push({ path: e.instancePath, text: describe(e) });
  return out;
}

/** Problems in the order their keys come in the file (ajv reports some forms before others). */
function inFileOrder(problems: Problem[], data: unknown): string[] {
  const rank = (pointer: string): number[] => {
    const out: number[] = [];
    let at: unknown = data;
    for (const part of pointer.split('/').slice(1)) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(at)) out.push(Number(key));
      else if (at !== null && typeof at === 'object') out.push(Object.keys(at).indexOf(key));
      at = (at as Record<string, unknown> | undefined)?.[key];
    }
    return out;
  };
  const before = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  };
  const sorted = problems.map((p) => ({ ...p, rank: rank(p.path) })).sort((a, b) => before(a.rank, b.rank));
  return [...new Set(sorted.map((p) => p.text))];
}

/** Keys that every object form of an anyOf refused: the ones the user misspelt. */
function unknownInEveryForm(errors: ErrorObject[]): string[] {
  const forms = new Map<string, Set<string>>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const form = e.schemaPath;
    if (!forms.has(form)) forms.set(form, new Set());
    forms.get(form)!.add(String((e.params as { additionalProperty: string }).additionalProperty));
  }
  const sets = [...forms.values()];
  if (!sets.length) return [];
  return [...sets[0]!].filter((k) => sets.every((s) => s.has(k)));
}

function describe(e: ErrorObject): string {
  const where = instanceName(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p['additionalProperty']);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter((k) => k !== '$schema');
      const near = known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2);
      return `${where}: unknown key "${key}" (${near ? `did you mean "${near}"?` : `known: ${known.join(', ')}`})`;
    }
    case 'required':
      return `${where}: "${String(p['missingProperty'])}" is required`;
    case 'enum':
      return `${where}: must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${where}: must be ${JSON.stringify(p['allowedValue'])}`;
    case 'type': {
      const t = String(p['type']);
      return `${where}: must be ${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
    }
    default: {
      const hint = (e.parentSchema as { 'x-hint'?: string } | undefined)?.['x-hint'];
      return `${where}: ${hint ?? e.message ?? 'is not valid'}`;
    }
  }
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}
