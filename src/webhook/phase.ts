// Where in an exchange a transport failure happened: before the request reached the app
// (`connect`: refused, unresolvable, connect timeout, TLS) or after (`read`: no answer, a stalled
// body, a connection dropped mid-answer). Twilio's retry policy (`rp`) tells the two apart
// (`ct`, `rt`), and only a connect failure is safe to retry by default: the app never saw the
// request. Transports mark their errors; an unmarked one is judged by its code.
import type { DidmlError } from '../errors.js';

export type FailurePhase = 'connect' | 'read';

const phases = new WeakMap<DidmlError, FailurePhase>();

export function markPhase(error: DidmlError, phase: FailurePhase): DidmlError {
  phases.set(error, phase);
  return error;
}

export function phaseOf(error: DidmlError): FailurePhase | undefined {
  return phases.get(error) ?? (error.code === 'DIDML_WEBHOOK_CONNECT' ? 'connect' : error.code === 'DIDML_WEBHOOK_TIMEOUT' ? 'read' : undefined);
}
