// Twilio-shaped ids: a two-letter prefix and 32 hex digits (CallSid "CA…", 34 characters).
import { randomBytes } from 'node:crypto';

export type IdGenerator = (prefix: string) => string;

export const randomIds: IdGenerator = (prefix) => prefix + randomBytes(16).toString('hex');

/** Deterministic ids for transcripts that must compare equal run after run. */
export function sequentialIds(seed = 0): IdGenerator {
  let n = seed;
  return (prefix) => prefix + (n++).toString(16).padStart(32, '0');
}
