// Bytes → text for the parser: a streaming UTF-8 decoder that keeps a BOM in the text (offsets
// must match what the user's editor shows), turns invalid bytes into U+FFFD and remembers where
// the first one was, and stops at the byte limit.

/** Validates UTF-8 as it streams by, counting the UTF-16 units the valid prefix decodes to. */
export class Utf8Check {
  private need = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private seqUnits = 1;
  private units = 0;
  private bytes = 0;
  /** Byte offset where the sequence being read began. */
  private seqStart = 0;
  /** UTF-16 offset in the decoded text and byte offset of the first invalid sequence. */
  firstBad: { offset: number; byte: number } | undefined;

  feed(chunk: Uint8Array): void {
    if (this.firstBad) return;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.need === 0) {
        if (b < 0x80) {
          this.units++;
        } else if (b >= 0xc2 && b <= 0xdf) {
          this.start(1, 0x80, 0xbf, 1, i);
        } else if (b >= 0xe0 && b <= 0xef) {
          // Overlong forms (E0 80–9F) and surrogates (ED A0–BF) are invalid (WHATWG Encoding).
          this.start(2, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf, 1, i);
        } else if (b >= 0xf0 && b <= 0xf4) {
          this.start(3, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf, 2, i);
        } else {
          this.bad(i);
          return;
        }
      } else if (b < this.lower || b > this.upper) {
        this.bad(i);
        return;
      } else {
        this.lower = 0x80;
        this.upper = 0xbf;
        if (--this.need === 0) this.units += this.seqUnits;
      }
    }
    this.bytes += chunk.length;
  }

  /** Text that arrived already decoded: count it, and start afresh after it. */
  skip(units: number): void {
    this.need = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
    this.units += units;
  }

  /** The input ended: a sequence cut short is invalid too. */
  end(): void {
    if (!this.firstBad && this.need > 0) this.firstBad = { offset: this.units, byte: this.seqStart };
  }

  private start(need: number, lower: number, upper: number, units: number, i: number): void {
    this.seqStart = this.bytes + i;
    this.need = need;
    this.lower = lower;
    this.upper = upper;
    this.seqUnits = units;
  }

  /** The bad byte, or the first byte of the sequence it cut short (`E9` in `caf\xE9 ok`). */
  private bad(i: number): void {
    this.firstBad = { offset: this.units, byte: this.need > 0 ? this.seqStart : this.bytes + i };
  }
}

export interface Decoded {
  /** The text read so far. */
  text: string;
  /** Reading stopped at the byte limit. */
  tooLarge: boolean;
  /** Bytes read (up to the limit). */
  bytes: number;
  invalidUtf8: { offset: number; byte: number } | undefined;
  /** Offset of the first unpaired surrogate in text given as a string (now U+FFFD). */
  loneSurrogate: number | undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Feeds chunks in, hands decoded text out; stops at `maxBytes`. */
export class SourceReader {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private readonly check = new Utf8Check();
  private pendingBytes = false;
  private readonly parts: string[] = [];
  private length = 0;
  /** A high surrogate that ended a string chunk: its pair may start the next one. */
  private high = '';
  private loneSurrogate: number | undefined;
  bytes = 0;
  tooLarge = false;

  constructor(private readonly maxBytes: number) {}

  /** Decodes one chunk; returns the new text ('' when nothing new, or once the limit is hit). */
  push(chunk: string | Uint8Array): string {
    if (this.tooLarge) return '';
    let out: string;
    if (typeof chunk === 'string') {
      out = this.flushBytes();
      this.check.skip(out.length);
      chunk = this.wellFormed(this.high + chunk, this.length + out.length, false);
      const size = Buffer.byteLength(chunk, 'utf8');
      if (this.bytes + size > this.maxBytes) {
        // Cut on a character boundary at the limit.
        const room = new Uint8Array(this.maxBytes - this.bytes);
        const { read } = new TextEncoder().encodeInto(chunk, room);
        out += chunk.slice(0, read ?? 0);
        this.check.skip((read ?? 0));
        this.bytes = this.maxBytes;
        this.tooLarge = true;
      } else {
        out += chunk;
        this.check.skip(chunk.length);
        this.bytes += size;
      }
    } else {
      let bytes = chunk;
      if (this.bytes + bytes.length > this.maxBytes) {
        bytes = bytes.subarray(0, this.maxBytes - this.bytes);
        this.tooLarge = true;
      }
      this.bytes += bytes.length;
      this.check.feed(bytes);
      // A character cut by the limit stays in the decoder and is dropped: streaming decode.
      out = this.decoder.decode(bytes, { stream: true });
      this.pendingBytes = true;
    }
    this.keep(out);
    return out;
  }

  /** End of input: flushes a character left incomplete. */
  finish(): string {
    if (this.tooLarge) return '';
    let out = this.flushBytes();
    if (this.high) out += this.wellFormed(this.high, this.length + out.length, true);
    this.keep(out);
    return out;
  }

  /**
   * A JS string can hold an unpaired surrogate, which no UTF-8 document can (saxes would pair it
   * with the next character): it reads as U+FFFD, the same length, like a bad byte. A high
   * surrogate at the end waits for the next chunk, unless this is the last.
   */
  private wellFormed(text: string, offset: number, last: boolean): string {
    this.high = '';
    const c = text.charCodeAt(text.length - 1);
    if (!last && c >= 0xd800 && c <= 0xdbff) {
      this.high = text.slice(-1);
      text = text.slice(0, -1);
    }
    return text.replace(LONE_SURROGATE, (_, at: number) => {
      this.loneSurrogate ??= offset + at;
      return '\uFFFD';
    });
  }

  get decoded(): Decoded {
    const text = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
    this.parts.length = 0;
    if (text) this.parts.push(text);
    return { text, tooLarge: this.tooLarge, bytes: this.bytes, invalidUtf8: this.check.firstBad, loneSurrogate: this.loneSurrogate };
  }

  get textLength(): number {
    return this.length;
  }

  private flushBytes(): string {
    if (!this.pendingBytes) return '';
    this.pendingBytes = false;
    this.check.end();
    return this.decoder.decode();
  }

  private keep(out: string): void {
    if (out) {
      this.parts.push(out);
      this.length += out.length;
    }
  }
}
