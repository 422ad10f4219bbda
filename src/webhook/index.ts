// The webhook layer's public parts: the client the runtime uses, the transports it can run on,
// and the pieces an app author or a benchmark needs (signing, encoding, overrides).
export type * from './types.js';
export { createWebhookClient, DEFAULT_MAX_BYTES, DEFAULT_MAX_REDIRECTS, DEFAULT_USER_AGENT } from './client.js';
export { createHttpTransport, type HttpTransport, type HttpTransportOptions } from './http.js';
export { folderTransport, folderAppUrl, appSpaceUrl, resolveAppFile } from './folder.js';
export { handlerTransport, type HandlerRequest, type HandlerResult, type WebhookHandler } from './handler.js';
export { DEVELOPMENT_AUTH_TOKEN, signRequest, validateSignature, signingPayload, type SignedParams } from './signature.js';
export {
  FORM_CONTENT_TYPE,
  OVERRIDE_BOUNDS,
  TWILIO_CONNECTION_DEFAULTS,
  appendQuery,
  encodeForm,
  parseForm,
  parseConnectionOverrides,
  type ConnectionOverrides,
  type ConnectionSettings,
  type RetryOn,
} from './params.js';
export { documentKind, type DocumentKind } from './content-type.js';
export { FOLLOWED_STATUSES } from './redirect.js';
export { requestTarget, type RequestTarget } from './url.js';
export { markPhase, type FailurePhase } from './phase.js';
export { BUILT_IN_DENY, guardedLookup, hostPolicy, type HostPolicy, type HostPolicyOptions } from './hosts.js';
export { CookieJar } from './cookies.js';
