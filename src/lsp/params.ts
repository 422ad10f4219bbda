// Checks of what a client sends. A request with bad params gets InvalidParams naming the field;
// the same checks on a notification (which has no reply) end up in the client's log.
import { ErrorCodes, ResponseError, type Position } from 'vscode-languageserver';

export const invalid = (message: string) => new ResponseError(ErrorCodes.InvalidParams, message);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function objectAt(params: unknown, key: string): Record<string, unknown> {
  const v = isObject(params) ? params[key] : undefined;
  if (!isObject(v)) throw invalid(`${key}: must be an object`);
  return v;
}

export function uriOf(params: unknown): string {
  const uri = objectAt(params, 'textDocument')['uri'];
  if (typeof uri !== 'string' || !uri) throw invalid('textDocument.uri: must be a document URI such as file:///app/voice.xml');
  return uri;
}

export function versionOf(params: unknown): number {
  const version = objectAt(params, 'textDocument')['version'];
  if (typeof version !== 'number' || !Number.isInteger(version)) throw invalid('textDocument.version: must be a whole number');
  return version;
}

export function positionAt(value: unknown, where: string): Position {
  if (!isObject(value)) throw invalid(`${where}: must be {line, character}`);
  for (const k of ['line', 'character'] as const) {
    const n = value[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw invalid(`${where}.${k}: must be a whole number, 0 or more`);
  }
  return { line: value['line'] as number, character: value['character'] as number };
}

export function rangeAt(value: unknown, where: string): { start: Position; end: Position } {
  if (!isObject(value)) throw invalid(`${where}: must be {start, end}`);
  return { start: positionAt(value['start'], `${where}.start`), end: positionAt(value['end'], `${where}.end`) };
}

export function stringAt(value: unknown, where: string): string {
  if (typeof value !== 'string') throw invalid(`${where}: must be a string`);
  return value;
}

/** didChange's contentChanges: each a whole new text, or a range and its replacement. */
export function contentChanges(params: unknown): ({ text: string } | { range: { start: Position; end: Position }; text: string })[] {
  const changes = isObject(params) ? params['contentChanges'] : undefined;
  if (!Array.isArray(changes)) throw invalid('contentChanges: must be an array');
  return changes.map((c: unknown, i) => {
    if (!isObject(c)) throw invalid(`contentChanges[${i}]: must be {text} or {range, text}`);
    const text = stringAt(c['text'], `contentChanges[${i}].text`);
    return c['range'] === undefined ? { text } : { range: rangeAt(c['range'], `contentChanges[${i}].range`), text };
  });
}
