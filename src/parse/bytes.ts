// Bytes → text for whoever reads a document before the parser does (a file, an HTTP answer),
// keeping what the decoder replaced: the first byte that is not in the document's encoding, so
// the parser can report it at its place instead of running U+FFFD silently. The encoding is the
// one the transport names (an HTTP charset), else the XML declaration's, else UTF-8 (XML's default).
import { Utf8Check } from './decode.js';

/** The first byte the decoder could not read, and where it landed in the text. */
export interface BadByte {
  /** UTF-16 offset in the decoded text (where the replacement character stands). */
  offset: number;
  /** Byte offset in the input. */
  byte: number;
  /** The encoding it is not valid in, as WHATWG names it (`utf-8`, `windows-1252`). */
  encoding: string;
}

export interface DecodedBytes {
  text: string;
  encoding: string;
  bad?: BadByte;
}

const DECLARATION = /^(?:\xEF\xBB\xBF)?<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/;

/** The encoding an XML declaration at the start of these bytes names, as TextDecoder knows it. */
export function declaredEncoding(bytes: Uint8Array): string | undefined {
  // The declaration is ASCII in every encoding a declaration can be read in without a BOM.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 256)).toString('latin1');
  const label = DECLARATION.exec(head)?.[1];
  return label ? whatwg(label) : undefined;
}

function whatwg(label: string): string | undefined {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return undefined;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeBytes(bytes: Uint8Array, charset?: string): DecodedBytes {
  const encoding = (charset && whatwg(charset)) || declaredEncoding(bytes) || 'utf-8';
  if (encoding === 'utf-8') {
    // The common case in one native pass; the byte-by-byte check only finds where it failed.
    try {
      return { text: strictUtf8.decode(bytes), encoding };
    } catch {
      return { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), encoding, ...withBad(badUtf8(bytes)) };
    }
  }
  // ignoreBOM keeps a BOM in the text: offsets must match what the user's editor shows.
  const text = new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes);
  return { text, encoding, ...withBad(badByte(bytes, encoding)) };
}

const withBad = (bad: BadByte | undefined) => (bad ? { bad } : {});

function badUtf8(bytes: Uint8Array): BadByte | undefined {
  const check = new Utf8Check();
  check.feed(bytes);
  check.end();
  return check.firstBad ? { ...check.firstBad, encoding: 'utf-8' } : undefined;
}

/** The first byte a strict decoder refuses (a binary search over prefixes: only on the failure path). */
function badByte(bytes: Uint8Array, encoding: string): BadByte | undefined {
  const reads = (n: number, stream: boolean) => {
    try {
      new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, n), { stream });
      return true;
    } catch {
      return false;
    }
  };
  if (reads(bytes.length, false)) return undefined;
  // The longest prefix that reads (a sequence cut short at the end reads while streaming).
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (reads(mid, true)) lo = mid;
    else hi = mid - 1;
  }
  // Back to where the bad sequence began: the last prefix of whole characters (a few bytes at most).
  let byte = lo;
  while (byte > 0 && !reads(byte, false)) byte--;
  const offset = new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes.subarray(0, byte)).length;
  return { offset, byte, encoding };
}
