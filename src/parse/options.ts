import type { BadByte } from './bytes.js';

export interface ParseOptions {
  /** Twilio refuses documents over 64 KiB; reading stops there. Default 65536. */
  maxBytes?: number;
  /**
   * Elements nested deeper than this are dropped with an error. Default 32, at most 256: the
   * checks that walk the tree (lint, the schema, fmt) recurse, and a deeper tree would overflow
   * their stack.
   */
  maxDepth?: number;
  /** Attributes per element beyond this are dropped with an error. Default 64. */
  maxAttributes?: number;
  /** Every recovery's diagnostic becomes an error (its fix stays). */
  strict?: boolean;
  /**
   * Text given as a string was decoded from bytes by the caller (decodeBytes), which met this
   * byte that is not in the encoding: reported at its place, as bytes given to the parser are.
   */
  badByte?: BadByte;
  /** The expected root element. Default `Response`. */
  rootName?: string;
  /**
   * Lower-cased element names the dialect knows. Only used to decide that a document without
   * its root (`<Say>…</Say>`) clearly meant one, so that it can be wrapped in a virtual root.
   */
  knownTags?: ReadonlySet<string>;
}

export interface Settings {
  maxBytes: number;
  maxDepth: number;
  maxAttributes: number;
  strict: boolean;
  rootName: string;
  knownTags: ReadonlySet<string> | undefined;
  badByte: BadByte | undefined;
}

/** The deepest tree a caller may ask for (see ParseOptions.maxDepth). */
export const MAX_DEPTH = 256;

function limit(value: number | undefined, fallback: number): number {
  return value !== undefined && value >= 0 && !Number.isNaN(value) ? value : fallback;
}

export function settings(options: ParseOptions = {}): Settings {
  return {
    maxBytes: limit(options.maxBytes, 65536),
    maxDepth: Math.min(MAX_DEPTH, Math.max(1, limit(options.maxDepth, 32))),
    maxAttributes: limit(options.maxAttributes, 64),
    strict: options.strict ?? false,
    rootName: options.rootName || 'Response',
    knownTags: options.knownTags,
    badByte: options.badByte,
  };
}
