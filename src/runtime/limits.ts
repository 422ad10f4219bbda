// Limits that keep a bad app from hurting the runtime. Each, when reached, ends the call cleanly
// with a logged reason (DidmlError DIDML_LIMIT, an `error` in the transcript). The ones an app
// runs into (documents, redirects in a row, verbs) are its fatal errors: the caller first hears
// the application-error message, as after a failed fetch; the call length ends the call as
// Twilio's time limit does, without it. Twilio publishes none of these numbers; the defaults are
// generous for real flows and small enough to stop a loop within seconds.

export interface Limits {
  /** Documents fetched in one call (the first, actions, Redirects, fallbacks). */
  maxDocuments: number;
  /** Documents fetched in a row with no verb in between that took call time (a Redirect loop). */
  maxRedirects: number;
  /** Verbs in one document. */
  maxVerbsPerDocument: number;
  /** Seconds a call may last in all (Twilio's Dial timeLimit default is 4 h). */
  maxCallSeconds: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDocuments: 200,
  maxRedirects: 20,
  maxVerbsPerDocument: 100,
  maxCallSeconds: 4 * 3600,
};
