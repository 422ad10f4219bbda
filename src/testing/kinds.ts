// What each kind of step matches in a transcript: the event where it starts, where a step that
// takes time ends (its outcome), and the fields a scenario may name, gathered into one flat view.
// One entry per kind; the matcher (match.ts) knows nothing of the kinds beyond this table.
import { targetAddress } from '../telephony/adapter.js';
import type { TranscriptEvent } from '../telephony/mock/index.js';
import { matchPattern, type Mismatch } from './patterns.js';
import type { Pattern, StepKind } from './scenario.js';

export type View = Record<string, unknown>;

export interface KindDef {
  /** The event type the step matches (for `event`, the step names it). */
  type: string | ((want: Record<string, Pattern>) => string);
  /** The field a value that is not an object stands for (`{"say": "Hi"}` = `{"say": {"text": "Hi"}}`). */
  shorthand?: string;
  /** For a step that takes time (a Gather, a Dial): the index of the event where it ended, or -1 while it goes on. */
  end?: (events: readonly TranscriptEvent[], start: number) => number;
  /** The fields a step is matched against. */
  view: (events: readonly TranscriptEvent[], start: number, end: number) => View;
  /** Matching that is more than field by field (a dial's targets). */
  match?: (want: Record<string, Pattern>, view: View, out: Mismatch[]) => void;
}

const nextOfType = (type: string) => (events: readonly TranscriptEvent[], start: number): number => {
  for (let i = start + 1; i < events.length; i++) if (events[i]!.type === type) return i;
  return -1;
};

const pick = (e: TranscriptEvent | undefined, ...keys: string[]): View => {
  const out: View = {};
  if (e) for (const k of keys) if (e[k] !== undefined) out[k] = e[k];
  return out;
};

const pathOf = (url: unknown): string | undefined => {
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const u = new URL(url);
  return u.pathname + u.search;
};

interface TargetView {
  kind: string;
  uri?: string;
  number?: string;
  identity?: string;
  headers?: Record<string, string>;
  username?: string;
  transport?: string;
}


const TARGET_FIELDS = ['to', 'headers', 'username', 'transport'] as const;

/** Where a placed call's attempt ends: its refusal, its answer, or with detection the verdict. */
function attemptEnd(events: readonly TranscriptEvent[], start: number): number {
  const verdict = events[start]!['machineDetection'] !== undefined ? 'machine-detection' : 'answer';
  for (let i = start + 1; i < events.length; i++) if ([verdict, 'outbound-response', 'hangup'].includes(events[i]!.type)) return i;
  return -1;
}

