import type { Scheduler } from '../session/scheduler.js';

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A {@link Scheduler} whose time moves only when a test says so. Timers fire
 * from {@link ManualClock.advance} in order of their due time (ties in the
 * order they were set), each with `now()` equal to its due time; timers set
 * by a firing callback fire in the same `advance` if they fall due inside it.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.setTimer(() => console.log('tick', clock.now()), 100);
 * clock.advance(250); // logs "tick 100"; clock.now() is 250 afterwards
 * ```
 */
export class ManualClock implements Scheduler {
  #now: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  /** @param start the initial value of `now()`, 0 by default */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): unknown {
    const timer: ManualTimer = { id: this.#nextId++, due: this.#now + Math.max(0, delayMs), callback };
    // Keep sorted by (due, id): insertion after every timer due at or before it.
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.due > timer.due) i--;
    this.#timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimer(handle: unknown): void {
    const i = this.#timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Number of timers armed and not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Due time of the earliest armed timer, or `undefined`. */
  get nextDue(): number | undefined {
    return this.#timers[0]?.due;
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due on the way.
   * A callback that throws does not stop the clock: the first error is
   * rethrown once the advance is complete.
   */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  /** Move time forward to `time` (never backwards), firing due timers in order. */
  advanceTo(time: number): void {
    let failure: { error: unknown } | undefined;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.due > time) break;
      this.#timers.shift();
      if (next.due > this.#now) this.#now = next.due;
      try {
        next.callback();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (time > this.#now) this.#now = time;
    if (failure) throw failure.error;
  }

  /** Fire every timer, including ones set while firing, up to `limit` timers. Returns how many fired. */
  runAll(limit = 10_000): number {
    let fired = 0;
    while (fired < limit) {
      const next = this.#timers[0];
      if (next === undefined) break;
      this.advanceTo(next.due);
      fired++;
    }
    return fired;
  }
}
