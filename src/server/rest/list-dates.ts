// The dates of Twilio's list filters (Calls' StartTime/EndTime, Conferences' DateCreated/
// DateUpdated): `YYYY-MM-DD` (a UTC day: its first or last millisecond, by `edge`) or an ISO 8601
// date-time; anything else is a 400 naming the parameter.
import { CODES } from './errors.js';

const DAY = 86_400_000;

export function time(key: string, value: string, edge: 'start' | 'end', code: number = CODES.callsResource): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) {
    throw Object.assign(new Error(`${key} "${value}" is not a date (YYYY-MM-DD) or an ISO 8601 date-time`), { statusCode: 400, twilioCode: code });
  }
  return dateOnly && edge === 'end' ? ms + DAY - 1 : ms;
}

