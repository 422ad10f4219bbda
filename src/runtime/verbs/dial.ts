// <Dial> (and DIDML's <Forward>): ring the targets, bridge the first to answer, and when the
// bridged call ends request the action with DialCallStatus & co., or go on with the next verb.
// With <Conference> inside, put the caller in the room instead.
// https://www.twilio.com/docs/voice/twiml/dial (reference §1.4, §2.2)
import type { Projected } from '../../grammar/index.js';
import { targetAddress, type DialOptions, type DialResult, type DialTarget } from '../../telephony/adapter.js';
import { actionOutcome, bool, CONTINUE, methodOf, num, str, type Verb, type VerbContext, type VerbOutcome } from '../verb.js';
import { dialTargets } from './dial-targets.js';
import { childLegs, type ChildLegs } from './dial-progress.js';
import { notifyRecording } from './recording-callback.js';
import { dequeue } from './queue.js';
import { conference } from './conference.js';
import { loadGrammar } from '../../grammar/index.js';
import { sipHeaderParams } from '../../sip/headers.js';

/** Twilio `record` values that record (`true` is the older spelling of record-from-answer), and DIDML's `on`. */
const RECORDS: Record<string, NonNullable<DialOptions['record']>> = {
  true: { channels: 1, from: 'answer' },
  on: { channels: 1, from: 'answer' },
  'record-from-answer': { channels: 1, from: 'answer' },
  'record-from-ringing': { channels: 1, from: 'ringing' },
  'record-from-answer-dual': { channels: 2, from: 'answer' },
  'record-from-ringing-dual': { channels: 2, from: 'ringing' },
};

function recordOption(value: string): Pick<DialOptions, 'record'> {
  const record = Object.hasOwn(RECORDS, value) ? RECORDS[value] : undefined;
  return record ? { record } : {};
}

function dialParams(r: DialResult, childSid: string | undefined): Record<string, string> {
  const params: Record<string, string> = {
    DialCallStatus: r.status,
    DialBridged: String(r.answered !== undefined),
  };
  if (childSid) {
    params['DialCallSid'] = childSid;
    params['DialCallDuration'] = String(Math.round(r.duration));
  }
  // "The SIP response code as a result of the INVITE attempt": for <Sip> legs (Sip doc), the one
  // that answered, or else any that was tried.
  const sipLeg = r.answered ? r.answered.target.kind === 'sip' : r.attempts.some((a) => a.target.kind === 'sip');
  if (r.sipResponseCode !== undefined && sipLeg) params['DialSipResponseCode'] = String(r.sipResponseCode);
  if (r.answered?.target.kind === 'sip') {
    params['DialSipCallId'] = r.answered.callId;
    Object.assign(params, sipHeaderParams(r.answered.headers, 'DialSipHeader_'));
  }
  if (r.recording) {
    params['RecordingUrl'] = r.recording.url;
    params['RecordingDuration'] = String(Math.round(r.recording.duration));
  }
  return params;
}

/**
 * Which dialled leg DialCallSid names (the index of its target), or -1 when none was placed: the
 * bridged one; else one whose outcome is the Dial's status (the backend's DialCallStatus is that
 * of the leg that ended last), preferring one that answered and was turned down by its screening,
 * whose screening requests already carried its CallSid, then the last tried (sequential: the last
 * rung). Twilio's Dial doc withholds DialCallSid only after a conference, so it goes with busy and
 * no-answer too, naming the leg that was placed.
 */
export function reportedLeg(r: DialResult, targets: DialTarget[]): number {
  if (r.answered) return targets.indexOf(r.answered.target);
  const last = <T>(xs: T[], ok: (x: T) => boolean) => [...xs].reverse().find(ok);
  const same = r.attempts.filter((a) => a.status === r.status);
  const pick = last(same, (a) => a.sipResponseCode === 200) ?? same.at(-1) ?? r.attempts.at(-1);
  return pick ? targets.indexOf(pick.target) : -1;
}

/**
 * What runs between a callee's answer and the bridge: the noun's screening document (`url`) on
 * the callee's leg, which may turn it down with <Hangup>; then, with answerOnBridge, the caller's
 * answer (CallStatus in-progress, the `answered` status callback at that time). The caller hears
 * ringing meanwhile. https://www.twilio.com/docs/voice/twiml/number#url
 */
