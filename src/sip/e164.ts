// E.164: a '+', a country code that does not start with 0, at most 15 digits in all.
// https://www.itu.int/rec/T-REC-E.164 ; Twilio's docs ask for E.164 and also accept
// unformatted US numbers such as (415) 555-1212, so a non-E.164 number is a warning.
export const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(s: string): boolean {
  return E164.test(s);
}

/** A guess at the E.164 form of a US/NANP number written loosely, or undefined. */
export function nanpToE164(s: string): string | undefined {
  const digits = s.replace(/[\s().-]/g, '');
  if (/^\d{10}$/.test(digits) && /^[2-9]/.test(digits)) return `+1${digits}`;
  if (/^1\d{10}$/.test(digits) && /^1[2-9]/.test(digits)) return `+${digits}`;
  return undefined;
}
