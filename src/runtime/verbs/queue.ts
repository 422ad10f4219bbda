// Queues: <Enqueue> puts the caller in line and runs the waitUrl document over and over until a
// call takes it (<Dial><Queue>, DIDML <Queue>), the wait document says <Leave>, or the caller
// hangs up. The Enqueue action then gets QueueResult (bridged, leave, hangup, queue-full,
// redirected, system-error), QueueSid and QueueTime (reference §2.2; www.twilio.com/docs/voice/twiml/enqueue).
// Without a waitUrl the caller waits in silence (Twilio plays its hold music). The line may be
// shared by several instances (src/runtime/queues.ts): nothing here depends on where it is.
import type { Projected } from '../../grammar/index.js';
import { DidmlError } from '../../errors.js';
import { DEFAULT_MAX_QUEUE_SIZE, UNAVAILABLE, type BridgeEnd, type QueueMember, type Taker } from '../queues.js';
import { actionOutcome, CONTINUE, methodOf, num, str, type Verb, type VerbContext, type VerbOutcome } from '../verb.js';
import { pausePrompt, playPrompt, sayPrompt } from '../prompts.js';

/** How long one silent wait lasts before the wait is looked at again (no waitUrl). */
const HOLD_SECONDS = 3600;

type Waited = { kind: 'taken'; taker: Taker } | { kind: 'leave' } | { kind: 'outcome'; outcome: VerbOutcome };

/** What a wait document may do while the caller waits (Twilio: Say, Play, Pause, Leave, Redirect, Hangup). */
async function runWaitDocument(root: Projected, ctx: VerbContext, signal: AbortSignal): Promise<'leave' | VerbOutcome | undefined> {
  for (const node of root.children) {
    if (signal.aborted) return undefined;
    if (node.name === 'Leave') return 'leave';
    if (node.name === 'Say') await ctx.leg.say(sayPrompt(node), signal);
    else if (node.name === 'Play') await ctx.leg.play(playPrompt(node, ctx.resolve), signal);
    else if (node.name === 'Pause') await ctx.leg.pause(pausePrompt(node).seconds, signal);
    else if (node.name === 'Hangup' || node.name === 'Redirect') return ctx.runVerb(node);
    else ctx.emit({ type: 'warning', message: `<${node.name}> is not run in a queue's wait document (Say, Play, Pause, Leave, Redirect, Hangup are)` });
  }
  return undefined;
}

async function wait(node: Projected, name: string, member: QueueMember, taken: Promise<Taker>, ctx: VerbContext): Promise<Waited> {
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const result = taken.then((taker): Waited => {
    stop.abort();
    return { kind: 'taken', taker };
  });
  const waitUrl = str(node, 'waitUrl');
  const waiting = (async (): Promise<Waited | undefined> => {
    while (!signal.aborted && !ctx.leg.isEnded) {
      if (!waitUrl) {
        await ctx.leg.pause(HOLD_SECONDS, signal);
        continue;
      }
      const doc = await ctx.loadDocument(ctx.resolve(waitUrl), methodOf(node, 'waitUrlMethod'), await ctx.queues.status(name, member));
      if (doc instanceof DidmlError) {
        // A broken wait document costs the caller the music, not the place in line.
        if (!signal.aborted) await ctx.leg.pause(HOLD_SECONDS, signal);
        continue;
      }
      const r = await runWaitDocument(doc.root, { ...ctx, resolve: (u) => new URL(u.trim(), doc.url).href }, signal);
      if (r === 'leave') return { kind: 'leave' };
      if (r && r.kind !== 'continue') return { kind: 'outcome', outcome: r };
    }
    return undefined;
  })();
  const first = await Promise.race([result, waiting]);
  if (first) {
    stop.abort();
    return first;
  }
  // The wait ended because the call ended, because the call was given new instructions (the Calls
  // API, or the Members API taking it out of line to a Url: the session runs them), or because the caller was taken.
  if (ctx.leg.isEnded) return { kind: 'outcome', outcome: { kind: 'end', reason: 'caller hung up in the queue' } };
  return ctx.signal.aborted ? { kind: 'outcome', outcome: CONTINUE } : result;
}

