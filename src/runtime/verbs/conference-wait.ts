// What a participant hears while its room waits to start (<Conference waitUrl>): the document at
// waitUrl, whose <Play>, <Say> and <Pause> play and whose <Redirect> fetches the next one (how
// Twilio's hold-music documents loop); once it runs out, silence. It stops the moment the room
// starts, ends, the API removes the participant, or the call ends. A document that cannot be
// fetched costs the caller the music, not its place in the room.
import { DidmlError } from '../../errors.js';
import type { Projected } from '../../grammar/index.js';
import type { HttpMethod } from '../../webhook/types.js';
import type { Membership } from '../conferences.js';
import { pausePrompt, playPrompt, sayPrompt } from '../prompts.js';
import { methodOf, str, type VerbContext } from '../verb.js';

/** How long one silent wait lasts (it ends at the start anyway). */
const HOLD_SECONDS = 3600;

export async function waitForStart(url: string, method: HttpMethod, joined: Membership, ctx: VerbContext): Promise<void> {
  const started = new AbortController();
  void joined.started.then(() => started.abort());
  const signal = AbortSignal.any([ctx.signal, joined.out, started.signal]);
  let next: { url: string; method: HttpMethod } | undefined = { url, method };
  while (next && !signal.aborted && !ctx.leg.isEnded) {
    const doc = await ctx.loadDocument(next.url, next.method, {});
    next = undefined;
    if (doc instanceof DidmlError) {
      ctx.emit({ type: 'warning', message: `<Conference waitUrl>: ${doc.message}; the caller waits in silence` });
      break;
    }
    const resolve = (u: string) => new URL(u.trim(), doc.url).href;
    next = await play(doc.root, resolve, ctx, signal);
  }
  while (!signal.aborted && !ctx.leg.isEnded) await ctx.leg.pause(HOLD_SECONDS, signal);
}

/** Runs one wait document; answers where its <Redirect> goes. */
async function play(root: Projected, resolve: (u: string) => string, ctx: VerbContext, signal: AbortSignal): Promise<{ url: string; method: HttpMethod } | undefined> {
  for (const node of root.children) {
    if (signal.aborted) return undefined;
    if (node.name === 'Say') await ctx.leg.say(sayPrompt(node), signal);
    else if (node.name === 'Play') await ctx.leg.play(playPrompt(node, resolve), signal);
    else if (node.name === 'Pause') await ctx.leg.pause(pausePrompt(node).seconds, signal);
    else if (node.name === 'Redirect') return { url: resolve(node.text.trim() || str(node, 'url')), method: methodOf(node) };
    else ctx.emit({ type: 'warning', message: `<${node.name}> is not run in a conference's wait document (Play, Say, Pause and Redirect are)` });
  }
  return undefined;
}
