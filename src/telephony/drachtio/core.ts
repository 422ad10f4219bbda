// What the verb modules of the drachtio backend (dial.ts, refer.ts, media-ops.ts) may use of
// their call leg, as the mock's LegContext does for its own: the modules never reach into the
// leg's fields, and the leg keeps its state (answered, ended, the caller's dialog) in one place.
import type { Clock } from '../../clock.js';
import type { HostPolicy } from '../../webhook/hosts.js';
import type { Logger } from '../../log.js';
import type { DrachtioConfig } from './config.js';
import type { MediaEndpoint, MediaServerLink } from './media.js';
import type { Srf, SrfDialog, SrfRequest, SrfResponse } from './srf.js';

export type EndedBy = 'caller' | 'app' | 'backend';

export interface LegCore {
  readonly srf: Srf;
  readonly config: DrachtioConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** The media server, when one is configured (it may be unreachable right now: `media()` says). */
  readonly mediaConfigured: boolean;
  /** The caller's INVITE and the response to it. */
  readonly req: SrfRequest;
  readonly res: SrfResponse;
  /** Aborted when the call ends, whoever ends it. */
  readonly gone: AbortSignal;
  readonly endedBy: EndedBy | undefined;
  /** A 200 OK went to the caller. */
  readonly answered: boolean;
  /** The caller's dialog, once answered. */
  readonly uas: SrfDialog | undefined;
  /** The caller's media endpoint (media server configured and caller answered). */
  readonly endpoint: MediaEndpoint | undefined;
  /** The link to the media server; throws DIDML_TELEPHONY naming `verb` when there is none. */
  media(verb: string): MediaServerLink;
  /** Answers the caller: through the media server when there is one, else when there is an SDP to answer with. */
  answer(): Promise<void>;
  /**
   * No media server: 200 OK to the caller carrying `sdp` (a callee's answer, or an inactive one).
   * `onDialog` runs in the turn the dialog exists, before any request in it can be handled.
   */
  answerWith(sdp: string, onDialog?: (dialog: SrfDialog) => void): Promise<SrfDialog>;
  /** The final code of a Dial attempt that failed: what the caller gets if the app ends the call unanswered. */
  noteDialFailure(code: number): void;
  /** Keys the caller sends as SIP INFO while there is no media endpoint to hand them to; returns an unsubscribe. */
  onInfoDigit(listener: (key: string) => void): () => void;
  /** A new id for a recording. */
  newRecordingSid(): string;
  /** Which hosts a stream's websocket may reach (the built-in rules when absent). */
  readonly hosts?: HostPolicy;
}
