// Media streams on the mock. Without a scripted agent they are simulated: Start/Stream forks
// media and returns at once; Connect/Stream holds the call until the far end closes the websocket
// (after script.streamDuration seconds). With `script.agent`, the document's websocket is opened
// for real and spoken to in Twilio's protocol (agent-media.ts, a fork: agent-fork.ts).
import type { ConnectResult, StreamOptions } from '../adapter.js';
import { startAgentStream, type ForkEnd } from './agent-fork.js';
import { connectAgentStream } from './agent-media.js';
import { connectAgentRelay } from './agent-relay.js';
import { Operation, type LegContext } from './operation.js';
import { STREAM_SECONDS, ms } from './script.js';

const view = (o: StreamOptions) => ({
  url: o.url,
  ...(o.name !== undefined ? { name: o.name } : {}),
  track: o.track,
  parameters: { ...o.parameters },
});

/** The forks to a real agent still open on each call, by name ('' for an unnamed one). */
const forks = new WeakMap<LegContext, Map<string, (why: ForkEnd) => void>>();

export async function startStream(ctx: LegContext, o: StreamOptions): Promise<void> {
  if (ctx.gone.aborted) return;
  const agent = ctx.script.agent;
  ctx.emit({ type: 'stream-start', ...view(o), ...(agent ? { url: agent.url ?? o.url, agent: true } : {}) });
  if (!agent) return;
  const key = o.name ?? '';
  let stop: ((why: ForkEnd) => void) | undefined = undefined;
  // Ended by itself (the agent closed it): no longer open, so a later fork of that name stands alone.
  const over = () => {
    if (stop && forks.get(ctx)?.get(key) === stop) forks.get(ctx)?.delete(key);
  };
  stop = await startAgentStream(ctx, o, agent, over);
  if (!stop) return;
  if (ctx.gone.aborted) return stop('hangup');
  let open = forks.get(ctx);
  if (!open) {
    const mine = (open = new Map());
    forks.set(ctx, mine);
    ctx.gone.addEventListener('abort', () => {
      for (const s of mine.values()) s('hangup');
      mine.clear();
    }, { once: true });
  }
  open.get(key)?.('stop');
  open.set(key, stop);
}

export function stopStream(ctx: LegContext, name: string): Promise<void> {
  if (ctx.gone.aborted) return Promise.resolve();
  ctx.emit({ type: 'stream-stop', name });
  const open = forks.get(ctx);
  // Without a name, every fork of the call stops (as on drachtio).
  for (const key of name ? [name] : [...(open?.keys() ?? [])]) {
    open?.get(key)?.('stop');
    open?.delete(key);
  }
  return Promise.resolve();
}

export function connectStream(ctx: LegContext, o: StreamOptions, signal?: AbortSignal): Promise<ConnectResult> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve({ callerHungUp: ctx.endedBy === 'caller' });
  const agent = ctx.script.agent;
  if (agent && o.relay) return connectAgentRelay(ctx, { ...o, relay: o.relay }, agent, signal);
  if (agent) return connectAgentStream(ctx, o, agent, signal);
  ctx.emit({ type: 'stream', ...view(o) });
  o.onStatus?.('stream-started');
  const op = new Operation<{ callerHungUp: boolean }>(ctx, signal, (why) => {
    ctx.emit({ type: 'stream-end', endedBy: why });
    o.onStatus?.('stream-stopped');
    return { callerHungUp: why === 'hangup' && ctx.endedBy === 'caller' };
  });
  op.in(ms(ctx.script.streamDuration ?? STREAM_SECONDS), () => {
    ctx.emit({ type: 'stream-end', endedBy: 'far-end' });
    o.onStatus?.('stream-stopped');
    op.settle({ callerHungUp: false });
  });
  return op.promise;
}