function screening(nouns: (Projected | undefined)[], targets: DialTarget[], callerId: string, answerOnBridge: boolean, legs: ChildLegs, ctx: VerbContext): Pick<DialOptions, 'screen'> {
  const docs = nouns.map((n) => {
    const url = n && str(n, 'url');
    return n && url ? { url: ctx.resolve(url), method: methodOf(n, 'method'), noun: n.name } : undefined;
  });
  if (!answerOnBridge && !docs.some(Boolean)) return {};
  return {
    async screen(callee) {
      const i = targets.indexOf(callee.target);
      const doc = docs[i];
      if (doc && !callee.leg) {
        ctx.emit({ type: 'warning', message: `<${doc.noun} url>: this backend cannot run a document on the callee (drachtio needs a media server for it); connected without it` });
      } else if (doc && callee.leg) {
        const callSid = legs.sidFor(i);
        await ctx.runBeforeBridge({ leg: callee.leg, url: doc.url, method: doc.method, callSid, direction: 'outbound-dial', params: { ParentCallSid: ctx.call.callSid }, from: callerId, to: targetAddress(callee.target) });
        if (callee.leg.isEnded) return false;
      }
      if (answerOnBridge) await ctx.answer();
      return true;
    },
  };
}

export async function runDial(node: Projected, ctx: VerbContext): Promise<VerbOutcome> {
  const room = node.children.find((c) => c.name === 'Conference');
  if (room) return conference(node, room, ctx);
  const queue = node.children.find((c) => c.name === 'Queue');
  if (queue) {
    return dequeue(node, queue, ctx);
  }
  const { targets, nouns, problems } = dialTargets(node, ctx);
  for (const p of problems) ctx.emit({ type: 'error', message: `<${p.noun}>${p.text}</${p.noun}> cannot be dialled: ${p.error}` });
  const answerOnBridge = bool(node, 'answerOnBridge', false);
  const record = recordOption(str(node, 'record', 'do-not-record'));
  if (!answerOnBridge) await ctx.answer();
  let result: DialResult;
  let legs: ChildLegs | undefined;
  if (targets.length === 0) {
    result = { status: 'failed', duration: 0, attempts: [], callerHungUp: false };
  } else {
    // DIDML puts callerid, timeout and maxlength on <number> too: the noun's value counts unless
    // the Dial has one of its own (the grammar fills both with defaults, so "its own" = not the default).
    const first = node.children[0];
    const either = (name: string, nounName: string, fallback: number): number => {
      const own = num(node, name, fallback);
      const isDefault = own === (loadGrammar(ctx.dialect).elements[node.name]?.attributes[name]?.default ?? fallback);
      return isDefault && first ? num(first, nounName, own) : own;
    };
    const callerId = str(node, 'callerId') || (first && str(first, 'callerId')) || ctx.call.from;
    legs = childLegs(nouns, targets, callerId, ctx);
    result = await ctx.leg.dial(
      {
        targets,
        sequential: bool(node, 'sequential', false),
        timeout: either('timeout', 'timeout', 30),
        timeLimit: either('timeLimit', 'maxLength', 14400),
        callerId,
        hangupOnStar: bool(node, 'hangupOnStar', false),
        answerOnBridge,
        ...record,
        ...screening(nouns, targets, callerId, answerOnBridge, legs, ctx),
        ...(legs.onProgress ? { onProgress: legs.onProgress } : {}),
      },
      ctx.signal,
    );
  }
  // DialCallSid is the dialled leg's CallSid, as its screening requests and statusCallbacks had it.
  const leg = reportedLeg(result, targets);
  const childSid = leg >= 0 && legs ? legs.sidFor(leg) : undefined;
  if (result.recording) {
    const channels = record.record?.channels ?? 1;
    notifyRecording(node, ctx, { sid: ctx.newSid('RE'), url: result.recording.url, duration: result.recording.duration, channels }, 'DialVerb');
  }
  const params = dialParams(result, childSid);
  return actionOutcome(node, ctx, params, result.callerHungUp);
}

export const dial: Verb = { names: ['Dial', 'Forward'], run: runDial };

/** DIDML's <sip> or <number> on their own: forward the call to it, as a <dial> around it would. */
export const forwardNoun: Verb = {
  names: ['Sip', 'Number'],
  run(node, ctx) {
    if (ctx.dialect !== 'didml') {
      ctx.emit({ type: 'warning', message: `<${node.name}> on its own is DIDML; in this dialect it belongs inside <Dial>. Skipped.` });
      return Promise.resolve(CONTINUE);
    }
    return runDial({ name: 'Dial', attributes: {}, text: '', children: [node] }, ctx);
  },
};

/** DIDML's top-level <conference>: "put the caller in that conference", as <Dial><Conference> would. */
export const didmlConference: Verb = {
  names: ['DidmlConference'],
  run: (node, ctx) => runDial({ name: 'Dial', attributes: {}, text: '', children: [{ ...node, name: 'Conference' }] }, ctx),
};
