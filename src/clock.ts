// Time for the runtime, injected so that call flows run in virtual time: a 30 s dial timeout or
// a 2-minute recording takes no real time under the mock backend, yet reads the same in the
// transcript. Real I/O (webhook requests, file reads) is wrapped in `io()`, and virtual time
// stands still while any of it is in flight, so no timer fires early; then `elapse()` lets the
// time it took pass on the call, so a slow app costs the call what it costs a Twilio caller.

export interface Clock {
  /** Milliseconds since an arbitrary origin (virtual: since the clock was made). */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (check `signal.aborted` after). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  timer(ms: number, fn: () => void): () => void;
  /** Marks real work in progress: virtual time does not advance until it settles. */
  io<T>(work: Promise<T>): Promise<T>;
  /**
   * Lets `ms` that real work took (inside `io()`) pass on this clock, as they did for the caller:
   * nothing on the real clock, where they have passed already; a sleep in virtual time (so the
   * timers due meanwhile fire). Resolves early when `signal` aborts.
   */
  elapse(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
  timer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
  io: (work) => work,
  elapse: () => Promise.resolve(),
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Virtual time. Whenever nothing is running (no microtask left, no `io()` in flight), time jumps
 * to the next timer and fires it. Timers due at the same instant fire in the order they were set.
 */
export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Pending[] = [];
  #io = 0;
  #scheduled = false;

  now(): number {
    return this.#now;
  }

  /** Timers not yet fired (for leak checks in tests). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        cancel();
        resolve();
      };
      const cancel = this.timer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  timer(ms: number, fn: () => void): () => void {
    const p: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    // Sorted insert: timers are few per call, and mostly appended.
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1]!.at > p.at)) i--;
    this.#timers.splice(i, 0, p);
    this.#schedule();
    return () => {
      const k = this.#timers.indexOf(p);
      if (k >= 0) this.#timers.splice(k, 1);
    };
  }

  elapse(ms: number, signal?: AbortSignal): Promise<void> {
    return ms > 0 ? this.sleep(ms, signal) : Promise.resolve();
  }

  io<T>(work: Promise<T>): Promise<T> {
    this.#io++;
    const settle = () => {
      this.#io--;
      this.#schedule();
    };
    return work.then(
      (v) => {
        settle();
        return v;
      },
      (e: unknown) => {
        settle();
        throw e;
      },
    );
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate runs after every pending microtask and I/O callback: the point at which
    // everything that could run now has run.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#io > 0 || this.#timers.length === 0) return;
      const next = this.#timers.shift()!;
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      this.#schedule();
    });
  }
}
