/**
 * Time for the codec's session layer, injected by the adapter. The codec
 * reads no clock and starts no timer itself (ARCHITECTURE.md): a Node adapter passes
 * `setTimeout`/`clearTimeout` and `performance.now`, tests pass a
 * `ManualClock` from `@framewire/codec/testing`.
 *
 * @example
 * ```ts
 * const scheduler: Scheduler = {
 *   now: () => performance.now(),
 *   setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
 *   clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
 * };
 * ```
 */
export interface Scheduler {
  /** Milliseconds on a monotonic clock. Only differences matter. */
  now(): number;
  /** Call `callback` once after `delayMs` (≥ 0) milliseconds; returns a handle for {@link Scheduler.clearTimer}. */
  setTimer(callback: () => void, delayMs: number): unknown;
  /** Cancel a timer; a handle that already fired or was cleared is ignored. */
  clearTimer(handle: unknown): void;
}

/**
 * One re-armable timer slot over a {@link Scheduler}: keeps at most one timer
 * armed, for an absolute deadline on the scheduler's clock. Re-arming for the
 * same deadline is free, so callers can sync it after every batch of work.
 */
export class TimerSlot {
  #handle: unknown = undefined;
  #deadline: number | undefined = undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly onFire: () => void,
  ) {}

  /** The deadline currently armed, or `undefined`. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** Arm for `deadline` (absolute, scheduler clock), or disarm when `undefined`. */
  set(deadline: number | undefined): void {
    if (deadline === this.#deadline) return;
    this.clear();
    if (deadline === undefined) return;
    this.#deadline = deadline;
    const delay = Math.max(0, deadline - this.scheduler.now());
    this.#handle = this.scheduler.setTimer(() => {
      this.#handle = undefined;
      this.#deadline = undefined;
      this.onFire();
    }, delay);
  }

  /** Disarm. */
  clear(): void {
    if (this.#deadline === undefined) return;
    this.scheduler.clearTimer(this.#handle);
    this.#handle = undefined;
    this.#deadline = undefined;
  }
}