export const enqueue: Verb = {
  names: ['Enqueue'],
  async run(node, ctx) {
    const name = node.text.trim();
    if (!name) return { kind: 'end', reason: '<Enqueue> needs a queue name' };
    await ctx.answer();
    let take!: (t: Taker) => void;
    const taken = new Promise<Taker>((resolve) => (take = resolve));
    const member: QueueMember = {
      callSid: ctx.call.callSid,
      leg: ctx.leg,
      from: ctx.call.from,
      to: ctx.call.to,
      enqueuedAt: ctx.clock.now(),
      take,
      // A <Queue url> asked by an agent's call on another instance runs in this call.
      runDocument: async (doc) => {
        await ctx.runBeforeBridge({ leg: ctx.leg, url: doc.url, method: doc.method, callSid: ctx.call.callSid, direction: 'inbound', params: doc.params, from: ctx.call.from, to: ctx.call.to });
      },
    };
    const joined = await ctx.queues.join(name, member, num(node, 'maxQueueSize', DEFAULT_MAX_QUEUE_SIZE));
    if (joined === 'full' || joined === UNAVAILABLE) {
      // Twilio's system-error: the line is shared and cannot be reached (a Redis outage).
      const result = joined === 'full' ? 'queue-full' : 'system-error';
      ctx.emit({ type: 'queue', queue: name, result });
      if (joined === UNAVAILABLE) ctx.emit({ type: 'error', code: 'DIDML_TELEPHONY', message: `<Enqueue> ${name}: the shared queue state cannot be reached` });
      return actionOutcome(node, ctx, { QueueResult: result }, false);
    }
    ctx.emit({ type: 'enqueue', queue: name, queueSid: joined.sid });
    let waited = await wait(node, name, member, taken, ctx);
    // Out of line, unless a call's claim got there first: then this <Enqueue> is that call's, never both.
    if ((await ctx.queues.leave(name, member)) === 'taken' && waited.kind !== 'taken') {
      const taker = await taken;
      if (ctx.signal.aborted || ctx.leg.isEnded) ctx.queues.withdraw(member); // hung up or moved on: the taker finds no one
      else waited = { kind: 'taken', taker };
    }
    const params = { QueueSid: joined.sid, QueueTime: String(Math.round((ctx.clock.now() - member.enqueuedAt) / 1000)) };
    if (waited.kind === 'leave') {
      ctx.emit({ type: 'queue', queue: name, result: 'leave' });
      return actionOutcome(node, ctx, { ...params, QueueResult: 'leave' }, false);
    }
    if (waited.kind === 'outcome') {
      const o = waited.outcome;
      const result = o.kind === 'fetch' || o.kind === 'continue' ? 'redirected' : 'hangup';
      ctx.emit({ type: 'queue', queue: name, result });
      // A Redirect in the wait document takes the caller out of line to that document; new instructions, to theirs.
      if (o.kind === 'fetch' || o.kind === 'continue') return o;
      return actionOutcome(node, ctx, { ...params, QueueResult: 'hangup' }, true, false, o.kind === 'end' ? o.reason : 'caller hung up in the queue');
    }
    ctx.emit({ type: 'queue', queue: name, result: 'bridged', by: waited.taker.callSid });
    const bridge = await waited.taker.bridged;
    const hungUp = ctx.leg.isEnded || (bridge.endedBy === 'abort' && !bridge.error);
    if (bridge.error) ctx.emit({ type: 'error', code: 'DIDML_TELEPHONY', message: `the bridge with ${waited.taker.callSid} failed: ${bridge.error}` });
    return actionOutcome(node, ctx, { ...params, QueueResult: bridge.error ? 'system-error' : 'bridged' }, hungUp);
  },
};

