// A conversation with a real agent on the mock: the caller's turns come from the script
// (`agent.caller`), the agent answers over its real websocket, in real time. How the two times
// meet:
// - While the call waits for the agent (to open, to answer), its clock stands still (Clock.io):
//   no timer of the call fires meanwhile.
// - The agent's turn ends when it has been quiet for `quiet` real seconds. The real time it took
//   to begin answering costs the call what a slow webhook does (call-time.ts: under a second is
//   not counted, so a fast agent's transcript is the same on every run); then what it said plays
//   for its length in virtual time, and only then are its marks reached.
// - An agent silent for `timeout` real seconds when it owes the caller an answer has stalled: the
//   stream ends with `stream-error` (as a broken websocket does on Twilio) and the document goes
//   on. Silent at the start, it is waiting for the caller, who then begins. After the caller's last
//   turn, silence is the agent being done: the caller hangs up (said, as a script warning), unless
//   the agent closes the stream first.
// The protocol (Media Streams, ConversationRelay) is an AgentLink; this module is the turn-taking.
import { UNCOUNTED_MS } from '../../webhook/call-time.js';
import type { ConnectResult, StreamOptions } from '../adapter.js';
import type { AgentInbox } from './agent-inbox.js';
import { Operation, type LegContext } from './operation.js';
import type { AgentScript, AgentTurn } from './script.js';

export const AGENT_TIMEOUT_S = 5;
export const AGENT_QUIET_S = 0.4;

/** The real ms an agent took, as call time: the rule of a webhook's (webhook/call-time.ts). */
export const countedMs = (ms: number): number => (ms < UNCOUNTED_MS ? 0 : Math.floor(ms / 100) * 100);

/** One protocol's side of the conversation. */
export interface AgentLink {
  readonly inbox: AgentInbox;
  /** Sends a caller turn; the virtual ms it takes, and whether the caller then waits for an answer. */
  callerTurn(turn: Exclude<AgentTurn, { hangup: true }>): Promise<{ ms: number; answer: boolean }>;
  /** What the agent said since the last call, recorded in the transcript: the virtual ms it plays for. */
  agentTurn(): number;
  /** After the agent's turn has played (its marks are reached). */
  played(): void;
  /**
   * The caller starts talking `atMs` into what the agent is saying (barge-in): whether the agent
   * may be interrupted there (then it has been told, and the rest is not heard). Undefined: the
   * protocol has no such thing, and the caller waits.
   */
  interrupt?(atMs: number, opening: boolean): boolean;
  /**
   * The caller talks `atMs` into speech it may not interrupt: whether their turn reaches the agent
   * then, while the agent goes on (ConversationRelay's reportInputDuringAgentSpeech), rather than
   * once the agent is done.
   */
  overlap?(atMs: number, opening: boolean): boolean;
  /** Ends the protocol (says stop, closes the websocket). */
  stop(): void;
  /** What the platform says before anyone else (ConversationRelay's welcomeGreeting): its virtual ms; then the caller talks first. */
  opening?(): number | undefined;
  /** Parameters for the <Connect> action once it is over (ConversationRelay's SessionStatus, HandoffData...). */
  result?(end: ConverseEnd): Record<string, string>;
}

/** What ended the conversation. */
type End = { by: 'far-end' } | { by: 'error'; error: string } | { by: 'caller' };
export type ConverseEnd = End | { by: 'hangup' | 'abort' };

export interface ConverseOptions {
  ctx: LegContext;
  o: StreamOptions;
  agent: AgentScript;
  signal?: AbortSignal;
  /** Opens the link (real I/O, bounded by the timeout); rejects when the agent cannot be reached. */
  open(timeoutMs: number, inbox: AgentInbox): Promise<AgentLink>;
  inbox: AgentInbox;
  /** Parameters for the <Connect> action when the link never opened (`end.error` says why). */
  unopened?(end: ConverseEnd): Record<string, string>;
}

/** The URL the call connects to: the script's agent in place of the document's. */
export const agentUrl = (o: StreamOptions, agent: AgentScript): string => agent.url ?? o.url;

