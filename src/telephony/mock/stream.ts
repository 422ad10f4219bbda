// Media streams on the mock. Start/Stream forks media and returns at once; Connect/Stream holds
// the call until the far end closes the websocket (after script.streamDuration seconds).
import type { StreamOptions } from '../adapter.js';
import { Operation, type LegContext } from './operation.js';
import { STREAM_SECONDS, ms } from './script.js';

const view = (o: StreamOptions) => ({
  url: o.url,
  ...(o.name !== undefined ? { name: o.name } : {}),
  track: o.track,
  parameters: { ...o.parameters },
});

export function startStream(ctx: LegContext, o: StreamOptions): Promise<void> {
  if (!ctx.gone.aborted) ctx.emit({ type: 'stream-start', ...view(o) });
  return Promise.resolve();
}

export function stopStream(ctx: LegContext, name: string): Promise<void> {
  if (!ctx.gone.aborted) ctx.emit({ type: 'stream-stop', name });
  return Promise.resolve();
}

export function connectStream(ctx: LegContext, o: StreamOptions, signal?: AbortSignal): Promise<{ callerHungUp: boolean }> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve({ callerHungUp: ctx.endedBy === 'caller' });
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
