// Twilio-shaped ids: a two-letter prefix and 32 hex digits (CallSid "CA…", 34 characters).
import { randomUUID } from 'node:crypto';

export type IdGenerator = (prefix: string) => string;

// randomUUID draws from a cached pool (far cheaper than randomBytes per id); 122 random bits.
export const randomIds: IdGenerator = (prefix) => prefix + randomUUID().replaceAll('-', '');

/** Deterministic ids for transcripts that must compare equal run after run. */
export function sequentialIds(seed = 0): IdGenerator {
  let n = seed;
  return (prefix) => prefix + (n++).toString(16).padStart(32, '0');
}
