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

/** What the caller hears of a prompt starting now (call-sound.ts): a Say or Play is a tone, a Pause silence. */
export function sounding(ctx: LegContext, prompt: Prompt): void {
  if (prompt.kind === 'pause') ctx.sound.silence('outbound');
  else ctx.sound.tone('outbound');
}

/** Plays one prompt to the end, or until the call ends or `signal` aborts. */
export function playPrompt(ctx: LegContext, prompt: Prompt, signal?: AbortSignal): Promise<void> {
  if (ctx.gone.aborted || signal?.aborted) return Promise.resolve();
  ctx.emit(promptEvent(prompt));
  sounding(ctx, prompt);
  const op = new Operation<void>(ctx, signal, () => void ctx.sound.silence('outbound'));
  op.in(promptMs(prompt, ctx.script), () => {
    ctx.sound.silence('outbound');
    op.settle();
  });
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
  ctx.sound.tone('outbound');
  const op = new Operation<void>(ctx, signal, () => void ctx.sound.silence('outbound'));
  op.in(dtmfMs(digits), () => {
    ctx.sound.silence('outbound');
    op.settle();
  });
  return op.promise;
}
