// Say, Play, Pause and sending DTMF: each takes a nominal amount of virtual time (script.ts) and
// stops early when the call ends or the session aborts.
import type { Prompt } from '../adapter.js';
import { Operation, type LegContext } from './operation.js';
import { DTMF_MS, LOOP_FOREVER, PLAY_SECONDS, SAY_MS_PER_CHAR, ms, type MockCallScript } from './script.js';
import type { BackendEvent } from './transcript.js';

const loops = (loop: number): number => (loop === 0 ? LOOP_FOREVER : Math.max(1, loop));

/** How long a prompt plays, in ms. */
export function promptMs(prompt: Prompt, script: MockCallScript): number {
  switch (prompt.kind) {
    case 'say':
      return prompt.text.length * SAY_MS_PER_CHAR * loops(prompt.loop);
    case 'play':
      return ms(script.media?.[prompt.url] ?? PLAY_SECONDS) * loops(prompt.loop);
    case 'pause':
      return ms(prompt.seconds);
  }
}

export function promptEvent(prompt: Prompt): BackendEvent {
  switch (prompt.kind) {
    case 'say':
      return { type: 'say', text: prompt.text, voice: prompt.voice, language: prompt.language, loop: prompt.loop };
    case 'play':
      return { type: 'play', url: prompt.url, loop: prompt.loop };
    case 'pause':
      return { type: 'pause', seconds: prompt.seconds };
  }
}

/** Plays one prompt to the end, or until the call ends or `signal` aborts. */
export function playPrompt(ctx: LegContext, prompt: Prompt, signal?: AbortSignal): Promise<void> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve();
  ctx.emit(promptEvent(prompt));
  const op = new Operation<void>(ctx, signal, () => undefined);
  op.in(promptMs(prompt, ctx.script), () => op.settle());
  return op.promise;
}

export function dtmfMs(digits: string): number {
  let total = 0;
  for (const d of digits) total += d === 'w' ? 500 : d === 'W' ? 1000 : DTMF_MS;
  return total;
}

export function sendDigits(ctx: LegContext, digits: string, signal?: AbortSignal): Promise<void> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve();
  ctx.emit({ type: 'send-digits', digits });
  const op = new Operation<void>(ctx, signal, () => undefined);
  op.in(dtmfMs(digits), () => op.settle());
  return op.promise;
}
