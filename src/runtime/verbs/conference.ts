// <Dial><Conference>: the caller joins the runtime's room of that name (src/runtime/conferences.ts:
// in process, or shared by several instances) and its leg sits in it until it leaves, the room
// ends, or the API removes it; then the Dial's action. While the room waits to start, a waitUrl
// document plays (the mock). https://www.twilio.com/docs/voice/twiml/conference
import type { Projected } from '../../grammar/index.js';
import { actionOutcome, bool, methodOf, num, str, type VerbContext, type VerbOutcome } from '../verb.js';
import { UNAVAILABLE } from '../conferences.js';
import { DEFAULT_MAX_PARTICIPANTS } from '../../state/conferences.js';
import { waitForStart } from './conference-wait.js';
import { CallRequestError } from '../../state/errors.js';

/** Backends where a waiting participant hears the waitUrl document: the mock; on drachtio the wait is FreeSWITCH's (wait-mod). */
const CONFERENCE_WAIT_URL = new Set(['mock']);

/**
 * Backends whose conferences listen for the caller's * (`<Dial hangupOnStar>`): the mock, and
 * drachtio with FreeSWITCH (the member is kicked from the room on the key). Another would have
 * the attribute reported, not ignored.
 */
const CONFERENCE_HANGUP_ON_STAR = new Set(['mock', 'drachtio']);

/**
 * Backends where the API's mute and hold of a participant are only recorded: the mock (no media
 * flows; the transcript says so). Elsewhere the leg mutes itself in the room (drachtio:
 * FreeSWITCH's member mute) and hold is refused: no backend holds a member yet.
 */
const CONFERENCE_RECORDED = new Set(['mock']);

/** The API's change, applied to the leg where the backend mixes the room. */
function applier(ctx: VerbContext, backend: string) {
  return async (patch: { muted?: boolean; hold?: boolean }): Promise<void> => {
    if (CONFERENCE_RECORDED.has(backend)) return;
    if (patch.hold !== undefined) throw new CallRequestError(20001, 400, `Hold: the ${backend} backend cannot put a conference participant on hold; Muted and removing it (DELETE) work`);
    if (patch.muted === undefined) return;
    const mute = ctx.leg.conferenceMute?.bind(ctx.leg);
    if (!mute) throw new CallRequestError(20001, 400, `Muted: the ${backend} backend cannot mute a conference participant`);
    await mute(patch.muted).catch((e: unknown) => {
      throw new CallRequestError(20500, 500, `the media server did not ${patch.muted ? 'mute' : 'unmute'} the participant: ${(e as Error).message}`);
    });
  };
}

/** What a room's statusCallback can ask for (Twilio's statusCallbackEvent values that didml sends). */
const ROOM_EVENTS = new Set(['start', 'end', 'join', 'leave', 'mute', 'hold']);

export async function conference(node: Projected, room: Projected, ctx: VerbContext): Promise<VerbOutcome> {
  await ctx.answer();
  const hangupOnStar = bool(node, 'hangupOnStar', false);
  const backend = ctx.leg.backend ?? 'this';
  if (hangupOnStar && !CONFERENCE_HANGUP_ON_STAR.has(backend)) {
    ctx.emit({ type: 'warning', message: `<Dial hangupOnStar> with <Conference>: the ${backend} backend does not listen for * in a conference; the caller stays in the room until it ends` });
  }
  let maxParticipants = num(room, 'maxParticipants', DEFAULT_MAX_PARTICIPANTS);
  if (maxParticipants > DEFAULT_MAX_PARTICIPANTS) {
    ctx.emit({ type: 'warning', message: `<Conference maxParticipants="${maxParticipants}">: Twilio's maximum is ${DEFAULT_MAX_PARTICIPANTS} (its error 16002); the room takes ${DEFAULT_MAX_PARTICIPANTS}` });
    maxParticipants = DEFAULT_MAX_PARTICIPANTS;
  }
  const callbackUrl = str(room, 'statusCallback');
  const events = str(room, 'statusCallbackEvent').split(/[\s,]+/).filter(Boolean);
  const unsent = events.filter((e) => !ROOM_EVENTS.has(e));
  if (unsent.length > 0) ctx.emit({ type: 'warning', message: `<Conference statusCallbackEvent>: didml does not send ${unsent.join(', ')} (it sends start, end, join, leave, mute, hold)` });
  const label = str(room, 'participantLabel');
  const muted = bool(room, 'muted', false);
  const startOnEnter = bool(room, 'startConferenceOnEnter', true);
  const endOnExit = bool(room, 'endConferenceOnExit', false);
  const joined = await ctx.conferences.join({
    accountSid: ctx.call.accountSid,
    name: room.text,
    callSid: ctx.call.callSid,
    muted,
    startOnEnter,
    endOnExit,
    ...(label ? { label } : {}),
    maxParticipants,
    ...(callbackUrl ? { callback: { url: ctx.resolve(callbackUrl), method: methodOf(room, 'statusCallbackMethod'), events: events.filter((e) => ROOM_EVENTS.has(e)) } } : {}),
    notify: (url, method, params) => ctx.notifyChild(url, method, params),
    apply: applier(ctx, backend),
    onChange: (p) => ctx.emit({ type: 'conference-participant', conference: room.text, muted: p.muted, hold: p.hold }),
  });
  if (joined === 'full' || joined === UNAVAILABLE) {
    // Not in the room: the Dial is over at once, as a Dial that connected no one.
    ctx.emit({ type: 'warning', message: joined === 'full' ? `conference "${room.text}" is full (maxParticipants ${maxParticipants}): the caller was not put in it` : `conference "${room.text}" could not be joined: the shared state cannot be reached` });
    return actionOutcome(node, ctx, { DialCallStatus: 'failed', DialBridged: 'false' }, false);
  }
  let r: { callerHungUp: boolean; duration: number };
  try {
    const waitUrl = str(room, 'waitUrl');
    if (waitUrl && CONFERENCE_WAIT_URL.has(backend)) await waitForStart(ctx.resolve(waitUrl), methodOf(room, 'waitMethod'), joined, ctx);
    r = await ctx.leg.conference(room.text, { muted, startOnEnter, endOnExit, beep: str(room, 'beep', 'true'), ...(hangupOnStar ? { hangupOnStar } : {}), out: joined.out }, ctx.signal);
  } finally {
    await joined.leave();
  }
  // "DialCallSid / DialCallDuration: not sent after dialing a conference" (Dial doc).
  return actionOutcome(node, ctx, { DialCallStatus: 'answered', DialBridged: 'true' }, r.callerHungUp);
}

