// When a real agent has finished its turn. The agent answers in real time, the call runs in
// virtual time; the call's clock stands still (Clock.io) while it waits here. An agent's turn is
// over once it has been quiet for `quiet` real ms after its last message (or it closed the
// socket); an agent that sends nothing for `timeout` real ms is silent (stalled, or done).
export type Wait = 'reply' | 'closed' | 'silent';

export class AgentInbox {
  /** Real time (performance.now) of the last message not yet taken, or undefined. */
  #last: number | undefined;
  /** Real time of the first message of the turn not yet taken. */
  #first: number | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  /** A message came from the agent. */
  note(): void {
    const now = performance.now();
    this.#first ??= now;
    this.#last = now;
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Forgets what has been collected as one turn (its messages have been played). */
  taken(): void {
    this.#first = this.#last = undefined;
  }

  /**
   * Until the agent's turn is over. Resolves with what ended the wait and the real ms the agent
   * took before it began to answer (what the caller waited in silence).
   */
  async wait(timeoutMs: number, quietMs: number): Promise<{ ended: Wait; waitedMs: number }> {
    const start = performance.now();
    for (;;) {
      const now = performance.now();
      if (this.#last !== undefined && (this.#closed || now - this.#last >= quietMs)) {
        return { ended: 'reply', waitedMs: Math.max(0, this.#first! - start) };
      }
      if (this.#closed) return { ended: 'closed', waitedMs: now - start };
      if (this.#last === undefined && now - start >= timeoutMs) return { ended: 'silent', waitedMs: now - start };
      const due = this.#last !== undefined ? this.#last + quietMs - now : start + timeoutMs - now;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(1, due));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }
}
