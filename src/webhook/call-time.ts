// How much of a request's real time the call's clock counts. On Twilio a caller waits in silence
// while the app answers (up to its 15 s timeout), so in virtual time a slow request must cost the
// call its time too. Only network requests count (the client sets `waitedMs`): a folder or
// in-process app answers at once. A request answered within a second costs nothing: the few
// milliseconds a loopback app takes would otherwise make every transcript's times differ from run
// to run. Longer ones count to the tenth of a second below (a 2 s `#rt=2000` timeout costs 2.0 s).
import type { FetchOutcome } from './types.js';

/** Real time below this is not counted. */
export const UNCOUNTED_MS = 1000;
const STEP_MS = 100;

/** Milliseconds of call time a finished request took: its `waitedMs` (network time, scripted latency). */
export function callTimeOf(outcome: FetchOutcome): number {
  const ms = (outcome.ok ? outcome.document.waitedMs : outcome.failure.waitedMs) ?? 0;
  return ms < UNCOUNTED_MS ? 0 : Math.floor(ms / STEP_MS) * STEP_MS;
}