export const KINDS: Record<StepKind, KindDef> = {
  outbound: {
    type: 'outbound',
    shorthand: 'to',
    end: attemptEnd,
    view(ev, i, end) {
      const o = ev[i]!;
      const target = o['target'] as TargetView;
      const during = ev.slice(i + 1, end + 1);
      const refused = during.find((e) => e.type === 'outbound-response');
      const answered = during.some((e) => e.type === 'answer');
      return {
        to: targetAddress(target),
        ...(target.headers ? { headers: target.headers } : {}),
        ...pick(o, 'from', 'timeout', 'machineDetection'),
        ...(refused ? pick(refused, 'status', 'sipResponseCode') : answered ? { status: 'answered', sipResponseCode: 200 } : {}),
        ...pick(during.find((e) => e.type === 'machine-detection'), 'answeredBy'),
      };
    },
  },
  say: { type: 'say', shorthand: 'text', view: (ev, i) => pick(ev[i], 'text', 'voice', 'language', 'loop') },
  play: { type: 'play', shorthand: 'url', view: (ev, i) => pick(ev[i], 'url', 'loop') },
  pause: { type: 'pause', shorthand: 'seconds', view: (ev, i) => pick(ev[i], 'seconds') },
  gather: {
    type: 'gather',
    end: nextOfType('gather-end'),
    view(ev, i, end) {
      const g = ev[i]!;
      const done = ev[end];
      const speech = done?.['speech'] as { text?: string; confidence?: number } | undefined;
      return {
        input: [g['dtmf'] && 'dtmf', g['speech'] && 'speech'].filter(Boolean).join(' '),
        ...pick(g, 'timeout', 'numDigits', 'finishOnKey', 'bargeIn'),
        ...pick(done, 'digits', 'endedBy'),
        ...(speech ? { speech: speech.text, confidence: speech.confidence } : {}),
      };
    },
  },
  record: {
    type: 'record',
    end: nextOfType('record-end'),
    view: (ev, i, end) => ({ ...pick(ev[i], 'maxLength', 'timeout', 'finishOnKey', 'playBeep', 'trim'), ...pick(ev[end], 'duration', 'digits', 'endedBy', 'url') }),
  },
  dial: {
    type: 'dial',
    shorthand: 'to',
    end: nextOfType('dial-end'),
    view(ev, i, end) {
      const d = ev[i]!;
      const targets = (d['targets'] as TargetView[]).map((t) => ({ ...t, to: targetAddress(t), headers: t.headers ?? {} }));
      // Each final response to an INVITE; a 401 challenge nobody answers is recorded twice by the
      // mock (the challenge, then the attempt failing with it) but is one response.
      const responses: number[] = [];
      let last: TranscriptEvent | undefined;
      for (let k = i + 1; k < (end < 0 ? ev.length : end); k++) {
        const e = ev[k]!;
        if (e.type === 'dial-end' || e.type === 'dial') break;
        if (e.type !== 'dial-response') continue;
        const repeat = last?.['status'] === 'challenge' && last['callId'] === e['callId'] && last['sipResponseCode'] === e['sipResponseCode'];
        if (!repeat) responses.push(e['sipResponseCode'] as number);
        last = e;
      }
      return {
        targets,
        ...pick(d, 'callerId', 'timeout', 'timeLimit', 'sequential', 'record', 'hangupOnStar', 'answerOnBridge'),
        responses,
        ...pick(ev[end], 'status', 'sipResponseCode', 'duration', 'endedBy', 'recording'),
      };
    },
    match(want, view, out) {
      // Target fields (to, headers, username, transport) are about one target; the rest about the dial.
      const rest: Record<string, Pattern> = {};
      for (const [k, v] of Object.entries(want)) if (!(TARGET_FIELDS as readonly string[]).includes(k)) rest[k] = v;
      matchPattern(rest, view, '', out);
      const targets = view['targets'] as (TargetView & { to: string })[];
      const to = want['to'];
      if (Array.isArray(to)) {
        const list: Mismatch[] = [];
        matchPattern(to, targets.map((t) => t.to), 'to', list);
        if (list.length) out.push({ path: 'to', expected: to, actual: targets.map((t) => t.to) });
      }
      const perTarget: Record<string, Pattern> = {};
      for (const k of TARGET_FIELDS) if (want[k] !== undefined && !(k === 'to' && Array.isArray(to))) perTarget[k] = want[k];
      if (!Object.keys(perTarget).length) return;
      // Some target must have all of them; when none does, report the nearest (fewest mismatches).
      let best: Mismatch[] | undefined;
      for (const t of targets) {
        const ms: Mismatch[] = [];
        matchPattern(perTarget, t, '', ms);
        if (!ms.length) return;
        if (!best || ms.length < best.length) best = ms;
      }
      if (!best) out.push({ path: 'to', expected: perTarget['to'] ?? perTarget, actual: [] });
      else if (targets.length > 1 && best.some((m) => m.path === 'to')) out.push({ path: 'to', expected: perTarget['to']!, actual: targets.map((t) => t.to) });
      else out.push(...best);
    },
  },
  refer: {
    type: 'refer',
    shorthand: 'to',
    end(ev, i) {
      let last = i;
      for (let k = i + 1; k < ev.length && (ev[k]!.type === 'refer-response' || ev[k]!.type === 'notify'); k++) last = k;
      return last;
    },
    view(ev, i, end) {
      const r = ev[i]!;
      let response: unknown;
      let notify: unknown;
      for (let k = i + 1; k <= end; k++) {
        if (ev[k]!.type === 'refer-response') response = ev[k]!['sipResponseCode'];
        if (ev[k]!.type === 'notify') notify = ev[k]!['sipResponseCode'];
      }
      return { to: r['uri'], headers: r['headers'], response, notify };
    },
  },
  webhook: {
    type: 'webhook',
    shorthand: 'path',
    view: (ev, i) => ({ ...pick(ev[i], 'url', 'method', 'params', 'status', 'error', 'message'), path: pathOf(ev[i]!['url']) }),
  },
  redirect: { type: 'redirect', shorthand: 'path', view: (ev, i) => ({ ...pick(ev[i], 'url', 'method'), path: pathOf(ev[i]!['url']) }) },
  sms: { type: 'sms', shorthand: 'body', view: (ev, i) => pick(ev[i], 'to', 'from', 'body') },
  conference: {
    type: 'conference',
    shorthand: 'name',
    end: nextOfType('conference-end'),
    view: (ev, i, end) => ({
      ...pick(ev[i], 'name', 'muted', 'beep'),
      startOnEnter: ev[i]!['startOnEnter'],
      endOnExit: ev[i]!['endOnExit'],
      ...pick(ev[end], 'duration', 'endedBy'),
    }),
  },
  enqueue: {
    type: 'enqueue',
    shorthand: 'queue',
    end(ev, i) {
      const queue = ev[i]!['queue'];
      for (let k = i + 1; k < ev.length; k++) if (ev[k]!.type === 'queue' && ev[k]!['queue'] === queue) return k;
      return -1;
    },
    view: (ev, i, end) => ({ queue: ev[i]!['queue'], ...pick(ev[end], 'result') }),
  },
  hangup: { type: 'hangup', shorthand: 'by', view: (ev, i) => pick(ev[i], 'by', 'reason') },
  reject: { type: 'reject', shorthand: 'reason', view: (ev, i) => pick(ev[i], 'reason', 'sipResponseCode') },
  error: { type: 'error', shorthand: 'code', view: (ev, i) => pick(ev[i], 'code', 'twilioCode', 'message', 'url') },
  warning: { type: 'warning', shorthand: 'message', view: (ev, i) => pick(ev[i], 'message', 'rule', 'code', 'url') },
  status: {
    type: 'end',
    shorthand: 'status',
    view: (ev, i) => ({ ...pick(ev[i], 'status', 'reason'), duration: Math.round(ev[i]!.t / 1000) }),
  },
  stream: {
    type: 'stream',
    shorthand: 'url',
    end: nextOfType('stream-end'),
    view(ev, i, end) {
      // What went each way while it lasted: the caller's turns, the agent's.
      const during = ev.slice(i + 1, end < 0 ? ev.length : end);
      const callerTurns = during.filter((e) => ['caller-audio', 'caller-silence', 'speech', 'digits'].includes(e.type) && !e['ignored']).length;
      const agentTurns = during.filter((e) => e.type === 'agent').length;
      return {
        ...pick(ev[i], 'url', 'name', 'track', 'parameters', 'protocol', 'agent'),
        ...pick(ev[end], 'endedBy', 'error'),
        callerTurns,
        agentTurns,
      };
    },
  },
  fork: {
    type: 'stream-start',
    shorthand: 'url',
    // A fork to a real agent ends with stream-media (its name's), which says what it sent.
    end(ev, i) {
      if (!ev[i]!['agent']) return i; // simulated: nothing more to say of it
      const name = ev[i]!['name'];
      for (let k = i + 1; k < ev.length; k++) if (ev[k]!.type === 'stream-media' && ev[k]!['name'] === name) return k;
      return -1;
    },
    view: (ev, i, end) => ({ ...pick(ev[i], 'url', 'name', 'track', 'parameters', 'agent'), ...pick(ev[end], 'endedBy', 'frames', 'capped', 'error') }),
  },
  agent: {
    type: 'agent',
    shorthand: 'said',
    view: (ev, i) => pick(ev[i], 'said', 'audio', 'marks', 'cleared', 'played', 'digits', 'end', 'handoffData'),
    match(want, view, out) {
      // `audioAtLeast`: seconds of the agent's audio, at least; `mark`: one of the turn's marks.
      const { audioAtLeast, mark, ...rest } = want;
      matchPattern(rest, view, '', out);
      if (audioAtLeast !== undefined && !(typeof view['audio'] === 'number' && view['audio'] >= Number(audioAtLeast))) {
        out.push({ path: 'audio', expected: `at least ${String(audioAtLeast)} s`, actual: view['audio'] });
      }
      if (mark !== undefined) {
        const marks = (view['marks'] as unknown[] | undefined) ?? [];
        const hit = marks.some((m) => {
          const ms: Mismatch[] = [];
          matchPattern(mark, m, 'mark', ms);
          return ms.length === 0;
        });
        if (!hit) out.push({ path: 'marks', expected: mark, actual: marks });
      }
    },
  },
  event: { type: (want) => String(want['type']), view: (ev, i) => ({ ...ev[i] }) },
};
