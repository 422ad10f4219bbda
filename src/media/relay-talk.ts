// What the caller hears of a ConversationRelay app's messages, the same on every backend: text
// tokens gather into an utterance said at once (at the token with `last`; with `sentences`, also
// at the end of each sentence, so a media server can start speaking before the app is done);
// play, sendDigits, language and end come in order after what was gathered before them. Each
// utterance belongs to a talk cycle (a cycle ends with the token with `last`), and carries the
// tokens' own `interruptible` and `preemptible`, which override the <ConversationRelay>'s.
import type { RelayAppMessage } from './conversation-relay.js';

export type RelayOutput =
  | { kind: 'say'; text: string; lang?: string; cycle: number; complete: boolean; interruptible?: boolean; preemptible?: boolean }
  | { kind: 'play'; source: string; loop: number; cycle: number; interruptible?: boolean; preemptible?: boolean }
  | { kind: 'digits'; digits: string; cycle: number }
  | { kind: 'language'; ttsLanguage?: string; transcriptionLanguage?: string }
  | { kind: 'end'; handoffData?: string };

/** A flag over tokens: `sticky` once any token says it, else the other value if any token says that. */
const merge = (a: boolean | undefined, b: boolean | undefined, sticky: boolean): boolean | undefined => (a === sticky || b === sticky ? sticky : (a ?? b));

export class RelayTalk {
  #tokens: string[] = [];
  #lang: string | undefined;
  #interruptible: boolean | undefined;
  #preemptible: boolean | undefined;
  /** The talk cycle the next output belongs to: one more after each token with `last`. */
  cycle = 0;

  constructor(
    private readonly out: (o: RelayOutput) => void,
    private readonly o: { sentences?: boolean } = {},
  ) {}

  /** Tokens are waiting to be said. */
  get pending(): boolean {
    return this.#tokens.length > 0;
  }

  take(m: RelayAppMessage): void {
    if (m.type === 'text') {
      if (!this.#tokens.length) this.#lang = m.lang;
      // A token that may not be interrupted makes its utterance so; one that may be preempted, too.
      this.#interruptible = merge(this.#interruptible, m.interruptible, false);
      this.#preemptible = merge(this.#preemptible, m.preemptible, true);
      this.#tokens.push(m.token);
      if (m.last) {
        this.flush(true);
        this.cycle++;
      } else if (this.o.sentences && /[.!?;:]["')\]]?\s*$/.test(m.token)) {
        this.flush(false);
      }
      return;
    }
    this.flush(false);
    const flags = { ...(m.type === 'play' && m.interruptible !== undefined ? { interruptible: m.interruptible } : {}), ...(m.type === 'play' && m.preemptible !== undefined ? { preemptible: m.preemptible } : {}) };
    if (m.type === 'play') this.out({ kind: 'play', source: m.source, loop: m.loop, cycle: this.cycle, ...flags });
    else if (m.type === 'sendDigits') this.out({ kind: 'digits', digits: m.digits, cycle: this.cycle });
    else if (m.type === 'language') this.out({ kind: 'language', ...(m.ttsLanguage ? { ttsLanguage: m.ttsLanguage } : {}), ...(m.transcriptionLanguage ? { transcriptionLanguage: m.transcriptionLanguage } : {}) });
    else this.out({ kind: 'end', ...(m.handoffData !== undefined ? { handoffData: m.handoffData } : {}) });
  }

  /** Says what was gathered; `complete`: the app marked it `last` (else it went quiet, or sent something else, before that). */
  flush(complete = false): void {
    if (!this.#tokens.length) return;
    const text = this.#tokens.join('');
    this.#tokens = [];
    this.out({
      kind: 'say',
      text,
      cycle: this.cycle,
      complete,
      ...(this.#lang ? { lang: this.#lang } : {}),
      ...(this.#interruptible !== undefined ? { interruptible: this.#interruptible } : {}),
      ...(this.#preemptible !== undefined ? { preemptible: this.#preemptible } : {}),
    });
    this.#lang = this.#interruptible = this.#preemptible = undefined;
  }

  /** Drops what was gathered and not said (the caller interrupted). */
  clear(): void {
    this.#tokens = [];
    this.#lang = this.#interruptible = this.#preemptible = undefined;
  }
}
