// The record of what happened on a mock call: one flat JSON object per event, `{t, type, ...}`,
// with `t` in milliseconds of call time (since the call arrived). A blocking verb leaves an event
// when it starts (its request) and an `-end` event when it ends (its outcome); what the caller
// and the far ends do in between (digits, speech, dial-response, notify...) sits between them.
// The runtime adds its own events (webhooks) to the same list through `MockCallLeg.log`.
import type { AnsweredBy, DialStatus, DialTarget, RejectReason } from '../adapter.js';

export interface TranscriptEvent {
  t: number;
  type: string;
  [detail: string]: unknown;
}

/** A dial target as it went out: a SIP target's URI and headers as on the INVITE, never a password. */
export type TargetView =
  | { kind: 'sip'; uri: string; headers: Record<string, string>; username?: string; proxy?: string; transport?: string }
  | { kind: 'number'; number: string; sendDigits?: string }
  | { kind: 'client'; identity: string };

export function viewTarget(target: DialTarget): TargetView {
  switch (target.kind) {
    case 'sip':
      return {
        kind: 'sip',
        uri: target.uri,
        headers: { ...target.headers },
        ...(target.auth ? { username: target.auth.username } : {}),
        ...(target.proxy !== undefined ? { proxy: target.proxy } : {}),
        ...(target.transport !== undefined ? { transport: target.transport } : {}),
      };
    case 'number':
      return { kind: 'number', number: target.number, ...(target.sendDigits ? { sendDigits: target.sendDigits } : {}) };
    case 'client':
      return { kind: 'client', identity: target.identity };
  }
}

