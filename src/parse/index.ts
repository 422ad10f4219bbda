// didml's XML parser: one saxes pass builds the element tree with exact source positions;
// recoveries from malformed XML (src/parse/recover/) each report what they did and how to fix it.
import type { Document } from '../types.js';
import { SourceReader } from './decode.js';
import { declaredEncoding, decodeBytes } from './bytes.js';
import { buildDocument, toDiagnostics } from './document.js';
import { settings as resolveSettings, type ParseOptions, type Settings } from './options.js';
import { Pass } from './pass.js';
import { EditedText } from './edits.js';
import * as problems from './problems.js';
import { runRounds } from './rounds.js';

export type { ParseOptions } from './options.js';
export { decodeBytes, type BadByte, type DecodedBytes } from './bytes.js';
export { LineIndex, lineIndex, rangeOf } from './positions.js';
export { recoveries } from './recover/index.js';

/** Reads input chunk by chunk, parsing as it goes. */
class Session {
  private readonly reader: SourceReader;
  private readonly first: Pass;

  constructor(private readonly settings: Settings) {
    this.reader = new SourceReader(settings.maxBytes);
    // The first pass reads the original as it arrives; offsets in it are the original's.
    this.first = new Pass(settings, EditedText.of(''), new Set());
  }

  /** False once the byte limit is reached: stop reading. */
  push(chunk: string | Uint8Array): boolean {
    const text = this.reader.push(chunk);
    if (text && !this.reader.tooLarge) this.first.write(text);
    return !this.reader.tooLarge;
  }

  finish(): Document {
    const tail = this.reader.finish();
    if (tail) this.first.write(tail);
    const decoded = this.reader.decoded;
    const source = decoded.text;
    if (decoded.tooLarge) {
      const at = source.length;
      return { source, root: null, diagnostics: toDiagnostics(source, [problems.tooLarge(this.settings.maxBytes, { start: at, end: at })], false) };
    }
    this.first.end();
    const { pass, work, recovered } = runRounds(source, this.first, this.settings);
    return buildDocument(source, pass, work, recovered, this.settings, {
      invalidUtf8: decoded.invalidUtf8 ?? this.settings.badByte,
      loneSurrogate: decoded.loneSurrogate,
    });
  }
}

function failed(source: string, err: unknown): Document {
  return { source, root: null, diagnostics: toDiagnostics(source, [problems.internalError(err)], false) };
}

/**
 * Parses a whole document. Never throws: every problem is a diagnostic. Bytes are UTF-8 unless
 * the XML declaration names another encoding.
 */
export function parse(input: string | Uint8Array, options?: ParseOptions): Document {
  if (typeof input !== 'string') {
    const declared = declaredEncoding(input);
    if (declared && declared !== 'utf-8') {
      const { text, bad } = decodeBytes(input, declared);
      return parse(text, { ...options, ...(bad ? { badByte: bad } : {}) });
    }
  }
  const session = new Session(resolveSettings(options));
  try {
    session.push(input);
    return session.finish();
  } catch (err) {
    return failed(typeof input === 'string' ? input : '', err);
  }
}

/** Parses a document given in chunks, as `parseStream` does, synchronously (for tests and fuzzing). */
export function parseChunks(chunks: Iterable<string | Uint8Array>, options?: ParseOptions): Document {
  const session = new Session(resolveSettings(options));
  try {
    for (const chunk of chunks) if (!session.push(chunk)) break;
    return session.finish();
  } catch (err) {
    return failed('', err);
  }
}

/**
 * Parses a document as its chunks arrive (bytes are decoded as UTF-8 as they stream). Reading
 * stops at `maxBytes`. The result is the same as `parse` of the whole input.
 */
export async function parseStream(
  input: AsyncIterable<string | Uint8Array> | NodeJS.ReadableStream,
  options?: ParseOptions,
): Promise<Document> {
  const session = new Session(resolveSettings(options));
  try {
    for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
      if (!session.push(chunk)) break;
    }
  } catch (err) {
    return { source: '', root: null, diagnostics: toDiagnostics('', [problems.readError(err)], false) };
  }
  try {
    return session.finish();
  } catch (err) {
    return failed('', err);
  }
}
