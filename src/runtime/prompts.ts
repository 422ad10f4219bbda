// Say, Play and Pause as prompts: on their own as verbs, and nested in <Gather> (and <Prompt>).
import type { Projected } from '../grammar/index.js';
import type { PausePrompt, PlayPrompt, Prompt, SayPrompt } from '../telephony/adapter.js';
import { num, str } from './verb.js';

/** Text of a <Say>, with the words of its SSML children in document order as far as kept. */
export function sayText(node: Projected): string {
  const parts = [node.text, ...node.children.map(sayText)].filter((s) => s !== '');
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

export function sayPrompt(node: Projected): SayPrompt {
  return { kind: 'say', text: sayText(node), voice: str(node, 'voice', 'man'), language: str(node, 'language', 'en-US'), loop: num(node, 'loop', 1) };
}

export function playPrompt(node: Projected, resolve: (url: string) => string): PlayPrompt {
  return { kind: 'play', url: node.text ? resolve(node.text) : '', loop: num(node, 'loop', 1) };
}

export function pausePrompt(node: Projected): PausePrompt {
  return { kind: 'pause', seconds: num(node, 'length', 1) };
}

const PROMPTS: Record<string, (node: Projected, resolve: (url: string) => string) => Prompt> = {
  Say: sayPrompt,
  Play: playPrompt,
  Pause: pausePrompt,
};

export function promptsOf(children: Projected[], resolve: (url: string) => string): Prompt[] {
  return children.flatMap((c) => {
    const make = PROMPTS[c.name];
    return make ? [make(c, resolve)] : [];
  });
}
