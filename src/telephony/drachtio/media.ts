// What the drachtio backend asks of a media server, in its own terms: endpoints that answer an
// SDP offer (or make one), play, speak, hear DTMF, record, bridge and join conferences. The
// FreeSWITCH implementation (drachtio-fsmrf) is in fsmrf.ts; keeping SIP out of it means the
// call leg sends every SIP message itself, the same way with or without media.

export interface MediaEndpoint {
  /** The endpoint's SDP: its answer to the offer it was made with, or its own offer. */
  readonly localSdp: string;
  /** Plays an audio URL or file once; resolves when it ends or is stopped. */
  play(url: string): Promise<void>;
  /** Speaks `text` once with the configured TTS engine. */
  speak(text: string, voice: string, language: string): Promise<void>;
  /** Stops whatever is playing, speaking or recording now. */
  stop(): Promise<void>;
  /** Calls `listener` with each DTMF key the far end sends; returns an unsubscribe. */
  onDtmf(listener: (key: string) => void): () => void;
  /**
   * Starts listening for speech (the configured recogniser): `speaking` when the caller starts to
   * talk, `heard` with what they said (undefined when nothing was recognised). Resolves with a
   * function that stops listening.
   */
  recognize(options: { language: string; hints?: string }, on: SpeechListener): Promise<() => Promise<void>>;
  /**
   * Records what the far end says to `file` (a path on the media server); `started` is told, once
   * recording begins, of a promise that resolves when the file is complete (closed by the media
   * server, which may be after the call ended).
   */
  record(file: string, options: { maxLength: number; silenceSeconds: number; beep: boolean }, started?: (finished: Promise<void>) => void): Promise<{ seconds?: number }>;
  /**
   * Starts recording both directions of the call to `file`, as one channel or two (caller left,
   * other party right); returns at once, with `finished`: resolves when the media server has
   * closed the file (stopped, or the call ended), so that it is complete.
   */
  recordSession(file: string, channels: 1 | 2): Promise<{ finished: Promise<void> }>;
  /** Stops the recording `recordSession` started; the file is complete when this resolves. */
  stopRecordSession(file: string): Promise<void>;
  /** Takes keys the far end sent outside the media (SIP INFO) as if they came in it: onDtmf hears them. */
  receiveDigits(digits: string): Promise<void>;
  /** Sends DTMF (`w` waits 0.5 s, `W` 1 s). */
  sendDigits(digits: string): Promise<void>;
  /**
   * Points the endpoint's media at the far end's new SDP (an answer to its offer, or a re-INVITE's
   * offer: a hold); resolves with the endpoint's SDP in reply.
   */
  modify(remoteSdp: string): Promise<string>;
  /** Bridges with another endpoint, or with a channel of the same media server by its id (a caller another instance runs). */
  bridge(other: MediaEndpoint | string): Promise<void>;
  /** This endpoint's channel id on the media server (a FreeSWITCH uuid). */
  readonly channel?: string;
  unbridge(): Promise<void>;
  /** Joins a conference; resolves once joined, with `left`: resolves when the endpoint is out of it again (kicked, the conference ended). */
  join(conference: string, flags: { mute: boolean; moderator: boolean; waitMod: boolean }): Promise<{ left: Promise<void> }>;
  /** Takes the endpoint out of the conference it joined (its `left` resolves); its call goes on. */
  leave(): Promise<void>;
  /** Mutes or unmutes the endpoint in the conference it joined (FreeSWITCH's member mute). */
  conferenceMute(muted: boolean): Promise<void>;
  /**
   * Forks the endpoint's audio to a websocket of didml's (fork-listener.ts), in mod_audio_fork's
   * framing: 8 kHz L16, `mono` the far end's audio, `stereo` that (left) and what it hears
   * (right). `bug` names the fork on the endpoint. fork-stream.ts turns it into Twilio's Media
   * Streams for <Start><Stream>; <Connect><Stream> talks both ways through didml's own RTP peer
   * instead (rtp-stream.ts).
   */
  forkStart(url: string, bug: string, mix: 'mono' | 'stereo'): Promise<void>;
  forkStop(bug: string): Promise<void>;
  /** Resolves when the endpoint goes away (hung up on the media server, connection lost). */
  readonly gone: Promise<void>;
  destroy(): Promise<void>;
}

export interface SpeechListener {
  speaking(): void;
  heard(result: { text: string; confidence: number } | undefined): void;
}

export interface MediaServerLink {
  /** An endpoint that answers `offer` (the caller's SDP): its localSdp goes in the 200 OK. */
  answer(offer: string): Promise<MediaEndpoint>;
  /** An endpoint that offers (its localSdp goes in an outbound INVITE); modify() it with the answer. */
  offer(): Promise<MediaEndpoint>;
  /** Ends a conference: every member is taken out of the room (their calls go on). */
  endConference(name: string): Promise<void>;
  close(): Promise<void>;
}
