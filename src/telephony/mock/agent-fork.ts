// <Start><Stream> to the script's agent: a fork, one way, in Twilio's Media Streams protocol
// (the TwilioMediaStream drachtio's forks speak too). The call goes on at once; the websocket is
// opened first (the call's clock waits for it, within agent.timeout) and hears `connected` and
// `start`, then `media` on the tracks asked for: the caller's side inbound and what the call
// plays outbound (call-sound.ts), 20 ms a frame, as the call's virtual time passes. A fork carries
// no `dtmf` (Twilio sends keys on a bidirectional stream only) and what the agent sends is ignored.
// `stop` goes once: at <Stop><Stream>, when the call ends, or when the agent closes its websocket.
//
// Virtual time runs far faster than real time, so frames go in batches: whatever is due is sent
// before each change of what the call sounds like and at least every BATCH_MS of call time, never
// more than that at once. The websocket is not flooded: while more than HIGH_WATER bytes wait in
// it, the call's clock waits for the agent to read (an agent that reads nothing for agent.timeout
// real seconds has stalled: the fork ends with stream-error). A fork sends at most MAX_FORK_MS of
// audio per track; past that only `stop` comes, and the transcript says so.
import type { StreamOptions } from '../adapter.js';
import { tracksOf, TwilioMediaStream } from '../../media/twilio-stream.js';
import { streamTarget } from './agent-media.js';
import type { LegContext } from './operation.js';
import { AGENT_TIMEOUT_S } from './agent.js';
import type { AgentScript } from './script.js';

export const BATCH_MS = 1000;
/** An hour of audio per track. */
export const MAX_FORK_MS = 3_600_000;
const HIGH_WATER = 1 << 20;
const FRAME_MS = 20;

export type ForkEnd = 'stop' | 'hangup' | 'far-end' | 'error';

/** Waits (real time) until the websocket has room again; false when it did not within `timeoutMs`. */
async function drained(stream: TwilioMediaStream, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (stream.open && stream.buffered > HIGH_WATER / 4) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/**
 * Opens the fork; returns the function that ends it (once; later calls do nothing), or undefined
 * when the websocket could not be opened (stream-error said why, and the call goes on).
 * `onOver` is told when the fork ends by itself (the agent closed it, or stalled).
 */
export async function startAgentStream(ctx: LegContext, o: StreamOptions, agent: AgentScript, onOver: () => void): Promise<((why: ForkEnd) => void) | undefined> {
  const timeoutMs = (agent.timeout ?? AGENT_TIMEOUT_S) * 1000;
  let stream: TwilioMediaStream;
  try {
    stream = await ctx.clock.io(TwilioMediaStream.open(streamTarget(ctx, o, agent, timeoutMs)));
  } catch (e) {
    ctx.emit({ type: 'stream-end', endedBy: 'error', error: `<Start><Stream>: ${(e as Error).message}; the call goes on without it` });
    o.onStatus?.('stream-error', (e as Error).message);
    return undefined;
  }
  o.onStatus?.('stream-started');
  const tracks = tracksOf(o.track);
  const t0 = ctx.clock.now();
  /** Frames sent on each track (the same count on both: they are sent side by side). */
  let sent = 0;
  let capped = false;
  let over = false;
  let cancelTimer = () => {};

  const flush = () => {
    if (over || !stream.open) return;
    const elapsed = ctx.clock.now() - t0;
    const due = Math.floor(Math.min(elapsed, MAX_FORK_MS) / FRAME_MS);
    for (; sent < due; sent++) for (const track of tracks) stream.audio(ctx.sound.frameAt(track, t0 + sent * FRAME_MS), track);
    if (elapsed > MAX_FORK_MS && !capped) {
      capped = true;
      ctx.emit({ type: 'script', warning: `<Start><Stream${o.name ? ` name="${o.name}"` : ''}>: the fork has sent ${MAX_FORK_MS / 3_600_000} hour of audio, the most the mock sends; no more media goes to the agent, stop still does` });
    }
  };
  const unlisten = ctx.sound.listen(flush);

  const end = (why: ForkEnd, error?: string) => {
    if (over) return;
    flush();
    over = true;
    cancelTimer();
    unlisten();
    stream.stop();
    ctx.emit({ type: 'stream-media', ...(o.name !== undefined ? { name: o.name } : {}), endedBy: why, frames: Object.fromEntries(tracks.map((t) => [t, sent])), ...(capped ? { capped: true } : {}), ...(error ? { error } : {}) });
    o.onStatus?.(why === 'error' ? 'stream-error' : 'stream-stopped', error);
  };
  const schedule = () => {
    cancelTimer = ctx.clock.timer(BATCH_MS, tick);
  };
  const tick = () => {
    flush();
    if (over || capped) return;
    if (stream.buffered <= HIGH_WATER) return schedule();
    void ctx.clock.io(drained(stream, timeoutMs)).then((ok) => {
      if (over) return;
      if (ok) return schedule();
      end('error', `the agent at ${streamTarget(ctx, o, agent, timeoutMs).url} read none of the fork's audio for ${timeoutMs / 1000} s (agent.timeout)`);
      onOver();
    });
  };
  schedule();
  void stream.closed.then(() => {
    if (over) return;
    end('far-end');
    onOver();
  });
  return (why) => end(why);
}