/** <Dial><Queue>name</Queue></Dial>, and DIDML's top-level <Queue>: take the first caller in line. */
export async function dequeue(dialNode: Projected, queueNode: Projected, ctx: VerbContext): Promise<VerbOutcome> {
  const name = queueNode.text.trim();
  if (!name) return { kind: 'end', reason: '<Queue> needs a queue name' };
  await ctx.answer();
  const member = await ctx.queues.take(name, num(dialNode, 'timeout', 30) * 1000, ctx.signal, ctx.call.callSid, ctx.leg);
  const queueSid = await ctx.queues.sidOf(name);
  if (member === UNAVAILABLE) {
    ctx.emit({ type: 'error', code: 'DIDML_TELEPHONY', message: `<Dial><Queue> ${name}: the shared queue state cannot be reached` });
    return actionOutcome(dialNode, ctx, { DialCallStatus: 'failed', DialBridged: 'false', QueueSid: queueSid }, ctx.leg.isEnded);
  }
  if (!member) {
    ctx.emit({ type: 'dequeue', queue: name, found: false });
    return actionOutcome(dialNode, ctx, { DialCallStatus: 'no-answer', DialBridged: 'false', QueueSid: queueSid }, ctx.leg.isEnded);
  }
  ctx.emit({ type: 'dequeue', queue: name, found: true, callSid: member.callSid });
  let settle!: (r: BridgeEnd) => void;
  const bridged = new Promise<BridgeEnd>((resolve) => (settle = resolve));
  // Taken: the caller's wait document stops, and its Enqueue waits for this bridge.
  member.take({ callSid: ctx.call.callSid, bridged });
  let r: BridgeEnd = { endedBy: 'abort', duration: 0 };
  let gone = false;
  try {
    const url = str(queueNode, 'url');
    if (url) {
      // <Queue url>: a document for the dequeued caller first ("played to the caller being
      // dequeued" before the bridge), with QueueSid, QueueTime and DequeingCallSid; run by the
      // instance that runs the caller.
      const doc = { url: ctx.resolve(url), method: methodOf(queueNode, 'method'), params: { QueueSid: queueSid, QueueTime: String(Math.round((ctx.clock.now() - member.enqueuedAt) / 1000)), DequeingCallSid: ctx.call.callSid } };
      if (member.remoteDocument) await member.remoteDocument(doc, ctx.signal);
      else await ctx.runBeforeBridge({ leg: member.leg, ...doc, callSid: member.callSid, direction: 'inbound', from: member.from, to: member.to });
    }
    // The dequeued caller may be gone by now (hung up, turned away by the url's <Hangup>, moved on).
    gone = member.gone();
    r = gone ? { endedBy: 'other', duration: 0 } : await ctx.leg.bridge(member.leg, ctx.signal);
  } catch (e) {
    // The bridge could not be made (a backend that cannot reach the caller's leg): the caller hears of it too.
    r = { endedBy: 'abort', duration: 0, error: e instanceof Error ? e.message : String(e) };
    throw e;
  } finally {
    settle(r);
  }
  const params = {
    DialCallStatus: gone ? 'no-answer' : 'completed',
    DialBridged: String(!gone),
    DialCallSid: member.callSid,
    DialCallDuration: String(r.duration),
    QueueSid: queueSid,
  };
  return actionOutcome(dialNode, ctx, params, r.endedBy === 'caller' || ctx.leg.isEnded);
}

export const didmlQueue: Verb = {
  names: ['Dequeue'],
  run: (node, ctx) => dequeue({ name: 'Dial', attributes: node.attributes, text: '', children: [node] }, node, ctx),
};

/** <Leave> outside a wait document has nothing to leave. */
export const leave: Verb = {
  names: ['Leave'],
  run(_node, ctx) {
    ctx.emit({ type: 'warning', message: '<Leave> only means something in a queue\'s wait document (Enqueue waitUrl); skipped' });
    return Promise.resolve(CONTINUE);
  },
};