/** Every event the mock backend itself records. */
export type BackendEvent =
  | { type: 'inbound'; from: string; to: string; fromUri?: string; toUri?: string; callerName?: string; headers: Record<string, string>; sourceIp?: string }
  | { type: 'answer' }
  /** A call the runtime placed (the Calls API): its INVITE went out to `target`, from `from`. */
  | { type: 'outbound'; target: TargetView; from: string; timeout: number; machineDetection?: string }
  /** The far end of a placed call rings (180). */
  | { type: 'ringing' }
  /** The far end's final response to a placed call that was not answered (486, 487 at the timeout or on cancel, a failure). */
  | { type: 'outbound-response'; sipResponseCode: number; status: 'busy' | 'no-answer' | 'failed' | 'canceled' }
  /** Answering machine detection's verdict on a placed call. */
  | { type: 'machine-detection'; answeredBy: AnsweredBy }
  /** 486 for busy, 404 for rejected (Twilio's codes for SIP calls). */
  | { type: 'reject'; reason: RejectReason; sipResponseCode: number }
  | { type: 'hangup'; by: 'caller' | 'app' | 'backend'; reason?: string }
  /** `agent`: the agent's words (ConversationRelay), `last: false` when it never sent its last token; `welcomeGreeting`: the platform's. */
  | { type: 'say'; text: string; voice: string; language: string; loop: number; agent?: true; last?: false; welcomeGreeting?: true }
  | { type: 'play'; url: string; loop: number; agent?: true }
  | { type: 'pause'; seconds: number }
  /** DTMF we sent (Play digits, Number sendDigits). */
  | { type: 'send-digits'; digits: string; agent?: true }
  /** Keys the caller pressed; `ignored` when nothing was listening for them. */
  | { type: 'digits'; digits: string; ignored?: true }
  | { type: 'speech'; text: string; confidence: number; ignored?: true }
  | { type: 'gather'; dtmf: boolean; speech: boolean; timeout: number; numDigits?: number; finishOnKey: string; bargeIn: boolean }
  | {
      type: 'gather-end';
      digits: string;
      finishedOnKey: string;
      speech?: { text: string; confidence: number };
      endedBy: 'key' | 'num-digits' | 'timeout' | 'speech' | 'hangup' | 'abort';
    }
  | { type: 'record'; maxLength: number; timeout: number; finishOnKey: string; playBeep: boolean; trim: string }
  | { type: 'beep' }
  | { type: 'record-end'; url: string; duration: number; digits: string; endedBy: 'key' | 'silence' | 'max-length' | 'hangup' | 'abort' }
  | { type: 'call-recording-start'; channels: 1 | 2 }
  | { type: 'call-recording-stop'; url: string; duration: number }
  | {
      type: 'dial';
      targets: TargetView[];
      sequential: boolean;
      timeout: number;
      timeLimit: number;
      callerId: string;
      hangupOnStar: boolean;
      answerOnBridge: boolean;
      record: boolean;
    }
  /** An INVITE went out; `username` when it carried digest credentials. */
  | { type: 'dial-attempt'; target: TargetView; callId: string; callerId: string; username?: string }
  /** A final response to an INVITE (401 here is the challenge; a retry with credentials follows it). */
  | { type: 'dial-response'; callId: string; sipResponseCode: number; status: DialStatus | 'challenge'; headers?: Record<string, string> }
  /** We hung up a callee that had answered: turned down by screening, or another won meanwhile. */
  | { type: 'callee-hangup'; callId: string; reason: 'screened-out' | 'canceled' }
  | { type: 'bridge'; callId: string }
  | { type: 'dial-end'; status: DialStatus; duration: number; sipResponseCode?: number; endedBy?: string; recording?: { url: string; duration: number } }
  | { type: 'refer'; uri: string; headers: Record<string, string> }
  | { type: 'refer-response'; sipResponseCode: number }
  | { type: 'notify'; sipResponseCode: number }
  /** `agent`: the websocket was opened for real (script.agent), not simulated. */
  | { type: 'stream-start'; url: string; name?: string; track: string; parameters: Record<string, string>; agent?: true }
  | { type: 'stream-stop'; name: string }
  /** A fork to a real agent ended: the frames it sent on each track it carried (capped: it reached the mock's hour). */
  | { type: 'stream-media'; name?: string; endedBy: 'stop' | 'hangup' | 'far-end' | 'error'; frames: Partial<Record<'inbound' | 'outbound', number>>; capped?: true; error?: string }
  | { type: 'stream'; url: string; name?: string; track: string; parameters: Record<string, string>; agent?: true; protocol?: 'media-streams' }
  /** <Connect><ConversationRelay> to a real agent. */
  | { type: 'stream'; protocol: 'conversation-relay'; url: string; parameters: Record<string, string>; sessionId: string; agent: true }
  | { type: 'stream-end'; endedBy: 'far-end' | 'hangup' | 'abort' | 'error'; error?: string }
  /** The caller's side of a conversation with a real agent (script.agent.caller). */
  | { type: 'caller-audio'; file: string; duration: number }
  | { type: 'caller-silence'; seconds: number }
  /**
   * One turn of a real agent: a Media Streams agent's seconds of audio, its marks, how often it
   * cleared; a ConversationRelay agent's words, the media it played, the keys it sent, its end.
   */
  | { type: 'agent'; audio?: number; marks?: string[]; cleared?: number; said?: string; played?: string[]; digits?: string; end?: true; handoffData?: string }
  | { type: 'agent-audio-saved'; file: string; duration: number }
  /** ConversationRelay: a language switch, a message Twilio would refuse (64107). */
  | { type: 'relay-language'; ttsLanguage: string; transcriptionLanguage: string }
  /** The caller spoke over the agent (a speech turn's `interrupt`): what had been said by then. */
  | { type: 'agent-interrupted'; utteranceUntilInterrupt: string; durationUntilInterruptMs: number }
  | { type: 'relay-error'; code: 64107; message: string; received: string }
  /** A preemptible talk cycle cut by the agent's next one before the caller heard it (ConversationRelay `preemptible`). */
  | { type: 'agent-preempted'; said?: string; played?: string }
  | { type: 'conference'; name: string; muted: boolean; startOnEnter: boolean; endOnExit: boolean; beep: string; hangupOnStar?: true }
  | { type: 'conference-end'; duration: number; endedBy: 'conference' | 'hangup' | 'abort' | 'hangup-on-star' | 'kicked' }
  /** This leg bridged to another call of the same backend (a caller taken from a queue). */
  | { type: 'bridge-leg'; callId: string }
  | { type: 'bridge-end'; callId: string; endedBy: 'caller' | 'other' | 'abort'; duration: number }
  /** The script did not fit what the app did (a record action at a Gather...). */
  | { type: 'script'; warning: string };