/** A <Connect> to a real agent: resolves when the conversation is over. */
export function converse(c: ConverseOptions): Promise<ConnectResult> {
  const { ctx, o, agent } = c;
  const timeoutMs = (agent.timeout ?? AGENT_TIMEOUT_S) * 1000;
  const quietMs = (agent.quiet ?? AGENT_QUIET_S) * 1000;
  const halt = new AbortController();
  let link: AgentLink | undefined;
  const finish = (end: ConverseEnd) => {
    halt.abort();
    link?.stop();
    ctx.emit({ type: 'stream-end', endedBy: end.by === 'caller' ? 'hangup' : end.by, ...('error' in end ? { error: end.error } : {}) });
    o.onStatus?.(end.by === 'error' ? 'stream-error' : 'stream-stopped', 'error' in end ? end.error : undefined);
    const params = link ? link.result?.(end) : c.unopened?.(end);
    return { callerHungUp: end.by === 'caller' || (end.by === 'hangup' && ctx.endedBy === 'caller'), ...(params ? { params } : {}) };
  };
  const op = new Operation<ConnectResult>(ctx, c.signal, (why) => finish({ by: why }));
  ctx.emit(
    o.relay
      ? { type: 'stream', protocol: 'conversation-relay', url: agentUrl(o, agent), parameters: { ...o.parameters }, sessionId: o.relay.sessionId, agent: true }
      : { type: 'stream', protocol: 'media-streams', url: agentUrl(o, agent), ...(o.name !== undefined ? { name: o.name } : {}), track: o.track, parameters: { ...o.parameters }, agent: true },
  );

  const elapse = (ms: number) => ctx.clock.elapse(ms, halt.signal);
  /** The agent's turn: wait, let the wait cost the call, play what it said. */
  /** What the agent's speech still has to play while the caller's turn runs (their words came during it). */
  let overlapping = 0;
  /** What the agent (or the platform's greeting) says for `ms`: all of it, or until the caller's next turn barges in. */
  const play = async (ms: number, next: AgentTurn | undefined, opening: boolean) => {
    const at = next && 'speech' in next && next.interrupt !== undefined ? Math.round(next.interrupt * 1000) : undefined;
    if (at !== undefined && at < ms && link!.interrupt?.(at, opening)) return elapse(at);
    if (at !== undefined && at < ms && link!.overlap?.(at, opening)) {
      overlapping = ms - at;
      return elapse(at);
    }
    return elapse(ms);
  };
  /** `last`: the caller has no more turns; `owed`: the agent must answer (a turn of the caller's came before). */
  const agentTurn = async (last: boolean, next?: AgentTurn, owed = true): Promise<End | undefined> => {
    const { ended, waitedMs } = await ctx.clock.io(c.inbox.wait(timeoutMs, quietMs));
    if (op.done) return undefined;
    await elapse(countedMs(waitedMs));
    if (op.done) return undefined;
    if (ended === 'reply') {
      const ms = link!.agentTurn();
      c.inbox.taken();
      await play(ms, next, false);
      if (op.done) return undefined;
      link!.played();
      return c.inbox.isClosed ? { by: 'far-end' } : undefined;
    }
    if (ended === 'closed') return { by: 'far-end' };
    // An agent that does not greet is waiting for the caller: not a stall.
    if (!owed) return undefined;
    if (last) {
      ctx.emit({ type: 'script', warning: `the caller's turns ran out and the agent said nothing more for ${timeoutMs / 1000} s: the caller hangs up` });
      return { by: 'caller' };
    }
    return { by: 'error', error: `the agent at ${agentUrl(o, agent)} did not answer within ${timeoutMs / 1000} s (agent.timeout)` };
  };

  const run = async (): Promise<End | undefined> => {
    try {
      link = await ctx.clock.io(c.open(timeoutMs, c.inbox));
    } catch (e) {
      return { by: 'error', error: (e as Error).message };
    }
    if (op.done) {
      link.stop();
      return undefined;
    }
    o.onStatus?.('stream-started');
    const turns = agent.caller ?? [];
    const opening = link.opening?.();
    const agentFirst = (agent.first ?? (opening !== undefined ? 'caller' : 'agent')) === 'agent';
    if (opening !== undefined) {
      await play(opening, agentFirst ? undefined : turns[0], true);
      if (op.done) return undefined;
    }
    if (agentFirst) {
      const end = await agentTurn(turns.length === 0, turns[0], turns.length === 0);
      if (end || op.done) return end;
    }
    for (const [i, turn] of turns.entries()) {
      if ('hangup' in turn) return { by: 'caller' };
      const { ms, answer } = await link.callerTurn(turn);
      if (op.done) return undefined;
      await elapse(Math.max(ms, overlapping));
      overlapping = 0;
      if (op.done) return undefined;
      if (c.inbox.isClosed && !answer) return { by: 'far-end' };
      if (!answer) continue;
      const end = await agentTurn(false, turns[i + 1]);
      if (end || op.done) return end;
    }
    // The caller has no more to say: the agent may go on talking until it ends the stream.
    for (;;) {
      const end = await agentTurn(true);
      if (end || op.done) return end;
    }
  };
  void run().then(
    (end) => {
      if (!end || op.done) return;
      if (end.by === 'caller') {
        op.settle(finish(end));
        ctx.callerHangup();
      } else {
        op.settle(finish(end));
      }
    },
    (e: unknown) => op.settle(finish({ by: 'error', error: `the agent's stream failed: ${(e as Error).message}` })),
  );
  return op.promise;
}
