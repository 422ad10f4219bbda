// The error a call request answers with, wherever it is raised: the call service, the owner of a
// call on another instance (sent back over the state store), or the store itself when it cannot
// be reached. Twilio's code and the HTTP status travel with it (the REST layer answers with both).
export class CallRequestError extends Error {
  override name = 'CallRequestError';
  constructor(
    readonly code: number,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Twilio's 20503 (Service Unavailable): the shared state cannot be reached, or a call's owner does not answer. */
export const unavailable = (message: string): CallRequestError => new CallRequestError(20503, 503, message);
