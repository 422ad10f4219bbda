// What the verb modules of the drachtio backend (dial.ts, refer.ts, media-ops.ts) may use of
// their call leg, as the mock's LegContext does for its own: the modules never reach into the
// leg's fields, and the leg keeps its state (answered, ended, the party's dialog) in one place.
// The party is whoever the app's document talks to: the caller of a call that came in (its
// INVITE, answered by didml as UAS), or the far end of a call didml placed (answered already,
// didml is the UAC).
import type { Clock } from '../../clock.js';
import type { HostPolicy } from '../../webhook/hosts.js';
import type { Logger } from '../../log.js';
import type { CallRtp } from './call-rtp.js';
import type { DrachtioConfig } from './config.js';
import type { MediaEndpoint, MediaServerLink } from './media.js';
import type { Srf, SrfDialog } from './srf.js';

export type EndedBy = 'caller' | 'app' | 'backend';

export interface LegCore {
  readonly srf: Srf;
  readonly config: DrachtioConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** The media server, when one is configured (it may be unreachable right now: `media()` says). */
  readonly mediaConfigured: boolean;
  /** The call's SIP Call-ID (for logs). */
  readonly callId: string;
  /** The connection to drachtio-server the call is on (outbound mode: one per call); requests for the call go on it. */
  readonly socket: unknown;
  /** The party's SDP: its INVITE's offer while unanswered, what its dialog says once answered. */
  readonly partySdp: string;
  /** Aborted when the call ends, whoever ends it. */
  readonly gone: AbortSignal;
  readonly endedBy: EndedBy | undefined;
  /** The party is answered: a 200 OK went to the caller, or the called party answered. */
  readonly answered: boolean;
  /** The party's dialog, once answered (UAS for a call that came in, UAC for one didml placed). */
  readonly dialog: SrfDialog | undefined;
  /** The party's media endpoint (media server configured and party answered). */
  readonly endpoint: MediaEndpoint | undefined;
  /** didml's own RTP peer of a call it placed without a media server (call-rtp.ts); undefined otherwise. */
  readonly ownRtp: CallRtp | undefined;
  /** The link to the media server; throws DIDML_TELEPHONY naming `verb` when there is none. */
  media(verb: string): MediaServerLink;
  /** Answers the caller: through the media server when there is one, else when there is an SDP to answer with. */
  answer(): Promise<void>;
  /**
   * No media server: 200 OK to the caller carrying `sdp` (a callee's answer, or an inactive one).
   * `onDialog` runs in the turn the dialog exists, before any request in it can be handled.
   * A party answered already keeps its dialog.
   */
  answerWith(sdp: string, onDialog?: (dialog: SrfDialog) => void): Promise<SrfDialog>;
  /** A callee's early media (183 with SDP) for a caller not answered yet; nothing once answered. */
  earlyMedia(sdp: string): void;
  /** The final code of a Dial attempt that failed: what the caller gets if the app ends the call unanswered. */
  noteDialFailure(code: number): void;
  /** Keys the party sends as SIP INFO while there is no media endpoint to hand them to; returns an unsubscribe. */
  onInfoDigit(listener: (key: string) => void): () => void;
  /** A new id for a recording. */
  newRecordingSid(): string;
  /** Why an INVITE must not go through the named trunk now (its TLS certificate failed didml's check), or undefined. */
  trunkProblem(trunk: string): Promise<string | undefined>;
  /** Which hosts a stream's websocket may reach (the built-in rules when absent). */
  readonly hosts?: HostPolicy;
}
